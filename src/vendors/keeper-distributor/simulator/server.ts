/**
 * Simulator of Keeper's distributor "mspvendor" API (keeper.md, section B): nine endpoints behind an
 * HS512 JWT (iss = partner key, exp at most 5 minutes after iat, a little clock skew allowed) plus the
 * `vendor` header; the account state machine PENDING → TRIAL → ACTIVE → EXPIRED (→ ACTIVE again), the
 * conflict states and remove-account; `success:false` bodies on 200 for unknown accounts.
 */
import { randomUUID } from "node:crypto";
import { jwtVerify } from "jose";
import { startSimulator, type SimRequest, type SimResponse, type SimulatorHandle } from "../../../simulator-kit";
import { KEEPER_DISTRIBUTOR_PREFIX, KEEPER_SUCCESS_MESSAGES } from "../../keeper/wire";
import {
  currentUsageBody,
  generateSnapshot,
  monthlyUsageBody,
  seedSnapshot,
  type SimSnapshot,
} from "../../keeper/simulator/fixtures";
import { SEED_MONTH, SEED_MONTHLY_USAGE_TEXT } from "../../keeper/simulator/seed-samples";

/** Sandbox credentials (they only open the in-process simulator). */
export const KEEPER_DISTRIBUTOR_SANDBOX = {
  partnerKey: "sandbox-partner-key",
  secret: "sandbox-distributor-preshared-secret-0123456789",
  vendorName: "sandbox-distributor",
} as const;

export type KeeperAccountStatus = "PENDING" | "TRIAL" | "ACTIVE" | "EXPIRED" | "REGION_CONFLICT" | "PRODUCT_CONFLICT" | (string & {});

export interface SimAccount {
  partnerId: string;
  vendorInternalId: string;
  companyName: string;
  status: KeeperAccountStatus;
  accountRegion?: string;
  productType?: string;
  email?: string;
  country?: string;
  snapshot: SimSnapshot;
  /** Monthly bodies use `totalCost` for some accounts, `total` for others (both in seed 001). */
  totalKey: "total" | "totalCost";
}

/** A distributor with linked MSPs in every state, plus one status the contract does not list. */
export function defaultDistributorAccounts(): SimAccount[] {
  const account = (vendorInternalId: string, companyName: string, status: string, companies: number, extra: Partial<SimAccount> = {}, idBase = 50000): SimAccount => ({
    partnerId: `00000000-0000-4000-8000-${String(idBase).padStart(12, "0")}`,
    vendorInternalId,
    companyName,
    status,
    snapshot: companies > 0 ? generateSnapshot(vendorInternalId, companyName, companies, idBase) : generateSnapshot(vendorInternalId, companyName, 0, idBase),
    totalKey: idBase % 2 === 0 ? "total" : "totalCost",
    ...extra,
  });
  return [
    { ...account("qamspnfl-001", "QaMspNfl", "ACTIVE", 0, {}, 45968), snapshot: seedSnapshot(), totalKey: "total" },
    account("northwind-002", "Northwind IT Services", "ACTIVE", 30, {}, 51000),
    account("fabrikam-003", "Fabrikam Secure MSP", "TRIAL", 6, {}, 52001),
    account("contoso-004", "Contoso Managed Services", "ACTIVE", 12, {}, 53000),
    account("tailspin-005", "Tailspin Networks", "PENDING", 0, {}, 54001),
    account("litware-006", "Litware Consulting", "EXPIRED", 4, {}, 55000),
    account("adatum-007", "Adatum EU Partners", "REGION_CONFLICT", 0, { accountRegion: "EU" }, 56001),
    account("proseware-008", "Proseware Inc", "PRODUCT_CONFLICT", 0, { productType: "Enterprise" }, 57000),
    account("wingtip-009", "Wingtip Toys IT", "SUSPENDED", 3, {}, 58001),
  ];
}

/** The seed 001 product table, as msp-products lists it. */
const MSP_PRODUCTS: Array<[number, string]> = [
  [720, "Keeper MSP"], [10001, "Keeper Business"], [10002, "Keeper Business Plus"], [10010, "Keeper Enterprise"],
  [10011, "Keeper Enterprise Plus"], [967, "Keeper Connection Manager Add On"], [968, "Keeper Secrets Manager Add On"],
  [910, "KeeperChat Add On"], [920, "Keeper ARAM Add On"], [930, "Keeper BreachWatch Add On"],
  [940, "Keeper Compliance Reporting Add On"], [1011, "Keeper 1TB Storage Add On"], [1012, "Keeper 10TB Storage Add On"],
  [730, "Dedicated Service & Support"], [973, "Remote Browser Isolation"], [978, "Privilege Access Management"],
];

