/**
 * Simulator of Keeper's distributor "mspvendor" Account Management API (keeper.md, section B). Sandbox
 * mode ships it.
 *
 * - Auth on every route: `Authorization: Bearer <JWT>` signed HS512 with the pre-shared secret, `iss` =
 *   partner key, `iat` and `exp` present, a lifetime of at most 5 minutes, checked against `now()` with a
 *   little clock skew (the tolerance Keeper uses is unconfirmed); plus `vendor: <vendor name>`. Any
 *   failure answers 401 `{"success":false,"message":"Unauthorized"}` and says nothing more.
 * - Nine routes named after their last path segment, with the documented success bodies and fixed
 *   messages. Failures are `{"success":false,"message":"..."}`: 400 for a bad request; HTTP 200 with
 *   success:false for an unknown account (keeper.md B: treat success:false on a 200 as an error).
 * - The account state machine: create → PENDING; the invitee accepts (simulator-only `acceptInvite`,
 *   no API does it) → TRIAL; convert-to-paid TRIAL → ACTIVE; cancel-paid-account ACTIVE → EXPIRED;
 *   activate-expired EXPIRED → ACTIVE; remove-account deletes PENDING / REGION_CONFLICT / PRODUCT_CONFLICT.
 * - Usage: current usage is the account's snapshot; monthly usage is priced from it by
 *   `generateMonthlyUsage` (month "08", year "2021" as strings, keeper.md quirk 2).
 */
import { createHash } from "node:crypto";
import { STATUS_CODES } from "node:http";
import { jwtVerify } from "jose";
import { LosslessNumber } from "lossless-json";
import { startSimulator, type RouteDef, type SimRequest, type SimResponse, type SimulatorHandle } from "../../../simulator-kit";
import { KEEPER_DISTRIBUTOR_PREFIX, KEEPER_SUCCESS_MESSAGES, type KeeperPartnerDetails } from "../../keeper/wire";
import {
  generateCurrentUsage,
  generateMonthlyUsage,
  KEEPER_PRODUCT_TABLE,
  seedCurrentUsage,
  type KeeperCurrentUsageFixture,
} from "../../keeper/simulator/fixtures";
import { SEED_MONTH, SEED_MONTHLY_USAGE_TEXT } from "../../keeper/simulator/data/seed-samples";

/** Sandbox credentials of the simulated distributor (not secrets: they only open the in-process simulator). */
export const KEEPER_DISTRIBUTOR_SANDBOX = {
  partnerKey: "sandbox-partner-key",
  secret: "sandbox-distributor-preshared-secret-0123456789",
  vendorName: "sandbox-distributor",
} as const;

/** keeper.md B: `exp` = `iat` + 300. */
export const KEEPER_JWT_LIFETIME_SECONDS = 300;

/** The documented statuses; anything else is possible on the wire (the gateway maps it to UNKNOWN). */
export type KeeperAccountStatus = "PENDING" | "TRIAL" | "ACTIVE" | "EXPIRED" | "REGION_CONFLICT" | "PRODUCT_CONFLICT" | (string & {});

/** One MSP linked to the distributor, as the simulator holds it. */
export interface KeeperDistributorAccount {
  /** Keeper's UUID for the MSP (cancel-paid-account and remove-account key on it). */
  partnerId: string;
  /** The distributor's own id for the MSP (most calls key on it). */
  vendorInternalId: string;
  companyName: string;
  status: KeeperAccountStatus;
  /** On REGION_CONFLICT: the region the account was activated in. */
  accountRegion?: string;
  /** On PRODUCT_CONFLICT: the non-MSP product the account was activated as. */
  productType?: string;
  /** What current-usage answers and monthly usage is priced from. */
  current: KeeperCurrentUsageFixture;
  /** Key of the monthly top total: both `total` and `totalCost` occur in seed 001. */
  totalKey: "total" | "totalCost";
  /** Monthly bodies answered verbatim, keyed "YYYY-MM" (seed 001's sample for QaMspNfl in 2025-08). */
  verbatimMonths?: Record<string, string>;
  /** What create-trial-account answered (accounts created through the API only). */
  partnerDetails?: KeeperPartnerDetails;
}

