/** Bad input: BAD_USER_INPUT before any upstream call; auth: UNAUTHENTICATED. */
import { request } from "undici";
import { signCallerToken } from "../../src/auth/caller";
import { SANDBOX_AUDIENCE, SANDBOX_ISSUER } from "../../src/sandbox";
import { startTestGateway, type TestGateway } from "../helpers/gateway";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());
beforeEach(() => t.resetCalls());

describe("bad input", () => {
  const cases: Array<[string, string, Record<string, unknown> | undefined]> = [
    ["month 13 (literal)", `{ invoices(period: "2025-13") { id } }`, undefined],
    ["month 13 (variable)", `query($p: BillingPeriod!) { invoices(period: $p) { id } }`, { p: "2025-13" }],
    ["a month without its zero", `{ invoiceLines(period: "2025-8") { totalCount } }`, undefined],
    ["a two-digit year", `query($p: BillingPeriod!) { invoiceLines(period: $p) { totalCount } }`, { p: "25-08" }],
    ["a period in the future", `{ invoiceLines(period: "2999-01") { totalCount } }`, undefined],
    ["an unknown connection", `{ invoiceLines(period: "2025-08", filter: { connectionId: "nope" }) { totalCount } }`, undefined],
    ["an unknown connection in a variable", `query($f: InvoiceLineFilter) { invoiceLines(period: "2025-08", filter: $f) { totalCount } }`, { f: { connectionId: "nope" } }],
    ["a malformed partner id", `{ partner(id: "garbage") { name } }`, undefined],
    ["a partner id on an unknown connection", `{ partner(id: "partner:elsewhere:self") { name } }`, undefined],
    ["a company id where a partner id is expected", `{ partner(id: "company:keeper-msp:self:NDU5OTk") { name } }`, undefined],
    ["a partner id as a company filter", `{ invoiceLines(period: "2025-08", filter: { companyId: "partner:keeper-msp:self" }) { totalCount } }`, undefined],
    ["a bad cursor", `{ managedCompanies(after: "not-a-cursor") { totalCount } }`, undefined],
    ["a page too large", `{ managedCompanies(first: 5000) { totalCount } }`, undefined],
    ["a bad period beside a good field", `{ partners { nodes { managedCompanies { totalCount } } } invoices(period: "2025-00") { id } }`, undefined],
    ["an invalid e-mail in a mutation", `mutation { createTrialAccount(input: { connectionId: "keeper-distributor", name: "A", email: "not-an-email", country: "US", vendorInternalId: "x-1" }) { vendorPartnerId } }`, undefined],
    ["a country that is not ISO 3166", `mutation { createTrialAccount(input: { connectionId: "keeper-distributor", name: "A", email: "a@b.test", country: "USA", vendorInternalId: "x-1" }) { vendorPartnerId } }`, undefined],
    ["a phone without a country code", `mutation { createTrialAccount(input: { connectionId: "keeper-distributor", name: "A", email: "a@b.test", country: "US", vendorInternalId: "x-1", phone: "9191919191" }) { vendorPartnerId } }`, undefined],
    ["a lifecycle call on a connection without lifecycle", `mutation { convertToPaid(input: { connectionId: "keeper-msp", vendorInternalId: "x" }) { message } }`, undefined],
  ];

  it.each(cases)("rejects %s with BAD_USER_INPUT and no upstream call", async (_name, query, variables) => {
    const res = await t.gql(query, variables);
    expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(res.body.errors![0].message.length).toBeGreaterThan(10);
    expect(t.upstreamCalls()).toBe(0);
  });
});

describe("caller authentication", () => {
  it.each([
    ["no token", undefined],
    ["a malformed token", "Bearer abc.def"],
    ["a token from another issuer's secret", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJjb25uZWN0aW9ucyI6IioifQ.c2lnbmF0dXJl"],
  ])("answers UNAUTHENTICATED to %s", async (_name, authorization) => {
    const res = await request(t.gateway.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ query: "{ connections { id } }" }),
    });
    expect(res.statusCode).toBe(401);
    expect(((await res.body.json()) as any).errors[0].extensions.code).toBe("UNAUTHENTICATED");
    expect(t.upstreamCalls()).toBe(0);
  });

  it("refuses a token signed with the right secret for another audience", async () => {
    const token = await signCallerToken(t.sandbox.callerSecret, { issuer: SANDBOX_ISSUER, audience: "someone-else", connections: "*", roles: ["billing:read"] });
    const res = await t.gql("{ connections { id } }", undefined, token);
    expect(res.status).toBe(401);
    expect(res.body.errors![0].extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("lets a token with an empty connections list see nothing", async () => {
    const token = await signCallerToken(t.sandbox.callerSecret, { issuer: SANDBOX_ISSUER, audience: SANDBOX_AUDIENCE, connections: [], roles: ["billing:read"] });
    const ok = await t.gql("{ connections { id } }", undefined, token);
    expect(ok.body.data!.connections).toEqual([]); // an empty list is a valid claim: it sees nothing
  });
});
