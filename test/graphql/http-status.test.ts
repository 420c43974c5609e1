/**
 * GraphQL over HTTP status codes (graphql-over-http spec): a refused request is a 4xx with a typed
 * code and reaches no vendor; only a fault of the gateway is a 5xx; a vendor failing in one field is
 * a 200 with partial data. Every case runs for both response media types.
 */
import { request } from "undici";
import { startTestGateway, type TestGateway } from "../helpers/gateway";

let t: TestGateway;
let token: string;
beforeAll(async () => {
  t = await startTestGateway();
  token = await t.token();
});
afterAll(() => t.close());
beforeEach(() => t.resetCalls());

const ACCEPTS = ["application/json", "application/graphql-response+json"] as const;
const GUID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

interface Case {
  name: string;
  /** A GraphQL request, or a raw body. */
  body: { query?: string; variables?: Record<string, unknown>; extensions?: Record<string, unknown> } | string;
  status: number;
  code: string;
  method?: "POST" | "PUT";
  noToken?: boolean;
  contentType?: string;
}

const q = (query: string, variables?: Record<string, unknown>) => ({ query, variables });

const CASES: Case[] = [
  // Periods: literals and variables get the same checks.
  { name: "a malformed period literal", body: q(`{ invoices(period: "2025-13") { id } }`), status: 400, code: "BAD_USER_INPUT" },
  { name: "a malformed period variable", body: q(`query($p: BillingPeriod!) { invoices(period: $p) { id } }`, { p: "2025-13" }), status: 400, code: "BAD_USER_INPUT" },
  { name: "a future period literal", body: q(`{ invoiceLines(period: "2999-01") { totalCount } }`), status: 400, code: "BAD_USER_INPUT" },
  { name: "a future period variable (9999-12)", body: q(`query($p: BillingPeriod!) { invoices(period: $p) { id } }`, { p: "9999-12" }), status: 400, code: "BAD_USER_INPUT" },
  { name: "a future period variable (2999-01)", body: q(`query($p: BillingPeriod!) { invoiceLines(period: $p) { totalCount } }`, { p: "2999-01" }), status: 400, code: "BAD_USER_INPUT" },
  {
    name: "a future period in an input object variable (Webex report)",
    body: q(`mutation($i: RequestBillingReportInput!) { requestBillingReport(input: $i) { id } }`, { i: { partnerId: "partner:webex-wholesale:self", period: "2999-01" } }),
    status: 400,
    code: "BAD_USER_INPUT",
  },
  {
    name: "a future period variable on a nested field (Keeper)",
    body: q(`query($p: BillingPeriod!) { partner(id: "partner:keeper-msp:self") { invoice(period: $p) { documentId } } }`, { p: "9999-12" }),
    status: 400,
    code: "BAD_USER_INPUT",
  },
  // Ids: malformed, of the wrong kind, or not of the vendor's shape.
  { name: "a malformed id", body: q(`{ partner(id: "garbage") { name } }`), status: 400, code: "BAD_USER_INPUT" },
  { name: "a company id where a partner id is expected", body: q(`{ partner(id: "company:keeper-msp:self:NDU5OTk") { name } }`), status: 400, code: "BAD_USER_INPUT" },
  { name: "an id on an unknown connection", body: q(`{ partner(id: "partner:elsewhere:self") { name } }`), status: 400, code: "BAD_USER_INPUT" },
  { name: "a Webex report id with ../", body: q(`{ billingReport(id: "report:webex-wholesale:../../reports") { status } }`), status: 400, code: "BAD_USER_INPUT" },
  { name: "a Webex report id with ../ (variable)", body: q(`query($id: ID!) { billingReport(id: $id) { status } }`, { id: "report:webex-wholesale:..%2F..%2Freports" }), status: 400, code: "BAD_USER_INPUT" },
  { name: "a Webex report id of '..'", body: q(`mutation { deleteBillingReport(id: "report:webex-wholesale:..") { deleted } }`), status: 400, code: "BAD_USER_INPUT" },
  { name: "a marketplace subscription id that is not a GUID", body: q(`{ subscription(id: "subscription:microsoft-marketplace:..%2Fresolve") { status } }`), status: 400, code: "BAD_USER_INPUT" },
  {
    name: "a marketplace operation id that is not a GUID",
    body: q(`{ marketplaceOperation(id: "operation:microsoft-marketplace:${GUID}:..") { status } }`),
    status: 400,
    code: "BAD_USER_INPUT",
  },
  {
    name: "a malformed subscription id in a mutation input",
    body: q(`mutation($i: SubscriptionRefInput!) { cancelSubscription(input: $i) { id } }`, { i: { subscriptionId: "subscription:microsoft-marketplace:x?y#z" } }),
    status: 400,
    code: "BAD_USER_INPUT",
  },
  {
    name: "a malformed subscription id in a list of inputs",
    body: q(
      `mutation($e: [MarketplaceUsageInput!]!) { reportMarketplaceUsageBatch(events: $e) { status } }`,
      { e: [{ subscriptionId: "subscription:microsoft-marketplace:../x", planId: "p", dimension: "d", quantity: "1", effectiveStartTime: new Date().toISOString() }] },
    ),
    status: 400,
    code: "BAD_USER_INPUT",
  },
  {
    name: "a Keeper partnerId that is not a UUID",
    body: q(`mutation { cancelPaidAccount(input: { connectionId: "keeper-distributor", vendorPartnerId: "../accounts" }) { message } }`),
    status: 400,
    code: "BAD_USER_INPUT",
  },
  { name: "a Keeper company id that is not Keeper's", body: q(`{ managedCompany(id: "company:keeper-msp:self:..%2F..") { name } }`), status: 400, code: "BAD_USER_INPUT" },
  // Pages.
  { name: "a bad cursor", body: q(`{ managedCompanies(after: "not-a-cursor") { totalCount } }`), status: 400, code: "BAD_USER_INPUT" },
  { name: "a page size of 100000", body: q(`{ managedCompanies(first: 100000) { totalCount } }`), status: 400, code: "BAD_USER_INPUT" },
  { name: "a negative page size (variable)", body: q(`query($n: Int) { managedCompanies(first: $n) { totalCount } }`, { n: -1 }), status: 400, code: "BAD_USER_INPUT" },
  // The document and the HTTP request itself.
  { name: "an unknown variable type", body: q(`query($p: NoSuchType) { connections { id } }`, { p: 1 }), status: 400, code: "GRAPHQL_VALIDATION_FAILED" },
  { name: "a variable of the wrong type", body: q(`query($n: Int) { managedCompanies(first: $n) { totalCount } }`, { n: "ten" }), status: 400, code: "BAD_USER_INPUT" },
  { name: "a syntax error", body: q(`{ connections { id }`), status: 400, code: "GRAPHQL_PARSE_FAILED" },
  { name: "an unknown field", body: q(`{ nope }`), status: 400, code: "GRAPHQL_VALIDATION_FAILED" },
  { name: "no query", body: {}, status: 400, code: "BAD_REQUEST" },
  { name: "malformed JSON", body: `{"query": "{ connections { id } }"`, status: 400, code: "BAD_REQUEST" },
  { name: "an oversize body", body: JSON.stringify({ query: `{ connections { id } }`, variables: { pad: "x".repeat(2 * 1024 * 1024) } }), status: 413, code: "BAD_REQUEST" },
  { name: "no token", body: q(`{ connections { id } }`), status: 401, code: "UNAUTHENTICATED", noToken: true },
  { name: "an unsupported method", body: q(`{ connections { id } }`), status: 405, code: "BAD_REQUEST", method: "PUT" },
  {
    name: "a persisted-query hash (persisted queries are off)",
    body: { extensions: { persistedQuery: { version: 1, sha256Hash: "ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38" } } },
    status: 400,
    code: "PERSISTED_QUERY_NOT_SUPPORTED",
  },
  { name: "a subscription (the schema has none)", body: q(`subscription { connections { id } }`), status: 400, code: "GRAPHQL_VALIDATION_FAILED" },
  { name: "a JSON body sent as application/graphql", body: q(`{ connections { id } }`), status: 415, code: "BAD_REQUEST", contentType: "application/graphql" },
  { name: "a JSON body sent as text/plain", body: q(`{ connections { id } }`), status: 415, code: "BAD_REQUEST", contentType: "text/plain" },
  { name: "a JSON body said to be UTF-16", body: q(`{ connections { id } }`), status: 415, code: "BAD_REQUEST", contentType: "application/json; charset=utf-16" },
  { name: "a body without a content type", body: q(`{ connections { id } }`), status: 415, code: "BAD_REQUEST", contentType: "" },
];

