/**
 * Simulator of Keeper's Admin REST API, MSP billing (keeper.md, section A): `x-api-token: Bearer <token>`,
 * GET billing-usage?month=8&year=2025 with its 400/401/403 semantics, GET current-usage. The seed month
 * (2025-08) answers with seed 001's monthly sample verbatim; other months are generated from the
 * account's current usage. Calls are counted and faults injected through the simulator kit.
 */
import { startSimulator, type SimRequest, type SimResponse, type SimulatorHandle } from "../../../simulator-kit";
import { KEEPER_MSP_PREFIX } from "../../keeper/wire";
import { currentUsageBody, monthlyUsageBody, seedSnapshot, type SimSnapshot } from "../../keeper/simulator/fixtures";
import { SEED_MONTH, SEED_MONTHLY_USAGE_TEXT } from "../../keeper/simulator/seed-samples";

/** Sandbox credentials (not secrets: they only open the in-process simulator). */
export const KEEPER_MSP_SANDBOX_TOKEN = "sandbox-msp-billing-token";
/** A token that belongs to a managed company: the API answers 403 to it. */
export const KEEPER_MSP_SANDBOX_MC_TOKEN = "sandbox-mc-token";

export interface KeeperMspSimulatorOptions {
  tokens?: Array<{ token: string; role: "msp" | "mc" }>;
  /** keeper.md: rejecting "08" is an assumption, so it is a switch (default: rejected). */
  acceptZeroPaddedMonth?: boolean;
  now?: () => Date;
  snapshot?: SimSnapshot;
  host?: string;
  port?: number;
}

export interface KeeperMspSimulator extends SimulatorHandle {
  /** The account's current usage; tests may change it. */
  snapshot: SimSnapshot;
}

const fail = (status: number, message: string): SimResponse => ({ status, body: { success: false, message } });

export async function createKeeperMspSimulator(options: KeeperMspSimulatorOptions = {}): Promise<KeeperMspSimulator> {
  const tokens = new Map(
    (options.tokens ?? [
      { token: KEEPER_MSP_SANDBOX_TOKEN, role: "msp" as const },
      { token: KEEPER_MSP_SANDBOX_MC_TOKEN, role: "mc" as const },
    ]).map((t) => [t.token, t.role]),
  );
  const now = options.now ?? (() => new Date());
  const state = { snapshot: options.snapshot ?? seedSnapshot() };

  /** keeper.md A: the documented header form only; 401 for a missing or unknown token, 403 for an MC's. */
  function authorize(req: SimRequest): SimResponse | undefined {
    const header = req.header("x-api-token");
    const match = header ? /^Bearer (.+)$/.exec(header) : null;
    const role = match ? tokens.get(match[1]) : undefined;
    if (!role) return fail(401, "Unauthorized");
    if (role === "mc") return fail(403, "Access denied");
    return undefined;
  }

  const monthPattern = options.acceptZeroPaddedMonth ? /^(0?[1-9]|1[0-2])$/ : /^([1-9]|1[0-2])$/;

  const handle = await startSimulator({
    name: "keeper-msp",
    host: options.host,
    port: options.port,
    faultBody: (status) => ({ success: false, message: status >= 500 ? "Internal Server Error" : `Error ${status}` }),
    routes: [
      {
        name: "billing-usage",
        method: "GET",
        path: `${KEEPER_MSP_PREFIX}/billing-usage`,
        handle(req) {
          const denied = authorize(req);
          if (denied) return denied;
          const monthText = req.query.get("month") ?? "";
          const yearText = req.query.get("year") ?? "";
          if (!monthPattern.test(monthText)) return fail(400, "month is missing or invalid");
          if (!/^\d{4}$/.test(yearText)) return fail(400, "year is missing or invalid");
          const month = Number(monthText);
          const year = Number(yearText);
          const today = now();
          if (year * 12 + month > today.getUTCFullYear() * 12 + today.getUTCMonth() + 1) return fail(400, "month is missing or invalid");
          if (year === SEED_MONTH.year && month === SEED_MONTH.month) return { status: 200, body: SEED_MONTHLY_USAGE_TEXT };
          return { status: 200, body: monthlyUsageBody(state.snapshot, { year, month, seedKey: "keeper-msp", totalKey: "total" }) };
        },
      },
      {
        name: "current-usage",
        method: "GET",
        path: `${KEEPER_MSP_PREFIX}/current-usage`,
        handle(req) {
          return authorize(req) ?? { status: 200, body: currentUsageBody(state.snapshot) };
        },
      },
    ],
    notFound: () => fail(404, "Not Found"),
  });

  return {
    ...handle,
    get snapshot() {
      return state.snapshot;
    },
    set snapshot(value: SimSnapshot) {
      state.snapshot = value;
    },
  };
}
