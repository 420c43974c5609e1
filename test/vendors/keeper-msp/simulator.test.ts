/**
 * The Keeper Admin REST API simulator (keeper.md A) over real HTTP: auth, validation, the seed month,
 * generated months that reconcile exactly, determinism, faults and call counts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as losslessParse, stringify as losslessStringify } from "lossless-json";
import { request } from "undici";
import { generateCurrentUsage } from "../../../src/vendors/keeper/simulator/fixtures";
import { SEED_CURRENT_USAGE_TEXT, SEED_MONTHLY_USAGE_TEXT } from "../../../src/vendors/keeper/simulator/data/seed-samples";
import type { KeeperCompanyItem } from "../../../src/vendors/keeper/wire";
import {
  createKeeperMspSimulator,
  KEEPER_MSP_SANDBOX_MC_TOKEN,
  KEEPER_MSP_SANDBOX_TOKEN,
  type KeeperMspSimulator,
} from "../../../src/vendors/keeper-msp/simulator/server";
import { dec, expectReconciles } from "../../helpers/keeper-usage";
import { DisposableStack } from "../../helpers/stack";

const stack = new DisposableStack();
/** 2025-11-15: months up to 2025-11 exist, 2025-12 is in the future. */
const NOW = new Date(Date.UTC(2025, 10, 15, 12, 0, 0));
let sim: KeeperMspSimulator;

beforeAll(async () => {
  sim = stack.use(await createKeeperMspSimulator({ now: () => NOW }));
});
afterAll(() => stack.dispose());
beforeEach(() => {
  sim.calls.reset();
  sim.faults.clear();
});

const BILLING = "/bi_api/rest/public/msp/billing-usage";
const CURRENT = "/bi_api/rest/public/msp/current-usage";

async function get(base: string, path: string, headers: Record<string, string> = { "x-api-token": `Bearer ${KEEPER_MSP_SANDBOX_TOKEN}` }) {
  const res = await request(`${base}${path}`, { headers });
  return { status: res.statusCode, text: await res.body.text() };
}

describe("seed samples", () => {
  it("embeds the .json copies byte for byte", () => {
    const dir = join(__dirname, "../../../src/vendors/keeper/simulator/data");
    expect(SEED_CURRENT_USAGE_TEXT).toBe(readFileSync(join(dir, "seed-current-usage.json"), "utf8"));
    expect(SEED_MONTHLY_USAGE_TEXT).toBe(readFileSync(join(dir, "seed-monthly-usage.json"), "utf8"));
  });
});

describe("auth (x-api-token: Bearer <token>)", () => {
  it.each([
    ["no header", {}],
    ["an unknown token", { "x-api-token": "Bearer not-a-token" }],
    ["a bare token without Bearer", { "x-api-token": KEEPER_MSP_SANDBOX_TOKEN }],
    ["a lower-case scheme", { "x-api-token": `bearer ${KEEPER_MSP_SANDBOX_TOKEN}` }],
    ["the token in Authorization instead", { authorization: `Bearer ${KEEPER_MSP_SANDBOX_TOKEN}` }],
  ])("answers 401 to %s", async (_name, headers: Record<string, string>) => {
    for (const path of [`${BILLING}?month=8&year=2025`, CURRENT]) {
      expect(await get(sim.url, path, headers)).toEqual({ status: 401, text: '{"success":false,"message":"Unauthorized"}' });
    }
  });

  it("answers 403 to a managed company's token, on both routes", async () => {
    const mc = { "x-api-token": `Bearer ${KEEPER_MSP_SANDBOX_MC_TOKEN}` };
    for (const path of [`${BILLING}?month=8&year=2025`, CURRENT]) {
      expect(await get(sim.url, path, mc)).toEqual({ status: 403, text: '{"success":false,"message":"Access denied"}' });
    }
  });

  it("checks auth before validation", async () => {
    expect((await get(sim.url, `${BILLING}?month=13`, {})).status).toBe(401);
  });

  it("accepts a custom token list", async () => {
    const custom = stack.use(await createKeeperMspSimulator({ tokens: [{ token: "t-1", role: "msp" }], now: () => NOW }));
    expect((await get(custom.url, CURRENT, { "x-api-token": "Bearer t-1" })).status).toBe(200);
    expect((await get(custom.url, CURRENT)).status).toBe(401);
  });
});

