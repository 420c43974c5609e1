/** Keeper Admin REST API (MSP billing): both endpoints and their error statuses, over real HTTP. */
import { request } from "undici";
import { Secret } from "../../../src/domain/secret";
import { reconcile } from "../../../src/domain/reconcile";
import { createKeeperMspConnector, KEEPER_MSP_SELF } from "../../../src/vendors/keeper-msp";
import {
  createKeeperMspSimulator,
  KEEPER_MSP_SANDBOX_MC_TOKEN,
  KEEPER_MSP_SANDBOX_TOKEN,
  type KeeperMspSimulator,
} from "../../../src/vendors/keeper-msp/simulator/server";
import { callContext, connectorDeps } from "../../helpers/connector";
import { DisposableStack } from "../../helpers/stack";

const stack = new DisposableStack();
let sim: KeeperMspSimulator;
afterAll(() => stack.dispose());
beforeAll(async () => {
  sim = stack.use(await createKeeperMspSimulator());
});
beforeEach(() => {
  sim.calls.reset();
  sim.faults.clear();
});

const connector = (token: string) =>
  createKeeperMspConnector({ id: "msp-1", baseUrl: sim.url, apiToken: new Secret(token) }, connectorDeps(stack));

describe("keeper-msp connector", () => {
  it("reads current usage with x-api-token: Bearer <token>", async () => {
    const { value } = await connector(KEEPER_MSP_SANDBOX_TOKEN).getCurrentUsage(callContext(stack), KEEPER_MSP_SELF);
    expect(value.partnerName).toBe("QaMspNfl");
    expect(value.companies).toHaveLength(27);
    expect(value.partnerUsage.find((u) => u.productKey === "967")).toMatchObject({ unit: "KCM users" });
    expect(sim.calls.last("current-usage")!.headers["x-api-token"]).toBe(`Bearer ${KEEPER_MSP_SANDBOX_TOKEN}`);
    expect(sim.calls.last("current-usage")!.headers.authorization).toBeUndefined();
  });

  it("asks monthly usage with an integer month without leading zero and a 4-digit year", async () => {
    const { value } = await connector(KEEPER_MSP_SANDBOX_TOKEN).getStatement(callContext(stack), KEEPER_MSP_SELF, { year: 2025, month: 8 });
    expect(sim.calls.last("billing-usage")!.query).toEqual({ month: "8", year: "2025" });
    expect(value!.reported.byCurrency.map((c) => [c.currency, c.total!.toFixed()])).toEqual([["USD", "2387.74"]]);
    expect(reconcile(value!)).toMatchObject({ balanced: true });
    expect(reconcile(value!).linesTotals.map((t) => [t.currency, t.amount!.toFixed()])).toEqual([["USD", "2387.74"]]);
  });

  it("reconciles generated months exactly too", async () => {
    const c = connector(KEEPER_MSP_SANDBOX_TOKEN);
    for (const month of [1, 2, 6, 12]) {
      const { value } = await c.getStatement(callContext(stack), KEEPER_MSP_SELF, { year: 2024, month });
      const r = reconcile(value!);
      expect({ month, balanced: r.balanced, differences: r.differences }).toEqual({ month, balanced: true, differences: [] });
      expect(value!.lines.some((l) => !l.quantity.isInteger())).toBe(true);
    }
  });

  it("maps 401 (unknown token) and 403 (a managed company's token) to VENDOR_AUTH_FAILED", async () => {
    await expect(connector("wrong").getCurrentUsage(callContext(stack), KEEPER_MSP_SELF)).rejects.toMatchObject({
      code: "VENDOR_AUTH_FAILED",
      details: { upstreamStatus: 401, upstreamCode: "Unauthorized" },
    });
    await expect(connector(KEEPER_MSP_SANDBOX_MC_TOKEN).getStatement(callContext(stack), KEEPER_MSP_SELF, { year: 2025, month: 8 })).rejects.toMatchObject({
      code: "VENDOR_AUTH_FAILED",
      details: { upstreamStatus: 403, upstreamCode: "Access denied" },
    });
    expect(sim.calls.count()).toBe(2);
  });

  it("maps 400 (a month Keeper refuses) to VENDOR_REJECTED without retrying", async () => {
    await expect(connector(KEEPER_MSP_SANDBOX_TOKEN).getStatement(callContext(stack), KEEPER_MSP_SELF, { year: 2999, month: 1 })).rejects.toMatchObject({
      code: "VENDOR_REJECTED",
      details: { upstreamStatus: 400, upstreamCode: "month is missing or invalid" },
    });
    expect(sim.calls.count("billing-usage")).toBe(1);
  });

  it("maps a persistent 500 to VENDOR_UNAVAILABLE after its retries", async () => {
    sim.faults.next("billing-usage", { status: 500 }).times(3);
    await expect(connector(KEEPER_MSP_SANDBOX_TOKEN).getStatement(callContext(stack), KEEPER_MSP_SELF, { year: 2025, month: 7 })).rejects.toMatchObject({
      code: "VENDOR_UNAVAILABLE",
      details: { upstreamStatus: 500 },
    });
    expect(sim.calls.count("billing-usage")).toBe(3);
  });
});

