/** Vendor faults: retries for reads only, partial data with typed errors, and no secret anywhere. */
import { KEEPER_DISTRIBUTOR_SANDBOX } from "../../src/vendors/keeper-distributor/simulator/server";
import { KEEPER_MSP_SANDBOX_TOKEN } from "../../src/vendors/keeper-msp/simulator/server";
import { startTestGateway, type TestGateway } from "../helpers/gateway";

let t: TestGateway;
let tenant = 0;
/** A fresh caller scope per test, so the cross-request cache never hides a fault. */
const freshToken = () => t.token("*", `faults-${++tenant}`);

beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());
beforeEach(() => t.resetCalls());

const MSP_COMPANIES = `{ partner(id: "partner:keeper-msp:self") { name managedCompanies { totalCount } } }`;

describe("retries", () => {
  it("retries a read on 503 and answers", async () => {
    t.sandbox.keeperMsp.faults.next("current-usage", { status: 503 });
    const res = await t.gql(MSP_COMPANIES, undefined, await freshToken());
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.partner.managedCompanies.totalCount).toBe(27);
    expect(t.sandbox.keeperMsp.calls.count("current-usage")).toBe(2);
  });

  it("retries a read on 429 after Retry-After", async () => {
    t.sandbox.keeperDistributor.faults.next("accounts", { status: 429, retryAfter: 0 });
    const res = await t.gql(`{ subscriptions(filter: { connectionId: "keeper-distributor" }) { totalCount } }`, undefined, await freshToken());
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.subscriptions.totalCount).toBe(9);
    expect(t.sandbox.keeperDistributor.calls.count("accounts")).toBe(2);
  });

  it("gives VENDOR_RATE_LIMITED with retryAfterSeconds when Retry-After is beyond the cap", async () => {
    t.sandbox.keeperMsp.faults.next("current-usage", { status: 429, retryAfter: 600 });
    const res = await t.gql(MSP_COMPANIES, undefined, await freshToken());
    const error = res.body.errors!.find((e) => e.extensions?.code === "VENDOR_RATE_LIMITED");
    expect(error?.extensions).toMatchObject({ vendor: "KEEPER", connectionId: "keeper-msp", retryAfterSeconds: 600 });
    expect(t.sandbox.keeperMsp.calls.count("current-usage")).toBe(1);
  });

  it("never retries a mutation", async () => {
    t.sandbox.keeperDistributor.faults.next("convert-to-paid", { status: 503 });
    const res = await t.gql(`mutation { convertToPaid(input: { connectionId: "keeper-distributor", vendorInternalId: "fabrikam-003" }) { message } }`);
    expect(res.body.data!.convertToPaid).toBeNull();
    expect(res.body.errors![0].extensions).toMatchObject({ code: "VENDOR_UNAVAILABLE", upstreamStatus: 503 });
    expect(t.sandbox.keeperDistributor.calls.count("convert-to-paid")).toBe(1);
  });
});