export interface KeeperDistributorSimulatorOptions {
  /** Expected `iss`; default KEEPER_DISTRIBUTOR_SANDBOX.partnerKey. */
  partnerKey?: string;
  /** HS512 key (its UTF-8 bytes); default KEEPER_DISTRIBUTOR_SANDBOX.secret. */
  secret?: string;
  /** Expected `vendor` header; default KEEPER_DISTRIBUTOR_SANDBOX.vendorName. */
  vendorName?: string;
  /** Clock skew allowed on iat/exp, in seconds (unconfirmed at Keeper). Default 60. */
  clockSkewSeconds?: number;
  /** Clock for JWT checks and the "no future month" rule; default the real clock. */
  now?: () => Date;
  /** Initial accounts; default `defaultDistributorAccounts()`. The simulator changes this array in place. */
  accounts?: KeeperDistributorAccount[];
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
}

export interface KeeperDistributorSimulator extends SimulatorHandle {
  /** The live account list (the same array the simulator changes). */
  accounts: KeeperDistributorAccount[];
  account(vendorInternalId: string): KeeperDistributorAccount | undefined;
  /** The invitee activates the account: PENDING → TRIAL. No API does this (it happens by e-mail). */
  acceptInvite(vendorInternalId: string): void;
  /** The 14-day trial ends unconverted: TRIAL → EXPIRED (the status then reported is unconfirmed, keeper.md B). */
  expireTrial(vendorInternalId: string): void;
}