describe("billing-usage validation", () => {
  const MONTH = '{"success":false,"message":"month is missing or invalid"}';
  const YEAR = '{"success":false,"message":"year is missing or invalid"}';
  it.each([
    ["month missing", "?year=2025", MONTH],
    ["month empty", "?month=&year=2025", MONTH],
    ["month 0", "?month=0&year=2025", MONTH],
    ["month 13", "?month=13&year=2025", MONTH],
    ["month with a leading zero", "?month=08&year=2025", MONTH],
    ["month not an integer", "?month=8.5&year=2025", MONTH],
    ["month negative", "?month=-1&year=2025", MONTH],
    ["month a name", "?month=aug&year=2025", MONTH],
    ["month after the current month", "?month=12&year=2025", MONTH],
    ["a future year", "?month=1&year=2026", MONTH],
    ["year missing", "?month=8", YEAR],
    ["two-digit year", "?month=8&year=25", YEAR],
    ["five-digit year", "?month=8&year=20255", YEAR],
    ["year with a leading zero", "?month=8&year=0999", YEAR],
  ])("answers 400 for %s", async (_name, query, text) => {
    expect(await get(sim.url, `${BILLING}${query}`)).toEqual({ status: 400, text });
  });

  it("accepts the current month", async () => {
    expect((await get(sim.url, `${BILLING}?month=11&year=2025`)).status).toBe(200);
  });

  it("accepts a zero-padded month only when switched to", async () => {
    const lenient = stack.use(await createKeeperMspSimulator({ acceptZeroPaddedMonth: true, now: () => NOW }));
    const padded = await get(lenient.url, `${BILLING}?month=08&year=2025`);
    expect(padded).toEqual({ status: 200, text: SEED_MONTHLY_USAGE_TEXT });
    expect((await get(lenient.url, `${BILLING}?month=8&year=2025`)).status).toBe(200);
    expect((await get(lenient.url, `${BILLING}?month=00&year=2025`)).status).toBe(400);
  });
});

describe("billing-usage bodies", () => {
  it("answers seed 001's monthly sample verbatim for 2025-08 (total 2387.74)", async () => {
    const res = await get(sim.url, `${BILLING}?month=8&year=2025`);
    expect(res).toEqual({ status: 200, text: SEED_MONTHLY_USAGE_TEXT });
    const body = expectReconciles(res.text, "total");
    expect((body.usage.total as { value: string }).value).toBe("2387.74");
  });

  it("generates other months from the current usage, reconciling exactly", async () => {
    const current = losslessParse(SEED_CURRENT_USAGE_TEXT) as { usage: { mcItems: KeeperCompanyItem[]; mspItem: KeeperCompanyItem } };
    for (const [year, month] of [[2024, 1], [2024, 2], [2025, 7], [2025, 11]]) {
      const res = await get(sim.url, `${BILLING}?month=${month}&year=${year}`);
      expect(res.status).toBe(200);
      const { usage } = expectReconciles(res.text, "total");
      // Every company of the current usage is billed, under the same opaque ids.
      expect(usage.mspItem.companyId).toBe(current.usage.mspItem.companyId);
      expect(usage.mcItems.map((c) => c.companyId).sort()).toEqual(current.usage.mcItems.map((c) => c.companyId).sort());
      // keeper.md quirk 7: alphabetical, case-insensitive, in monthly usage.
      const names = usage.mcItems.map((c) => c.companyName.toLowerCase());
      expect(names).toEqual([...names].sort());
      const rows = [usage.mspItem, ...usage.mcItems].flatMap((c) => c.products);
      // Quirk 1: some daily-average quantities are fractional.
      expect(rows.some((r) => !dec(r.quantity).isInteger())).toBe(true);
      // Quirk 4: storage is quantity 1 without unit; per-user rows say "user".
      const storage = rows.filter((r) => ["1011", "1012"].includes(String(r.productId)));
      expect(storage.length).toBeGreaterThan(0);
      for (const r of storage) {
        expect(String(r.quantity)).toBe("1");
        expect(r.unit).toBeUndefined();
      }
      expect(rows.filter((r) => r.unit !== undefined).every((r) => r.unit === "user")).toBe(true);
      // Quirk 5: per-company prices. MC Test pays 89 for 10TB storage, as in the seed; others pay 100.
      const tenTb = (c: KeeperCompanyItem) => String(c.products.find((r) => String(r.productId) === "1012")?.unitPrice);
      expect(tenTb(usage.mcItems.find((c) => c.companyName === "MC Test")!)).toBe("89");
      expect(usage.mcItems.filter((c) => c.companyName.endsWith("All Upgrades")).map(tenTb)).toContain("100");
    }
  });

  it("is deterministic: same month, same bytes, across simulator instances; other months differ", async () => {
    const other = stack.use(await createKeeperMspSimulator({ now: () => NOW }));
    const a = await get(sim.url, `${BILLING}?month=3&year=2025`);
    const b = await get(sim.url, `${BILLING}?month=3&year=2025`);
    const c = await get(other.url, `${BILLING}?month=3&year=2025`);
    const d = await get(sim.url, `${BILLING}?month=4&year=2025`);
    expect(b.text).toBe(a.text);
    expect(c.text).toBe(a.text);
    expect(d.text).not.toBe(a.text);
  });

  it("with its own current usage, generates every month, 2025-08 included", async () => {
    const current = generateCurrentUsage("acme-msp", 8, { mspName: "Acme MSP" });
    const own = stack.use(await createKeeperMspSimulator({ now: () => NOW, current }));
    const cur = await get(own.url, CURRENT);
    expect(cur.text).toBe(losslessStringify(current));
    const aug = await get(own.url, `${BILLING}?month=8&year=2025`);
    expect(aug.text).not.toBe(SEED_MONTHLY_USAGE_TEXT);
    const { usage } = expectReconciles(aug.text, "total");
    expect(usage.mspItem.companyName).toBe("Acme MSP");
    expect(usage.mcItems).toHaveLength(8);
  });

  it("assigning `current` replaces the account's data", async () => {
    const own = stack.use(await createKeeperMspSimulator({ now: () => NOW }));
    own.current = generateCurrentUsage("replaced", 3, { mspName: "Replaced MSP" });
    const aug = await get(own.url, `${BILLING}?month=8&year=2025`);
    expect(expectReconciles(aug.text, "total").usage.mspItem.companyName).toBe("Replaced MSP");
  });
});