describe("keeper-msp simulator contract", () => {
  const get = async (path: string, token = KEEPER_MSP_SANDBOX_TOKEN) => {
    const res = await request(`${sim.url}${path}`, { headers: token ? { "x-api-token": `Bearer ${token}` } : {} });
    return { status: res.statusCode, body: (await res.body.json()) as { success: boolean; message?: string } };
  };

  it.each([
    ["month missing", "?year=2025", "month is missing or invalid"],
    ["month 13", "?month=13&year=2025", "month is missing or invalid"],
    ["month with a leading zero", "?month=08&year=2025", "month is missing or invalid"],
    ["month not an integer", "?month=8.5&year=2025", "month is missing or invalid"],
    ["year missing", "?month=8", "year is missing or invalid"],
    ["two-digit year", "?month=8&year=25", "year is missing or invalid"],
  ])("answers 400 for %s", async (_name, query, message) => {
    expect(await get(`/bi_api/rest/public/msp/billing-usage${query}`)).toEqual({ status: 400, body: { success: false, message } });
  });

  it("answers 401 without the header and for a bare token, 403 for an MC token", async () => {
    expect((await get("/bi_api/rest/public/msp/current-usage", "")).status).toBe(401);
    const bare = await request(`${sim.url}/bi_api/rest/public/msp/current-usage`, { headers: { "x-api-token": KEEPER_MSP_SANDBOX_TOKEN } });
    await bare.body.dump();
    expect(bare.statusCode).toBe(401);
    expect(await get("/bi_api/rest/public/msp/current-usage", KEEPER_MSP_SANDBOX_MC_TOKEN)).toEqual({ status: 403, body: { success: false, message: "Access denied" } });
  });

  it("accepts a zero-padded month when switched to", async () => {
    const lenient = stack.use(await createKeeperMspSimulator({ acceptZeroPaddedMonth: true }));
    const res = await request(`${lenient.url}/bi_api/rest/public/msp/billing-usage?month=08&year=2025`, { headers: { "x-api-token": `Bearer ${KEEPER_MSP_SANDBOX_TOKEN}` } });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toContain("2387.74");
  });
});

const MSP = '"mspItem":{"companyId":"NDU5Njg","companyName":"QaMspNfl","products":[{"productId":720,"quantity":31}]}';

describe("keeper-msp list shapes", () => {
  it.each([
    ["usage without mcItems", `{"success":true,"usage":{${MSP}}}`, "usage.mcItems"],
    ["mcItems that is an object", `{"success":true,"usage":{${MSP},"mcItems":{"companyId":"x"}}}`, "usage.mcItems"],
    ["a company without products", `{"success":true,"usage":{${MSP},"mcItems":[{"companyId":"x","companyName":"X"}]}}`, "usage.mcItems[0].products"],
    ["a company item that is not an object", `{"success":true,"usage":{${MSP},"mcItems":["x"]}}`, "usage.mcItems"],
  ])("answers current usage with %s as VENDOR_BAD_RESPONSE", async (_name, body, field) => {
    sim.faults.next("current-usage", { body });
    await expect(connector(KEEPER_MSP_SANDBOX_TOKEN).getCurrentUsage(callContext(stack), KEEPER_MSP_SELF)).rejects.toMatchObject({ code: "VENDOR_BAD_RESPONSE", message: expect.stringContaining(field) });
  });

  it("still reads an MSP with no managed companies (mcItems: [])", async () => {
    sim.faults.next("current-usage", { body: `{"success":true,"usage":{${MSP},"mcItems":[]}}` });
    const { value } = await connector(KEEPER_MSP_SANDBOX_TOKEN).getCurrentUsage(callContext(stack), KEEPER_MSP_SELF);
    expect(value.companies).toEqual([]);
    expect(value.partnerUsage.map((u) => u.productKey)).toEqual(["720"]);
  });

  it("answers a monthly statement whose company has no products list as VENDOR_BAD_RESPONSE", async () => {
    sim.faults.next("billing-usage", { body: `{"success":true,"usage":{"total":0,"currency":"USD",${MSP},"mcItems":[{"companyId":"x","companyName":"X","total":0}]}}` });
    await expect(connector(KEEPER_MSP_SANDBOX_TOKEN).getStatement(callContext(stack), KEEPER_MSP_SELF, { year: 2025, month: 8 })).rejects.toMatchObject({ code: "VENDOR_BAD_RESPONSE", message: expect.stringContaining("usage.mcItems[0].products") });
  });
});