/** A UUID (version-4 layout) derived from a seed, so seeded and created accounts get stable partnerIds. */
export function keeperPartnerId(seed: string): string {
  const b = createHash("sha256").update(`partner|${seed}`).digest();
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.subarray(0, 16).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const monthKey = (year: number, month: number): string => `${year}-${String(month).padStart(2, "0")}`;

/**
 * The sandbox distributor: MSPs in every documented status plus one the contract does not list
 * ("SUSPENDED", so the gateway's UNKNOWN mapping is exercised). "QaMspNfl" carries seed 001's samples.
 * Managed-company ids: Northwind's are 51001–51030 (the sandbox customer directory points at 51001/51002).
 */
export function defaultDistributorAccounts(): KeeperDistributorAccount[] {
  const generated = (
    vendorInternalId: string,
    companyName: string,
    status: KeeperAccountStatus,
    companies: number,
    idBase: number,
    totalKey: "total" | "totalCost",
    extra: Partial<KeeperDistributorAccount> = {},
  ): KeeperDistributorAccount => ({
    partnerId: keeperPartnerId(vendorInternalId),
    vendorInternalId,
    companyName,
    status,
    current: generateCurrentUsage(vendorInternalId, companies, { mspName: companyName, idBase }),
    totalKey,
    ...extra,
  });
  return [
    {
      partnerId: keeperPartnerId("qamspnfl-001"),
      vendorInternalId: "qamspnfl-001",
      companyName: "QaMspNfl",
      status: "ACTIVE",
      current: seedCurrentUsage(),
      totalKey: "total",
      verbatimMonths: { [monthKey(SEED_MONTH.year, SEED_MONTH.month)]: SEED_MONTHLY_USAGE_TEXT },
    },
    generated("northwind-002", "Northwind IT Services", "ACTIVE", 30, 51000, "total"),
    generated("fabrikam-003", "Fabrikam Secure MSP", "TRIAL", 6, 52000, "totalCost"),
    generated("contoso-004", "Contoso Managed Services", "ACTIVE", 12, 53000, "totalCost"),
    generated("tailspin-005", "Tailspin Networks", "PENDING", 0, 54000, "total"),
    generated("litware-006", "Litware Consulting", "EXPIRED", 8, 55000, "total"),
    generated("adatum-007", "Adatum EU Partners", "REGION_CONFLICT", 0, 56000, "total", { accountRegion: "EU" }),
    generated("proseware-008", "Proseware Inc", "PRODUCT_CONFLICT", 0, 57000, "total", { productType: "Enterprise" }),
    generated("wingtip-009", "Wingtip Toys IT", "SUSPENDED", 5, 58000, "totalCost"),
  ];
}

/** ISO 3166-1 alpha-2 codes (create-trial-account: "iso standard country code", seed 001). */
const ISO_3166_ALPHA2 = new Set(
  (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
    "CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
    "GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT " +
    "JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY " +
    "MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM " +
    "PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ " +
    "TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"
  ).split(" "),
);

/** Seed 001's create-trial-account answer spells the US state out ("CO" in, "Colorado" out). */
const US_STATES: Record<string, string> = {
  AL: "Alabama", AK: "Alaska", AZ: "Arizona", AR: "Arkansas", CA: "California", CO: "Colorado", CT: "Connecticut",
  DE: "Delaware", DC: "District of Columbia", FL: "Florida", GA: "Georgia", HI: "Hawaii", ID: "Idaho", IL: "Illinois",
  IN: "Indiana", IA: "Iowa", KS: "Kansas", KY: "Kentucky", LA: "Louisiana", ME: "Maine", MD: "Maryland",
  MA: "Massachusetts", MI: "Michigan", MN: "Minnesota", MS: "Mississippi", MO: "Missouri", MT: "Montana",
  NE: "Nebraska", NV: "Nevada", NH: "New Hampshire", NJ: "New Jersey", NM: "New Mexico", NY: "New York",
  NC: "North Carolina", ND: "North Dakota", OH: "Ohio", OK: "Oklahoma", OR: "Oregon", PA: "Pennsylvania",
  RI: "Rhode Island", SC: "South Carolina", SD: "South Dakota", TN: "Tennessee", TX: "Texas", UT: "Utah",
  VT: "Vermont", VA: "Virginia", WA: "Washington", WV: "West Virginia", WI: "Wisconsin", WY: "Wyoming",
};

/** Statuses of accounts nobody has activated yet: they have no usage to report. */
const NOT_ACTIVATED = new Set<string>(["PENDING", "REGION_CONFLICT", "PRODUCT_CONFLICT"]);

type Body = Record<string, unknown>;

const fail = (status: number, message: string): SimResponse => ({ status, body: { success: false, message } });
const ok = (message: string): SimResponse => ({ status: 200, body: { success: true, message } });
/** keeper.md B: an unknown account is a success:false body on HTTP 200. */
const notFound = (): SimResponse => ({ status: 200, body: { success: false, message: "Account not found" } });
const notActive = (): SimResponse => ({ status: 200, body: { success: false, message: "Account is not active" } });
const UNAUTHORIZED = (): SimResponse => fail(401, "Unauthorized");

export async function createKeeperDistributorSimulator(options: KeeperDistributorSimulatorOptions = {}): Promise<KeeperDistributorSimulator> {
  const partnerKey = options.partnerKey ?? KEEPER_DISTRIBUTOR_SANDBOX.partnerKey;
  const key = new TextEncoder().encode(options.secret ?? KEEPER_DISTRIBUTOR_SANDBOX.secret);
  const vendorName = options.vendorName ?? KEEPER_DISTRIBUTOR_SANDBOX.vendorName;
  const skew = options.clockSkewSeconds ?? 60;
  const now = options.now ?? (() => new Date());
  const accounts = options.accounts ?? defaultDistributorAccounts();
  let created = 0;

  const byInternalId = (id: string): KeeperDistributorAccount | undefined => accounts.find((a) => a.vendorInternalId === id);
  const byPartnerId = (id: string): KeeperDistributorAccount | undefined => accounts.find((a) => a.partnerId === id);

  async function authorize(req: SimRequest): Promise<SimResponse | undefined> {
    const match = /^Bearer (\S+)$/.exec(req.header("authorization") ?? "");
    if (!match || req.header("vendor") !== vendorName) return UNAUTHORIZED();
    try {
      const { payload } = await jwtVerify(match[1], key, {
        algorithms: ["HS512"],
        issuer: partnerKey,
        currentDate: now(),
        clockTolerance: skew,
        requiredClaims: ["iat", "exp"],
        // Also refuses an iat further in the future than the skew (the seed's Java sample reads local
        // time as UTC, keeper.md B).
        maxTokenAge: KEEPER_JWT_LIFETIME_SECONDS,
      });
      if ((payload.exp as number) - (payload.iat as number) > KEEPER_JWT_LIFETIME_SECONDS) return UNAUTHORIZED();
    } catch {
      return UNAUTHORIZED();
    }
    return undefined;
  }

  /** The JSON object body; anything else counts as an empty body, so its first field is "required". */
  function bodyOf(req: SimRequest): Body {
    const parsed = req.json<unknown>();
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Body) : {};
  }

  /** The named fields as non-empty strings, or the 400 for the first one missing. */
  function required(body: Body, ...fields: string[]): string[] | SimResponse {
    const values: string[] = [];
    for (const field of fields) {
      const value = body[field];
      if (typeof value !== "string" || value.trim() === "") return fail(400, `${field} is required`);
      values.push(value);
    }
    return values;
  }

  const route = (name: string, method: "GET" | "POST", handler: (req: SimRequest) => SimResponse): RouteDef => ({
    name,
    method,
    path: `${KEEPER_DISTRIBUTOR_PREFIX}/${name}`,
    async handle(req) {
      return (await authorize(req)) ?? handler(req);
    },
  });

  /** One state-machine step: find the account by `keyField`, check its status, apply `to` (null: delete). */
  const transition = (name: string, keyField: "vendorInternalId" | "partnerId", from: readonly string[], to: string | null, message: string): RouteDef =>
    route(name, "POST", (req) => {
      const fields = required(bodyOf(req), keyField);
      if (!Array.isArray(fields)) return fields;
      const account = keyField === "partnerId" ? byPartnerId(fields[0]) : byInternalId(fields[0]);
      if (!account) return notFound();
      if (!from.includes(account.status)) return fail(400, `Account status is ${account.status}`);
      if (to === null) accounts.splice(accounts.indexOf(account), 1);
      else account.status = to;
      return ok(message);
    });

  const routes: RouteDef[] = [
    route("accounts", "GET", () => ({
      status: 200,
      body: {
        success: true,
        // keeper.md B: exactly companyName, vendorInternalId, status; conflicts add their one field.
        accounts: accounts.map((a) => ({
          companyName: a.companyName,
          vendorInternalId: a.vendorInternalId,
          status: a.status,
          ...(a.status === "REGION_CONFLICT" && a.accountRegion !== undefined ? { accountRegion: a.accountRegion } : {}),
          ...(a.status === "PRODUCT_CONFLICT" && a.productType !== undefined ? { productType: a.productType } : {}),
        })),
      },
    })),

    route("msp-products", "GET", () => ({
      status: 200,
      body: {
        success: true,
        products: KEEPER_PRODUCT_TABLE.map((p) => ({ productId: new LosslessNumber(String(p.productId)), productName: p.productName })),
      },
    })),

    route("current-usage", "POST", (req) => {
      const fields = required(bodyOf(req), "vendorInternalId");
      if (!Array.isArray(fields)) return fields;
      const account = byInternalId(fields[0]);
      if (!account) return notFound();
      if (NOT_ACTIVATED.has(account.status)) return notActive();
      return { status: 200, body: account.current };
    }),

    route("monthly-usage", "POST", (req) => {
      const body = bodyOf(req);
      const id = required(body, "vendorInternalId");
      if (!Array.isArray(id)) return id;
      // keeper.md quirk 2: month zero-padded ("08") and year 4 digits ("2021"), both strings; a number
      // (8) is present but invalid.
      const monthText = body.month;
      if (monthText === undefined || monthText === null || monthText === "") return fail(400, "month is required");
      if (typeof monthText !== "string" || !/^(0[1-9]|1[0-2])$/.test(monthText)) return fail(400, "Invalid month");
      const yearText = body.year;
      if (yearText === undefined || yearText === null || yearText === "") return fail(400, "year is required");
      if (typeof yearText !== "string" || !/^[1-9]\d{3}$/.test(yearText)) return fail(400, "Invalid year");
      const vendorInternalId = id[0];
      const month = Number(monthText);
      const year = Number(yearText);
      const today = now();
      if (year * 12 + month > today.getUTCFullYear() * 12 + today.getUTCMonth() + 1) return fail(400, "Invalid month");
      const account = byInternalId(vendorInternalId);
      if (!account) return notFound();
      if (NOT_ACTIVATED.has(account.status)) return notActive();
      const verbatim = account.verbatimMonths?.[monthKey(year, month)];
      if (verbatim !== undefined) return { status: 200, body: verbatim };
      return {
        status: 200,
        body: generateMonthlyUsage(account.current, { year, month, seedKey: `keeper-distributor|${account.vendorInternalId}`, totalKey: account.totalKey }),
      };
    }),

    route("create-trial-account", "POST", (req) => {
      const body = bodyOf(req);
      const fields = required(body, "name", "country", "email", "vendorInternalId");
      if (!Array.isArray(fields)) return fields;
      const [name, country, email, vendorInternalId] = fields;
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return fail(400, "Invalid email");
      if (!ISO_3166_ALPHA2.has(country)) return fail(400, "Invalid country");
      if (byInternalId(vendorInternalId)) return { status: 200, body: { success: false, message: "Account already exists" } };
      created += 1;
      const optional = (field: string): string | undefined => (typeof body[field] === "string" ? (body[field] as string) : undefined);
      const state = optional("state");
      const details: KeeperPartnerDetails = {
        partnerId: keeperPartnerId(`${vendorInternalId}|created-${created}`),
        // The request carries no person: seed 001's answer shows these placeholders.
        "first name": "John",
        "last name": "Doe",
        country,
        locale: "en_US",
        ...(state !== undefined ? { state: country === "US" ? (US_STATES[state.toUpperCase()] ?? state) : state } : {}),
        ...(optional("city") !== undefined ? { city: optional("city") } : {}),
        ...(optional("street") !== undefined ? { street: optional("street") } : {}),
        ...(optional("zipCode") !== undefined ? { zipCode: optional("zipCode") } : {}),
        ...(optional("phone") !== undefined ? { phone: optional("phone") } : {}),
        email,
        vendorInternalId,
        trial: true,
        showPricingInMSPConsole: body.showPricingInMSPConsole === true,
      };
      accounts.push({
        partnerId: details.partnerId,
        vendorInternalId,
        companyName: name,
        status: "PENDING",
        current: generateCurrentUsage(vendorInternalId, 0, { mspName: name, idBase: 60000 + created }),
        totalKey: "total",
        partnerDetails: details,
      });
      return { status: 200, body: { success: true, partnerDetails: details } };
    }),

    transition("convert-to-paid", "vendorInternalId", ["TRIAL"], "ACTIVE", KEEPER_SUCCESS_MESSAGES.convertToPaid),
    transition("activate-expired", "vendorInternalId", ["EXPIRED"], "ACTIVE", KEEPER_SUCCESS_MESSAGES.activateExpired),
    transition("cancel-paid-account", "partnerId", ["ACTIVE"], "EXPIRED", KEEPER_SUCCESS_MESSAGES.cancelPaidAccount),
    transition("remove-account", "partnerId", ["PENDING", "REGION_CONFLICT", "PRODUCT_CONFLICT"], null, KEEPER_SUCCESS_MESSAGES.removeAccount),
  ];

  const handle = await startSimulator({
    name: "keeper-distributor",
    host: options.host,
    port: options.port,
    routes,
    faultBody: (status) => ({ success: false, message: STATUS_CODES[status] ?? `Error ${status}` }),
    notFound: () => fail(404, "Not Found"),
  });

  /** Simulator-only status change; throws when the account is missing or not in `from`. */
  const move = (vendorInternalId: string, from: string, to: string): void => {
    const account = byInternalId(vendorInternalId);
    if (!account) throw new Error(`keeper-distributor simulator: no account ${vendorInternalId}`);
    if (account.status !== from) throw new Error(`keeper-distributor simulator: ${vendorInternalId} is ${account.status}, not ${from}`);
    account.status = to;
  };

  return {
    ...handle,
    accounts,
    account: byInternalId,
    acceptInvite: (vendorInternalId) => move(vendorInternalId, "PENDING", "TRIAL"),
    expireTrial: (vendorInternalId) => move(vendorInternalId, "TRIAL", "EXPIRED"),
  };
}