describe("a failing connection degrades only its own fields", () => {
  it("nulls the failing partner's companies and keeps everyone else's", async () => {
    t.sandbox.keeperMsp.faults.next("current-usage", { status: 500 }).times(3);
    const res = await t.gql(`{ partners { nodes { id managedCompanies { totalCount } } } }`, undefined, await freshToken());
    const nodes = res.body.data!.partners.nodes;
    const msp = nodes.find((p: any) => p.id === "partner:keeper-msp:self");
    expect(msp.managedCompanies).toBeNull();
    expect(nodes.find((p: any) => p.id === "partner:keeper-distributor:northwind-002").managedCompanies.totalCount).toBe(30);
    const error = res.body.errors!.find((e) => e.extensions?.connectionId === "keeper-msp");
    expect(error?.extensions?.code).toBe("VENDOR_UNAVAILABLE");
    expect(error?.path).toEqual(["partners", "nodes", nodes.indexOf(msp), "managedCompanies"]);
  });

  it("keeps a cross-connection list's healthy part and reports the failed connection", async () => {
    t.sandbox.keeperDistributor.faults.next("accounts", { status: 401 });
    const res = await t.gql(`{ managedCompanies(first: 1000, filter: { vendor: KEEPER }) { totalCount nodes { connectionId } } }`, undefined, await freshToken());
    expect(res.body.data!.managedCompanies.totalCount).toBe(27);
    expect(new Set(res.body.data!.managedCompanies.nodes.map((n: any) => n.connectionId))).toEqual(new Set(["keeper-msp"]));
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0]).toMatchObject({
      path: ["managedCompanies"],
      extensions: { code: "VENDOR_AUTH_FAILED", vendor: "KEEPER", connectionId: "keeper-distributor", upstreamStatus: 401 },
    });
  });

  it("reports a malformed body as VENDOR_BAD_RESPONSE", async () => {
    t.sandbox.keeperMsp.faults.next("current-usage", { body: '{"success":true,"usage":{"mcItems":[{"companyId":"x","products":[{"productId":"abc"' });
    const res = await t.gql(MSP_COMPANIES, undefined, await freshToken());
    expect(res.body.errors![0].extensions).toMatchObject({ code: "VENDOR_BAD_RESPONSE", connectionId: "keeper-msp" });
  });

  it("does not cache a body it could not read: the next request fetches again", async () => {
    const token = await freshToken();
    t.sandbox.keeperMsp.faults.next("current-usage", { body: "not json at all" });
    const bad = await t.gql(MSP_COMPANIES, undefined, token);
    expect(bad.body.errors![0].extensions?.code).toBe("VENDOR_BAD_RESPONSE");
    const good = await t.gql(MSP_COMPANIES, undefined, token);
    expect(good.body.errors).toBeUndefined();
    expect(good.body.data!.partner.managedCompanies.totalCount).toBe(27);
    expect(t.sandbox.keeperMsp.calls.count("current-usage")).toBe(2);
  });

  it("reports a body that fails wire checks as VENDOR_BAD_RESPONSE naming the field", async () => {
    t.sandbox.keeperMsp.faults.next("current-usage", {
      body: '{"success":true,"usage":{"mcItems":[{"companyId":"x","companyName":"X","products":[{"productId":720,"quantity":"lots"}]}]}}',
    });
    const res = await t.gql(MSP_COMPANIES, undefined, await freshToken());
    expect(res.body.errors![0].extensions?.code).toBe("VENDOR_BAD_RESPONSE");
    expect(res.body.errors![0].message).toContain("usage.mcItems[0].products[0].quantity");
  });

  it("turns success:false on a 200 into VENDOR_REJECTED with Keeper's message", async () => {
    t.sandbox.keeperMsp.faults.next("current-usage", { body: '{"success":false,"message":"Something is off"}' });
    const res = await t.gql(MSP_COMPANIES, undefined, await freshToken());
    expect(res.body.errors![0].extensions).toMatchObject({ code: "VENDOR_REJECTED", upstreamCode: "Something is off" });
  });

  it("gives VENDOR_UNAVAILABLE on repeated resets, after retrying", async () => {
    t.sandbox.keeperMsp.faults.next("current-usage", { reset: true }).times(3);
    const reset = await t.gql(MSP_COMPANIES, undefined, await freshToken());
    expect(reset.body.errors![0].extensions?.code).toBe("VENDOR_UNAVAILABLE");
    expect(t.sandbox.keeperMsp.calls.count("current-usage")).toBe(3);
  });

  it("gives up on a hanging vendor after the headers timeout and retries", async () => {
    t.sandbox.keeperMsp.faults.next("current-usage", { hang: true });
    const res = await t.gql(MSP_COMPANIES, undefined, await freshToken());
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.partner.managedCompanies.totalCount).toBe(27);
    expect(t.sandbox.keeperMsp.calls.list("current-usage").map((c) => c.outcome)).toEqual(["hang", 200]);
  });
});

describe("secrets", () => {
  it("never appear in logs or responses while faults are injected", async () => {
    const token = await freshToken();
    t.sandbox.keeperMsp.faults.next("current-usage", { status: 401 });
    t.sandbox.keeperMsp.faults.next("billing-usage", { status: 500 }).times(3);
    t.sandbox.keeperDistributor.faults.next("accounts", { reset: true });
    t.sandbox.keeperDistributor.faults.next("current-usage", { body: "<html>oops</html>" });
    t.sandbox.keeperDistributor.faults.next("monthly-usage", { status: 429, retryAfter: 900 });
    const res = await t.gql(
      `{ partners { nodes { name managedCompanies { totalCount } invoice(period: "2025-08") { total { amount } } } } }`,
      undefined,
      token,
    );
    expect(res.body.errors!.length).toBeGreaterThan(2);
    const jwtsSent = t.sandbox.keeperDistributor.calls.list().map((c) => String(c.headers.authorization).replace("Bearer ", ""));
    expect(jwtsSent.length).toBeGreaterThan(0);
    const secrets = [KEEPER_MSP_SANDBOX_TOKEN, KEEPER_DISTRIBUTOR_SANDBOX.secret, KEEPER_DISTRIBUTOR_SANDBOX.partnerKey, t.sandbox.callerSecret, token, ...jwtsSent];
    const logs = t.logs.join("\n");
    expect(logs).toContain("upstream call");
    for (const s of secrets) {
      expect(logs).not.toContain(s);
      expect(res.text).not.toContain(s);
    }
  });
});