async function send(c: Case, accept: string, bearer = token) {
  const res = await request(t.gateway.graphqlUrl, {
    method: c.method ?? "POST",
    headers: { ...(c.contentType === "" ? {} : { "content-type": c.contentType ?? "application/json" }), accept, ...(c.noToken ? {} : { authorization: `Bearer ${bearer}` }) },
    body: typeof c.body === "string" ? c.body : JSON.stringify(c.body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, type: String(res.headers["content-type"]), body: JSON.parse(text) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> } };
}

describe.each(ACCEPTS)("a refused request, accept %s", (accept) => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s: exact 4xx, typed code, no vendor call", async (_name, c) => {
    const res = await send(c, accept);
    expect({ status: res.status, code: res.body.errors?.[0]?.extensions?.code, data: res.body.data }).toEqual({ status: c.status, code: c.code, data: undefined });
    expect(t.upstreamCalls()).toBe(0);
  });
});

describe.each(ACCEPTS)("a vendor failing in one field, accept %s", (accept) => {
  it("is a 200 with the other fields' data and the field's typed error", async () => {
    t.sandbox.keeperMsp.faults.next("current-usage", { status: 503 }).times(3);
    const res = await send(
      { name: "partial", status: 200, code: "", body: q(`{ connections { id } partner(id: "partner:keeper-msp:self") { managedCompanies { totalCount } } }`) },
      accept,
      // A caller scope of its own, so no cached answer hides the fault.
      await t.token("*", `partial-${accept}`),
    );
    expect(res.status).toBe(200);
    expect(res.type).toContain(accept);
    const body = res.body as { data: { connections: unknown[]; partner: { managedCompanies: unknown } }; errors: Array<{ extensions: { code: string } }> };
    expect(body.data.connections).toHaveLength(5);
    expect(body.data.partner.managedCompanies).toBeNull();
    expect(body.errors.map((e) => e.extensions.code)).toEqual(["VENDOR_UNAVAILABLE"]);
    expect(t.sandbox.keeperMsp.calls.count("current-usage")).toBe(3);
  });
});