describe("current-usage", () => {
  it("answers the account's current usage: seed 001's sample by default", async () => {
    const res = await get(sim.url, CURRENT);
    expect(res.status).toBe(200);
    expect(res.text).toBe(losslessStringify(losslessParse(SEED_CURRENT_USAGE_TEXT)));
    const body = losslessParse(res.text) as { usage: { mspItem: KeeperCompanyItem; mcItems: KeeperCompanyItem[] } };
    expect(body.usage.mspItem.companyName).toBe("QaMspNfl");
    expect(body.usage.mcItems).toHaveLength(27);
  });
});

describe("kit behaviour", () => {
  it("applies a queued fault once, with Keeper's error body, and counts both calls", async () => {
    sim.faults.next("current-usage", { status: 503 });
    expect(await get(sim.url, CURRENT)).toEqual({ status: 503, text: '{"success":false,"message":"Service Unavailable"}' });
    expect((await get(sim.url, CURRENT)).status).toBe(200);
    expect(sim.calls.count("current-usage")).toBe(2);
    expect(sim.calls.list("current-usage").map((c) => c.outcome)).toEqual([503, 200]);
  });

  it("counts calls per route, rejected ones included, and answers 404 elsewhere", async () => {
    await get(sim.url, `${BILLING}?month=8&year=2025`);
    await get(sim.url, `${BILLING}?month=13&year=2025`);
    await get(sim.url, CURRENT, {});
    expect(await get(sim.url, "/bi_api/rest/public/msp/other")).toEqual({ status: 404, text: '{"success":false,"message":"Not Found"}' });
    const post = await request(`${sim.url}${CURRENT}`, { method: "POST", headers: { "x-api-token": `Bearer ${KEEPER_MSP_SANDBOX_TOKEN}` } });
    await post.body.dump();
    expect(post.statusCode).toBe(404);
    expect(sim.calls.byRoute()).toEqual({ "billing-usage": 2, "current-usage": 1, unmatched: 2 });
    expect(sim.calls.last("billing-usage")!.query).toEqual({ month: "13", year: "2025" });
  });
});
