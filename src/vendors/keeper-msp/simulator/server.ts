/**
 * Simulator of Keeper's Admin REST API, MSP billing (keeper.md, section A). Sandbox mode ships it.
 *
 * - Auth: header `x-api-token: Bearer <token>` only (keeper.md A: "Bearer" lives inside a custom header;
 *   whether a bare token works is unconfirmed, so it is refused). Missing/unknown token → 401; a token
 *   that belongs to a Managed Company → 403 (MCs may not use the billing endpoints).
 * - `GET billing-usage?month=8&year=2025`: month an integer 1–12 without leading zero (rejecting "08" is
 *   an assumption, hence `acceptZeroPaddedMonth`), year 4 digits; 400 otherwise and for a month after the
 *   current one. The seed month answers seed 001's monthly sample verbatim (total 2387.74); other months
 *   are priced from the account's current usage by `generateMonthlyUsage`, deterministically.
 * - `GET current-usage`: the account's current usage (path unconfirmed, keeper.md A).
 * - Error bodies `{"success":false,"message":"..."}` (shape unconfirmed: assumed like API B), injected
 *   faults included. Call log and fault queue come from the simulator kit; routes are named
 *   "billing-usage" and "current-usage".
 */
import { STATUS_CODES } from "node:http";
import { startSimulator, type RouteDef, type SimRequest, type SimResponse, type SimulatorHandle } from "../../../simulator-kit";
import { KEEPER_MSP_PREFIX } from "../../keeper/wire";
import { generateMonthlyUsage, seedCurrentUsage, type KeeperCurrentUsageFixture } from "../../keeper/simulator/fixtures";
import { SEED_MONTH, SEED_MONTHLY_USAGE_TEXT } from "../../keeper/simulator/data/seed-samples";

/** Sandbox token of the MSP root admin (not a secret: it only opens the in-process simulator). */
export const KEEPER_MSP_SANDBOX_TOKEN = "sandbox-msp-billing-token";
/** Sandbox token that belongs to a Managed Company: the billing endpoints answer 403 to it. */
export const KEEPER_MSP_SANDBOX_MC_TOKEN = "sandbox-mc-token";

export type KeeperMspTokenRole = "msp" | "mc";

export interface KeeperMspToken {
  token: string;
  /** "msp": the MSP's root-admin BILLING token; "mc": a Managed Company's token (403). */
  role: KeeperMspTokenRole;
}

/** The tokens a simulator accepts when none are given. */
export const KEEPER_MSP_SANDBOX_TOKENS: readonly KeeperMspToken[] = [
  { token: KEEPER_MSP_SANDBOX_TOKEN, role: "msp" },
  { token: KEEPER_MSP_SANDBOX_MC_TOKEN, role: "mc" },
];

export interface KeeperMspSimulatorOptions {
  /** Known tokens; default KEEPER_MSP_SANDBOX_TOKENS. */
  tokens?: ReadonlyArray<KeeperMspToken>;
  /** Accept "08" for month (keeper.md A: rejecting it is an assumption). Default false: 400. */
  acceptZeroPaddedMonth?: boolean;
  /** Clock for the "no future month" rule; default the real clock. */
  now?: () => Date;
  /**
   * The account's current usage; default seed 001's sample (MSP "QaMspNfl", 27 managed companies).
   * Only with the default does 2025-08 answer the seed's monthly sample verbatim.
   */
  current?: KeeperCurrentUsageFixture;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
}

export interface KeeperMspSimulator extends SimulatorHandle {
  /** The account's current usage. Assigning replaces it, and every month is then generated from it. */
  current: KeeperCurrentUsageFixture;
}

const MONTH_INVALID = "month is missing or invalid";
const YEAR_INVALID = "year is missing or invalid";

const fail = (status: number, message: string): SimResponse => ({ status, body: { success: false, message } });

const monthKey = (year: number, month: number): string => `${year}-${String(month).padStart(2, "0")}`;

export async function createKeeperMspSimulator(options: KeeperMspSimulatorOptions = {}): Promise<KeeperMspSimulator> {
  const tokens = new Map((options.tokens ?? KEEPER_MSP_SANDBOX_TOKENS).map((t) => [t.token, t.role]));
  const now = options.now ?? (() => new Date());
  const monthPattern = options.acceptZeroPaddedMonth ? /^(0?[1-9]|1[0-2])$/ : /^([1-9]|1[0-2])$/;
  const state: { current: KeeperCurrentUsageFixture; verbatimMonths: Map<string, string> } = {
    current: options.current ?? seedCurrentUsage(),
    // Seed 001's monthly sample belongs with its current-usage sample, so only the default account has it.
    verbatimMonths: options.current ? new Map() : new Map([[monthKey(SEED_MONTH.year, SEED_MONTH.month), SEED_MONTHLY_USAGE_TEXT]]),
  };

  function authorize(req: SimRequest): SimResponse | undefined {
    const match = /^Bearer (\S+)$/.exec(req.header("x-api-token") ?? "");
    const role = match ? tokens.get(match[1]) : undefined;
    if (role === undefined) return fail(401, "Unauthorized");
    if (role === "mc") return fail(403, "Access denied");
    return undefined;
  }

  const billingUsage: RouteDef = {
    name: "billing-usage",
    method: "GET",
    path: `${KEEPER_MSP_PREFIX}/billing-usage`,
    handle(req) {
      const denied = authorize(req);
      if (denied) return denied;
      const monthText = req.query.get("month");
      if (monthText === null || !monthPattern.test(monthText)) return fail(400, MONTH_INVALID);
      const yearText = req.query.get("year");
      if (yearText === null || !/^[1-9]\d{3}$/.test(yearText)) return fail(400, YEAR_INVALID);
      const month = Number(monthText);
      const year = Number(yearText);
      const today = now();
      // A month that has not started has no usage: reported as an invalid month (keeper.md A lists no other 400).
      if (year * 12 + month > today.getUTCFullYear() * 12 + today.getUTCMonth() + 1) return fail(400, MONTH_INVALID);
      const verbatim = state.verbatimMonths.get(monthKey(year, month));
      if (verbatim !== undefined) return { status: 200, body: verbatim };
      const seedKey = `keeper-msp|${state.current.usage.mspItem.companyId}`;
      return { status: 200, body: generateMonthlyUsage(state.current, { year, month, seedKey, totalKey: "total" }) };
    },
  };

  const currentUsage: RouteDef = {
    name: "current-usage",
    method: "GET",
    path: `${KEEPER_MSP_PREFIX}/current-usage`,
    handle(req) {
      return authorize(req) ?? { status: 200, body: state.current };
    },
  };

  const handle = await startSimulator({
    name: "keeper-msp",
    host: options.host,
    port: options.port,
    routes: [billingUsage, currentUsage],
    faultBody: (status) => ({ success: false, message: STATUS_CODES[status] ?? `Error ${status}` }),
    notFound: () => fail(404, "Not Found"),
  });

  const replace = (value: KeeperCurrentUsageFixture): void => {
    state.current = value;
    state.verbatimMonths.clear();
  };
  return {
    ...handle,
    get current() {
      return state.current;
    },
    set current(value: KeeperCurrentUsageFixture) {
      replace(value);
    },
  };
}
