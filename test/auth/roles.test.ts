/**
 * Access roles in the caller's JWT (issue 11, item 3), over real HTTP against the sandbox simulators:
 * billing:read reads, accounts:write runs lifecycle and marketplace mutations, admin does everything;
 * a company-scoped caller sees its own company and nothing of the partner. A refused field never
 * reaches a vendor.
 */
import { SignJWT } from "jose";
import { GraphQLObjectType, GraphQLSchema, GraphQLString } from "graphql";
import { makeScope } from "../../src/auth/caller";
import { buildGatewaySchema, requireAccessRules } from "../../src/graphql/schema";
import { ACCESS_EXTENSION } from "../../src/auth/roles";
import { SANDBOX_AUDIENCE, SANDBOX_ISSUER } from "../../src/sandbox";
import { startTestGateway, type TestGateway } from "../helpers/gateway";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());
beforeEach(() => t.resetCalls());

const CONVERT = `mutation { convertToPaid(input: { connectionId: "keeper-distributor", vendorInternalId: "no-such-msp" }) { message } }`;
const reader = () => t.token("*", undefined, { roles: ["billing:read"] });
const writer = () => t.token("*", undefined, { roles: ["accounts:write"] });

describe("roles", () => {
  it("lets billing:read read, and refuses its mutation with FORBIDDEN before any vendor call", async () => {
    const read = await t.gql(`{ connections { id } }`, undefined, await reader());
    expect(read.body.errors).toBeUndefined();
    expect(read.body.data!.connections.length).toBeGreaterThan(0);

    t.resetCalls();
    const refused = await t.gql(CONVERT, undefined, await reader());
    expect(refused.status).toBe(200);
    expect(refused.body.data).toEqual({ convertToPaid: null });
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ path: ["convertToPaid"], extensions: expect.objectContaining({ code: "FORBIDDEN", requiredRole: "accounts:write" }) }),
    ]);
    expect(t.upstreamCalls()).toBe(0);
  });

  it("lets accounts:write run a lifecycle mutation (the vendor answers it), but not read", async () => {
    const ran = await t.gql(CONVERT, undefined, await writer());
    // The mutation reached Keeper, which refused the unknown account: the role let it through.
    expect(ran.body.errors![0].extensions).toMatchObject({ code: "VENDOR_REJECTED", upstreamCode: "Account not found" });
    expect(t.sandbox.keeperDistributor.calls.count()).toBeGreaterThan(0);

    t.resetCalls();
    const read = await t.gql(`{ partners { totalCount } }`, undefined, await writer());
    expect(read.body.errors![0].extensions).toMatchObject({ code: "FORBIDDEN", requiredRole: "billing:read" });
    expect(t.upstreamCalls()).toBe(0);
  });

  it("gives a token without a role nothing, and keeps the other fields of a mixed request", async () => {
    const none = await t.gql(`{ connections { id } }`, undefined, await t.token("*", undefined, { roles: [] }));
    expect(none.body.data).toBeNull();
    expect(none.body.errors![0].extensions).toMatchObject({ code: "FORBIDDEN", requiredRole: "billing:read" });

    const mixed = await t.gql(`{ connections { id } auditLog { totalCount } }`, undefined, await reader());
    expect(mixed.body.data!.connections.length).toBeGreaterThan(0);
    expect(mixed.body.data!.auditLog).toBeNull();
    expect(mixed.body.errors).toEqual([expect.objectContaining({ path: ["auditLog"], extensions: expect.objectContaining({ code: "FORBIDDEN", requiredRole: "admin" }) })]);
  });

  it("keeps deleting a vendor's billing report for admin", async () => {
    const del = `mutation { deleteBillingReport(id: "report:webex-wholesale:Tm9TdWNoUmVwb3J0") { id } }`;
    const refused = await t.gql(del, undefined, await t.token("*", undefined, { roles: ["billing:read", "accounts:write"] }));
    expect(refused.body.errors![0].extensions).toMatchObject({ code: "FORBIDDEN", requiredRole: "admin" });
    expect(t.upstreamCalls()).toBe(0);
    const admin = await t.gql(del, undefined, await t.token("*", undefined, { roles: ["admin"] }));
    // Admin reaches Webex, which does not know the report.
    expect(admin.body.errors?.[0]?.extensions?.code).not.toBe("FORBIDDEN");
    expect(t.sandbox.webex.calls.count()).toBeGreaterThan(0);
  });

  it("reads roles from OAuth's space-separated scope claim too, and ignores strings that are no role", async () => {
    const token = await new SignJWT({ connections: "*", scope: "openid billing:read profile", roles: ["superuser"] })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(SANDBOX_ISSUER)
      .setAudience(SANDBOX_AUDIENCE)
      .setSubject("oauth-client")
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(t.sandbox.callerSecret));
    expect((await t.gql(`{ connections { id } }`, undefined, token)).body.errors).toBeUndefined();
    expect((await t.gql(CONVERT, undefined, token)).body.errors![0].extensions).toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("every root field has a rule", () => {
  it("declares one on each Query and Mutation field of the gateway's schema", async () => {
    const schema = await buildGatewaySchema();
    const fields = [...Object.values(schema.getQueryType()!.getFields()), ...Object.values(schema.getMutationType()!.getFields())];
    expect(fields.length).toBeGreaterThan(20);
    for (const field of fields) expect([field.name, field.extensions[ACCESS_EXTENSION]]).toEqual([field.name, expect.objectContaining({ role: expect.any(String) })]);
  });

  it("refuses to build a schema with a root field that has none", () => {
    const open = new GraphQLSchema({ query: new GraphQLObjectType({ name: "Query", fields: { secret: { type: GraphQLString } } }) });
    expect(() => requireAccessRules(open)).toThrow("Root fields without an @Access rule: Query.secret");
  });
});

describe("company-scoped callers", () => {
  let own: { id: string; name: string };
  let other: string;
  const period = "2025-08";

  beforeAll(async () => {
    const res = await t.gql(`{ partner(id: "partner:keeper-msp:self") { managedCompanies(first: 5) { nodes { id name } } } }`);
    const nodes = res.body.data!.partner.managedCompanies.nodes;
    own = nodes[0];
    other = nodes[1].id;
  });
  const customer = () => t.token("*", undefined, { roles: ["billing:read"], company: own.id, subject: "customer-user" });

  it("sees its own company in managedCompanies and managedCompany, and is refused another one", async () => {
    const list = await t.gql(`{ managedCompanies(first: 100) { totalCount nodes { id name } } }`, undefined, await customer());
    expect(list.body.errors).toBeUndefined();
    expect(list.body.data!.managedCompanies).toEqual({ totalCount: 1, nodes: [own] });

    const mine = await t.gql(`query($id: ID!) { managedCompany(id: $id) { id currentUsage { quantity product { name } } } }`, { id: own.id }, await customer());
    expect(mine.body.errors).toBeUndefined();
    expect(mine.body.data!.managedCompany.id).toBe(own.id);

    t.resetCalls();
    const theirs = await t.gql(`query($id: ID!) { managedCompany(id: $id) { id name } }`, { id: other }, await customer());
    expect(theirs.body.data!.managedCompany).toBeNull();
    expect(theirs.body.errors![0].extensions).toMatchObject({ code: "FORBIDDEN", companyScoped: true });
    expect(t.upstreamCalls()).toBe(0);
  });

  it("gets only its own company's invoice lines, and may not point the filter elsewhere", async () => {
    const lines = await t.gql(
      `query($p: BillingPeriod!) { invoiceLines(period: $p, first: 1000) { totalCount nodes { quantity product { name } company { id } } } }`,
      { p: period },
      await customer(),
    );
    expect(lines.body.errors).toBeUndefined();
    const nodes = lines.body.data!.invoiceLines.nodes;
    expect(nodes.length).toBeGreaterThan(0);
    expect(new Set(nodes.map((n: any) => n.company.id))).toEqual(new Set([own.id]));

    // The partner sees more lines for the same month: the customer's view is narrowed, not the data.
    const all = await t.gql(`query($p: BillingPeriod!) { invoiceLines(period: $p) { totalCount } }`, { p: period });
    expect(all.body.data!.invoiceLines.totalCount).toBeGreaterThan(lines.body.data!.invoiceLines.totalCount);

    const elsewhere = await t.gql(`query($p: BillingPeriod!, $c: ID) { invoiceLines(period: $p, filter: { companyId: $c }) { totalCount } }`, { p: period, c: other }, await customer());
    expect(elsewhere.body.errors![0].extensions).toMatchObject({ code: "FORBIDDEN", companyScoped: true });
  });

  it.each([
    ["the partner list", `{ partners { totalCount } }`, ["Query.partners"]],
    ["the partner of its company", `query($id: ID!) { managedCompany(id: $id) { partner { id } } }`, ["ManagedCompany.partner"]],
    ["what the partner pays, through a fragment", `query($p: BillingPeriod!) { invoiceLines(period: $p) { nodes { ...Cost } } } fragment Cost on InvoiceLine { amount { amount } unitPrice { amount } }`, ["InvoiceLine.amount", "InvoiceLine.unitPrice"]],
    ["a statement", `query($p: BillingPeriod!) { invoices(period: $p) { id } }`, ["Query.invoices"]],
  ])("refuses %s before execution with 403, naming the fields", async (_what, query, fields) => {
    t.resetCalls();
    const res = await t.gql(query, { id: own.id, p: period }, await customer());
    expect(res.status).toBe(403);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors![0].extensions).toMatchObject({ code: "FORBIDDEN", companyScoped: true, fields });
    expect(t.upstreamCalls()).toBe(0);
  });

  it("refuses a company token that carries more than billing:read, or names a company outside its connections", async () => {
    const admin = await t.token("*", undefined, { roles: ["admin"], company: own.id });
    expect((await t.gql(`{ managedCompanies { totalCount } }`, undefined, admin)).status).toBe(401);
    const outside = await t.token(["webex-wholesale"], undefined, { roles: ["billing:read"], company: own.id });
    expect((await t.gql(`{ managedCompanies { totalCount } }`, undefined, outside)).status).toBe(401);
    const notACompany = await t.token("*", undefined, { roles: ["billing:read"], company: "partner:keeper-msp:self" });
    expect((await t.gql(`{ managedCompanies { totalCount } }`, undefined, notACompany)).status).toBe(401);
  });

  it("caches under its own scope: the company is part of the cache key", () => {
    const partner = makeScope("a", "t1", "*", { roles: ["billing:read"] });
    const company = makeScope("b", "t1", "*", { roles: ["billing:read"], company: { id: own.id, connectionId: "keeper-msp", partnerKey: "self", companyKey: "1" } });
    expect(company.key).not.toBe(partner.key);
    expect(company.connections).toEqual(new Set(["keeper-msp"]));
  });
});