export interface KeeperDistributorSimulatorOptions {
  partnerKey?: string;
  secret?: string;
  vendorName?: string;
  /** Allowed clock skew for iat/exp (the tolerance Keeper uses is unconfirmed). */
  clockSkewSeconds?: number;
  now?: () => Date;
  accounts?: SimAccount[];
  host?: string;
  port?: number;
}

export interface KeeperDistributorSimulator extends SimulatorHandle {
  accounts: SimAccount[];
  /** The invited user accepts: PENDING → TRIAL (no API does this; it happens by e-mail). */
  acceptInvite(vendorInternalId: string): void;
}

const fail = (status: number, message: string): SimResponse => ({ status, body: { success: false, message } });
const ok = (message: string): SimResponse => ({ status: 200, body: { success: true, message } });
const NOT_FOUND = (): SimResponse => ({ status: 200, body: { success: false, message: "Account not found" } });
const ACTIVE_STATES = new Set(["TRIAL", "ACTIVE", "EXPIRED", "SUSPENDED"]);

export async function createKeeperDistributorSimulator(options: KeeperDistributorSimulatorOptions = {}): Promise<KeeperDistributorSimulator> {
  const partnerKey = options.partnerKey ?? KEEPER_DISTRIBUTOR_SANDBOX.partnerKey;
  const key = new TextEncoder().encode(options.secret ?? KEEPER_DISTRIBUTOR_SANDBOX.secret);
  const vendorName = options.vendorName ?? KEEPER_DISTRIBUTOR_SANDBOX.vendorName;
  const skew = options.clockSkewSeconds ?? 60;
  const now = options.now ?? (() => new Date());
  const accounts: SimAccount[] = options.accounts ?? defaultDistributorAccounts();

  async function authorize(req: SimRequest): Promise<SimResponse | undefined> {
    const match = /^Bearer (\S+)$/.exec(req.header("authorization") ?? "");
    if (!match || req.header("vendor") !== vendorName) return fail(401, "Unauthorized");
    try {
      const { payload } = await jwtVerify(match[1], key, {
        algorithms: ["HS512"],
        issuer: partnerKey,
        currentDate: now(),
        clockTolerance: skew,
        requiredClaims: ["iat", "exp"],
      });
      const iat = payload.iat as number;
      const exp = payload.exp as number;
      // keeper.md B: 5-minute tokens; an iat in the future beyond the skew is refused too.
      if (exp - iat > 300 || iat > now().getTime() / 1000 + skew) return fail(401, "Unauthorized");
    } catch {
      return fail(401, "Unauthorized");
    }
    return undefined;
  }

  function body(req: SimRequest): Record<string, unknown> | undefined {
    const parsed = req.json<Record<string, unknown>>();
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : undefined;
  }

  function requireString(b: Record<string, unknown> | undefined, field: string): string | SimResponse {
    const value = b?.[field];
    return typeof value === "string" && value.trim() !== "" ? value : fail(400, `${field} is required`);
  }

  const byInternalId = (id: string) => accounts.find((a) => a.vendorInternalId === id);
  const byPartnerId = (id: string) => accounts.find((a) => a.partnerId === id);

  type Handler = (req: SimRequest) => SimResponse;
  const route = (name: string, method: "GET" | "POST", handler: Handler) => ({
    name,
    method,
    path: `${KEEPER_DISTRIBUTOR_PREFIX}/${name}`,
    handle: async (req: SimRequest) => (await authorize(req)) ?? handler(req),
  });

  /** Transition keyed on vendorInternalId or partnerId, from the states allowed, with Keeper's fixed message. */
  const transition = (name: string, keyField: "vendorInternalId" | "partnerId", from: string[], to: string | null, message: string) =>
    route(name, "POST", (req) => {
      const id = requireString(body(req), keyField);
      if (typeof id !== "string") return id;
      const account = keyField === "vendorInternalId" ? byInternalId(id) : byPartnerId(id);
      if (!account) return NOT_FOUND();
      if (!from.includes(account.status)) return fail(400, `Account status is ${account.status}`);
      if (to === null) accounts.splice(accounts.indexOf(account), 1);
      else account.status = to;
      return ok(message);
    });

  const handle = await startSimulator({
    name: "keeper-distributor",
    host: options.host,
    port: options.port,
    faultBody: (status) => ({ success: false, message: status >= 500 ? "Internal Server Error" : `Error ${status}` }),
    notFound: () => fail(404, "Not Found"),
    routes: [
      route("accounts", "GET", () => ({
        status: 200,
        body: {
          success: true,
          accounts: accounts.map((a) => ({
            companyName: a.companyName,
            vendorInternalId: a.vendorInternalId,
            status: a.status,
            ...(a.status === "REGION_CONFLICT" && a.accountRegion ? { accountRegion: a.accountRegion } : {}),
            ...(a.status === "PRODUCT_CONFLICT" && a.productType ? { productType: a.productType } : {}),
          })),
        },
      })),
      route("msp-products", "GET", () => ({
        status: 200,
        body: { success: true, products: MSP_PRODUCTS.map(([productId, productName]) => ({ productId, productName })) },
      })),
      route("current-usage", "POST", (req) => {
        const id = requireString(body(req), "vendorInternalId");
        if (typeof id !== "string") return id;
        const account = byInternalId(id);
        if (!account) return NOT_FOUND();
        if (!ACTIVE_STATES.has(account.status)) return { status: 200, body: { success: false, message: "Account is not active" } };
        return { status: 200, body: currentUsageBody(account.snapshot) };
      }),
      route("monthly-usage", "POST", (req) => {
        const b = body(req);
        const id = requireString(b, "vendorInternalId");
        if (typeof id !== "string") return id;
        // keeper.md quirk 2: zero-padded month and the year, as strings.
        if (typeof b?.month !== "string" || !/^(0[1-9]|1[0-2])$/.test(b.month)) return fail(400, "Invalid month");
        if (typeof b?.year !== "string" || !/^\d{4}$/.test(b.year)) return fail(400, "Invalid year");
        const year = Number(b.year);
        const month = Number(b.month);
        const today = now();
        if (year * 12 + month > today.getUTCFullYear() * 12 + today.getUTCMonth() + 1) return fail(400, "Invalid month");
        const account = byInternalId(id);
        if (!account) return NOT_FOUND();
        if (!ACTIVE_STATES.has(account.status)) return { status: 200, body: { success: false, message: "Account is not active" } };
        if (account.vendorInternalId === "qamspnfl-001" && year === SEED_MONTH.year && month === SEED_MONTH.month) {
          return { status: 200, body: SEED_MONTHLY_USAGE_TEXT };
        }
        return { status: 200, body: monthlyUsageBody(account.snapshot, { year, month, seedKey: account.vendorInternalId, totalKey: account.totalKey }) };
      }),
      route("create-trial-account", "POST", (req) => {
        const b = body(req);
        if (!b) return fail(400, "name is required");
        for (const field of ["name", "email", "country", "vendorInternalId"]) {
          const v = requireString(b, field);
          if (typeof v !== "string") return v;
        }
        const email = String(b.email);
        const country = String(b.country);
        if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return fail(400, "email is invalid");
        if (!/^[A-Z]{2}$/.test(country)) return fail(400, "country must be an ISO 3166 alpha-2 code");
        if (byInternalId(String(b.vendorInternalId))) return { status: 200, body: { success: false, message: "Account already exists" } };
        const account: SimAccount = {
          partnerId: randomUUID(),
          vendorInternalId: String(b.vendorInternalId),
          companyName: String(b.name),
          status: "PENDING",
          email,
          country,
          snapshot: generateSnapshot(String(b.vendorInternalId), String(b.name), 0, 60000 + accounts.length),
          totalKey: "total",
        };
        accounts.push(account);
        const str = (v: unknown) => (typeof v === "string" ? v : "");
        return {
          status: 200,
          body: {
            success: true,
            partnerDetails: {
              partnerId: account.partnerId,
              "first name": "John",
              "last name": "Doe",
              country,
              locale: "en_US",
              state: str(b.state),
              city: str(b.city),
              street: str(b.street),
              zipCode: str(b.zipCode),
              phone: str(b.phone),
              email,
              vendorInternalId: account.vendorInternalId,
              trial: true,
              showPricingInMSPConsole: b.showPricingInMSPConsole === true,
            },
          },
        };
      }),
      transition("convert-to-paid", "vendorInternalId", ["TRIAL"], "ACTIVE", KEEPER_SUCCESS_MESSAGES.convertToPaid),
      transition("activate-expired", "vendorInternalId", ["EXPIRED"], "ACTIVE", KEEPER_SUCCESS_MESSAGES.activateExpired),
      transition("cancel-paid-account", "partnerId", ["ACTIVE"], "EXPIRED", KEEPER_SUCCESS_MESSAGES.cancelPaidAccount),
      transition("remove-account", "partnerId", ["PENDING", "REGION_CONFLICT", "PRODUCT_CONFLICT"], null, KEEPER_SUCCESS_MESSAGES.removeAccount),
    ],
  });

  return {
    ...handle,
    accounts,
    acceptInvite(vendorInternalId: string) {
      const account = byInternalId(vendorInternalId);
      if (!account || account.status !== "PENDING") throw new Error(`${vendorInternalId} is not PENDING`);
      account.status = "TRIAL";
    },
  };
}