describe("ids in vendor paths", () => {
  it("sends a Webex report id with a '/' (base64 has one) as one encoded segment", async () => {
    const res = await t.gql(`{ billingReport(id: "report:webex-wholesale:Y2lz%2FZm9v") { status } }`);
    expect(res.status).toBe(200);
    expect(res.body.errors?.[0]?.extensions?.code).toBe("VENDOR_REJECTED"); // no such report at Webex
    expect(t.sandbox.webex.calls.list().map((c) => c.path)).toEqual(["/wholesale/billing/reports/Y2lz%2FZm9v"]);
    expect(t.upstreamCalls()).toBe(1);
  });
});

describe("request media types", () => {
  it("takes application/json with a UTF-8 charset, in any case", async () => {
    for (const contentType of ["application/json; charset=utf-8", "Application/JSON;charset=UTF-8", 'application/json; charset="utf-8"']) {
      const res = await send({ name: contentType, status: 200, code: "", body: q(`{ connections { id } }`), contentType }, "application/json");
      expect({ contentType, status: res.status, errors: res.body.errors }).toEqual({ contentType, status: 200, errors: undefined });
    }
  });
});

describe("input refused once execution has started", () => {
  it("is a field error in a 200 (data is present: GraphQL over HTTP wants a 2xx), still with no vendor call", async () => {
    const res = await t.gql(`mutation { createTrialAccount(input: { connectionId: "keeper-distributor", name: "A", email: "not-an-email", country: "US", vendorInternalId: "x-1" }) { vendorPartnerId } }`);
    expect({ status: res.status, data: res.body.data, code: res.body.errors?.[0]?.extensions?.code }).toEqual({ status: 200, data: { createTrialAccount: null }, code: "BAD_USER_INPUT" });
    expect(t.upstreamCalls()).toBe(0);
  });
});
