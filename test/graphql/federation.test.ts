/**
 * The gateway as an Apollo Federation v2 subgraph (config `subgraph: true`): its SDL, read over HTTP as a
 * composition tool reads it, composes with a second subgraph of this test's own (a CRM that extends
 * `Customer` and points at companies, invoices and partners), and a locally run Apollo Gateway answers
 * queries that cross both over real HTTP. References resolve through the same loaders and scope checks as
 * the root fields; bad representations are refused before any vendor call.
 */
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { composeServices } from "@apollo/composition";
import { ApolloServerPluginInlineTraceDisabled } from "@apollo/server/plugin/disabled";
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from "@apollo/gateway";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { request } from "undici";
import { lastMonth } from "../../src/graphql/examples";
import { FEDERATION_SPEC_URL } from "../../src/graphql/federation";
import { startTestGateway, type GqlResult, type TestGateway } from "../helpers/gateway";
import { DisposableStack } from "../helpers/stack";

const stack = new DisposableStack();
let billing: TestGateway;
let billingSdl: string;
let supergraphSdl: string;
let routerUrl: string;
let period: string;

/** What the CRM subgraph knows: its accounts, each pointing at billing's entities by id. */
interface CrmAccount {
  name: string;
  customerId: string;
  companyId: string;
  invoiceId: string;
  partnerId: string;
}
const crmAccounts: CrmAccount[] = [];
const accountManagers: Record<string, string> = { "harbor-dental": "Ada Lovelace", "kestrel-logistics": "Grace Hopper", "contoso-pharma": "Alan Turing" };

const CRM_SDL = `
  extend schema @link(url: "${FEDERATION_SPEC_URL}", import: ["@key"])
  type Customer @key(fields: "id") { id: ID! accountManager: String }
  type ManagedCompany @key(fields: "id", resolvable: false) { id: ID! }
  type Invoice @key(fields: "id", resolvable: false) { id: ID! }
  type Partner @key(fields: "id", resolvable: false) { id: ID! }
  type CrmAccount { name: String! customer: Customer! primaryCompany: ManagedCompany! lastInvoice: Invoice! reseller: Partner! }
  type Query { crmAccounts: [CrmAccount!]! }
`;

async function startCrm(): Promise<string> {
  const schema = buildSubgraphSchema({
    typeDefs: parse(CRM_SDL),
    resolvers: {
      Query: { crmAccounts: () => crmAccounts },
      CrmAccount: {
        customer: (a: CrmAccount) => ({ __typename: "Customer", id: a.customerId }),
        primaryCompany: (a: CrmAccount) => ({ __typename: "ManagedCompany", id: a.companyId }),
        lastInvoice: (a: CrmAccount) => ({ __typename: "Invoice", id: a.invoiceId }),
        reseller: (a: CrmAccount) => ({ __typename: "Partner", id: a.partnerId }),
      },
      Customer: {
        __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
        accountManager: (c: { id: string }) => accountManagers[c.id] ?? null,
      },
    } as never,
  });
  const server = new ApolloServer({ schema, plugins: [ApolloServerPluginInlineTraceDisabled()] });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: "127.0.0.1" } });
  stack.defer(() => server.stop());
  return url;
}

/**
 * A router that composes both subgraphs itself, reading their SDL over HTTP (billing's `_service` needs a
 * reader's token), and passes each caller's own token on to the subgraphs.
 */
async function startRouter(subgraphs: Array<{ name: string; url: string }>, readerToken: string): Promise<string> {
  const gateway = new ApolloGateway({
    supergraphSdl: new IntrospectAndCompose({ subgraphs, introspectionHeaders: { authorization: `Bearer ${readerToken}` } }),
    logger: { debug() {}, info() {}, warn: (m: unknown) => console.warn(m), error: (m: unknown) => console.error(m) },
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource<{ authorization?: string }>({
        url,
        willSendRequest({ request: req, context }) {
          if (context.authorization) req.http?.headers.set("authorization", context.authorization);
        },
      }),
  });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: "127.0.0.1" },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  });
  stack.defer(() => server.stop());
  return url;
}

async function post(url: string, query: string, variables: Record<string, unknown> | undefined, token: string | null): Promise<GqlResult> {
  const res = await request(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: JSON.parse(text), text };
}

const viaRouter = (query: string, variables?: Record<string, unknown>, token?: string | null) => billing.token().then((t) => post(routerUrl, query, variables, token === undefined ? t : token));

beforeAll(async () => {
  billing = await startTestGateway({ overrides: { subgraph: true } });
  stack.defer(() => billing.close());
  period = lastMonth();

  // The CRM's accounts point at billing's own ids, as a real CRM would have stored them.
  const ids = await billing.gql(
    `query($p: BillingPeriod!) { customers { id companies { id vendor connectionId } }
       invoices(period: $p, filter: { connectionId: "keeper-msp" }) { id partner { id } } }`,
    { p: period },
  );
  expect(ids.body.errors).toBeUndefined();
  const [invoice] = ids.body.data!.invoices;
  for (const c of ids.body.data!.customers.filter((c: any) => c.id in accountManagers)) {
    // Each sandbox customer's Keeper company is under one of the distributor's MSP accounts.
    const keeper = c.companies.find((co: any) => co.connectionId === "keeper-distributor");
    crmAccounts.push({ name: `${c.id} (CRM)`, customerId: c.id, companyId: keeper.id, invoiceId: invoice.id, partnerId: invoice.partner.id });
  }
  expect(crmAccounts).toHaveLength(3);

  // Composition reads each subgraph's SDL from `_service`, over HTTP, with a reader's token.
  const service = await billing.gql("{ _service { sdl } }");
  expect(service.body.errors).toBeUndefined();
  billingSdl = service.body.data!._service.sdl;
  const crmUrl = await startCrm();
  const composed = composeServices([
    { name: "billing", typeDefs: parse(billingSdl), url: billing.gateway.graphqlUrl },
    { name: "crm", typeDefs: parse(CRM_SDL), url: crmUrl },
  ]);
  if (composed.errors) throw new Error(`composition failed: ${composed.errors.map((e) => e.message).join("; ")}`);
  supergraphSdl = composed.supergraphSdl;
  routerUrl = await startRouter(
    [
      { name: "billing", url: billing.gateway.graphqlUrl },
      { name: "crm", url: crmUrl },
    ],
    await billing.token("*", "router", { roles: ["billing:read"] }),
  );
}, 60_000);
afterAll(() => stack.dispose());

describe("the subgraph's SDL and its composition", () => {
  it("is schema/subgraph.graphql, as checked in", () => {
    expect(`${billingSdl}\n`).toBe(readFileSync(join(__dirname, "..", "..", "schema", "subgraph.graphql"), "utf8"));
  });

  it("keys Partner, ManagedCompany, Customer and Invoice by id and links Federation v2", () => {
    expect(billingSdl).toContain(`@link(url: "${FEDERATION_SPEC_URL}"`);
    for (const type of ["Partner", "ManagedCompany", "Customer", "Invoice"]) {
      expect(billingSdl).toMatch(new RegExp(`type ${type}\\s+@key\\(fields: "id"\\)`));
    }
    // Federation makes any type named Subscription the subscription root: the domain's is renamed here only.
    expect(billingSdl).toMatch(/type VendorSubscription \{/);
    expect(billingSdl).not.toMatch(/\btype Subscription\b/);
    expect(billingSdl).toMatch(/subscriptions\([^)]*\): VendorSubscriptionConnection!|subscriptions\(\s[\s\S]*?\): VendorSubscriptionConnection!|: \[VendorSubscription!\]!/);
  });

  it("composes into a supergraph where Customer has the CRM's field beside billing's", () => {
    const api = parse(supergraphSdl);
    const customer = api.definitions.find((d: any) => d.kind === "ObjectTypeDefinition" && d.name.value === "Customer") as any;
    const fields = customer.fields.map((f: any) => f.name.value);
    expect(fields).toEqual(expect.arrayContaining(["id", "name", "externalIds", "companies", "accountManager"]));
    expect(supergraphSdl).toMatch(/join__graph\(name: "billing"/);
    expect(supergraphSdl).toMatch(/join__graph\(name: "crm"/);
  });

  it("refuses to compose when the CRM's key field disagrees with billing's type", () => {
    const bad = CRM_SDL.replace('type Customer @key(fields: "id") { id: ID!', 'type Customer @key(fields: "id") { id: Int!');
    const composed = composeServices([
      { name: "billing", typeDefs: parse(billingSdl), url: "http://billing" },
      { name: "crm", typeDefs: parse(bad), url: "http://crm" },
    ]);
    expect(composed.errors?.map((e) => e.message).join("\n")).toMatch(/Customer\.id/);
  });
});

describe("queries through a router over both subgraphs", () => {
  it("resolves the CRM's Customer references through billing, equal to asking billing directly", async () => {
    const q = `query($p: BillingPeriod!) { crmAccounts { name customer { id name accountManager psaCompanyId
                 totals(period: $p) { lines byCurrency { currency total { amount currency } } } } } }`;
    const res = await viaRouter(q, { p: period });
    expect(res.body.errors).toBeUndefined();
    const direct = await billing.gql(
      `query($p: BillingPeriod!) { customers { id name psaCompanyId totals(period: $p) { lines byCurrency { currency total { amount currency } } } } }`,
      { p: period },
    );
    const byId = new Map(direct.body.data!.customers.map((c: any) => [c.id, c]));
    for (const account of res.body.data!.crmAccounts) {
      const { accountManager, ...billingFields } = account.customer;
      expect(accountManager).toBe(accountManagers[account.customer.id]);
      expect(billingFields).toEqual(byId.get(account.customer.id));
      expect(billingFields.totals.lines).toBeGreaterThan(0);
    }
  });

  it("extends billing's Customer with the CRM's field on a billing root query", async () => {
    const res = await viaRouter(`{ customers { id name accountManager } }`);
    expect(res.body.errors).toBeUndefined();
    const customers = res.body.data!.customers;
    expect(customers.find((c: any) => c.id === "kestrel-logistics")).toEqual({ id: "kestrel-logistics", name: "Kestrel Logistics", accountManager: "Grace Hopper" });
    expect(customers.find((c: any) => c.id === "northstar-cu").accountManager).toBeNull();
  });

  it("resolves ManagedCompany, Invoice and Partner references with the fewest vendor calls (one loader batch per resource)", async () => {
    const q = `{ crmAccounts { primaryCompany { id name vendor } lastInvoice { id period totals { currency lines } } reseller { id vendor } } }`;
    // A tenant of its own: nothing of it is cached yet.
    const cold = await billing.token("*", "cold-references");
    billing.resetCalls();
    const res = await viaRouter(q, undefined, cold);
    expect(res.body.errors).toBeUndefined();
    const accounts = res.body.data!.crmAccounts;
    for (const [i, a] of accounts.entries()) {
      expect(a.primaryCompany.id).toBe(crmAccounts[i].companyId);
      expect(a.primaryCompany.vendor).toBe("KEEPER");
      expect(a.primaryCompany.name).toEqual(expect.any(String));
      expect(a.lastInvoice.id).toBe(crmAccounts[i].invoiceId);
      expect(a.lastInvoice.period).toBe(period);
      expect(a.lastInvoice.totals.length).toBeGreaterThan(0);
      expect(a.reseller).toEqual({ id: crmAccounts[i].partnerId, vendor: "KEEPER" });
    }
    // The three companies are one MSP account's: one usage call for all; the invoice is one monthly-usage call.
    expect(billing.sandbox.keeperDistributor.calls.count("current-usage")).toBe(1);
    expect(billing.sandbox.keeperMsp.calls.count("billing-usage")).toBe(1);
    const direct = await billing.gql(`query($id: ID!) { managedCompany(id: $id) { id name vendor } }`, { id: crmAccounts[0].companyId });
    expect(accounts[0].primaryCompany).toEqual(direct.body.data!.managedCompany);
  });

  it("makes no vendor call the second time: references use the same scoped cache as root fields", async () => {
    const q = `{ crmAccounts { primaryCompany { id name } lastInvoice { id totals { currency lines } } } }`;
    await viaRouter(q);
    billing.resetCalls();
    const again = await viaRouter(q);
    expect(again.body.errors).toBeUndefined();
    expect(billing.upstreamCalls()).toBe(0);
  });

  it("degrades only the failing vendor's references: partial data and a typed error", async () => {
    // A Keeper fault on a cold cache (another tenant's scope): the companies are null, the CRM's own data stays.
    const token = await billing.token("*", `tenant-${Date.now()}`);
    billing.sandbox.keeperDistributor.faults.next("current-usage", { status: 503 }).times(10);
    const res = await viaRouter(`{ crmAccounts { name customer { id accountManager } primaryCompany { id name } } }`, undefined, token);
    billing.sandbox.keeperDistributor.faults.clear();
    expect(res.body.data!.crmAccounts).toHaveLength(3);
    for (const a of res.body.data!.crmAccounts) {
      expect(a.name).toMatch(/\(CRM\)$/);
      expect(a.customer.accountManager).toEqual(expect.any(String));
    }
    // The router keeps what the CRM knows of each company (its id); billing's fields are null, each with its error.
    expect(res.body.data!.crmAccounts.map((a: any) => a.primaryCompany)).toEqual(crmAccounts.map((a) => ({ id: a.companyId, name: null })));
    expect(res.body.errors!.map((e) => [e.extensions?.code, e.extensions?.connectionId, e.path])).toEqual(
      [0, 1, 2].map((i) => ["VENDOR_UNAVAILABLE", "keeper-distributor", ["crmAccounts", i, "primaryCompany"]]),
    );
  });

  it("passes the caller's scope: references to a connection the token does not cover fail alone, before any vendor call", async () => {
    const webexOnly = await billing.token(["webex-wholesale"], "webex-only");
    billing.resetCalls();
    const res = await viaRouter(`{ crmAccounts { name primaryCompany { id name } customer { name } } }`, undefined, webexOnly);
    const accounts = res.body.data!.crmAccounts;
    expect(accounts.map((a: any) => a.primaryCompany)).toEqual(crmAccounts.map((a) => ({ id: a.companyId, name: null })));
    // The same request's Customer references (the directory, no connection) are answered.
    expect(accounts.map((a: any) => a.customer.name)).toEqual(["Harbor Family Dental", "Kestrel Logistics", "Contoso Pharma GmbH"]);
    expect(res.body.errors!.map((e) => [e.extensions?.code, e.message])).toEqual([0, 1, 2].map(() => ["BAD_USER_INPUT", 'Unknown connection "keeper-distributor"']));
    expect(billing.upstreamCalls()).toBe(0);
  });

  it("lets a company-scoped caller resolve its own company only, and refuses partner-level entities", async () => {
    const own = crmAccounts[0].companyId;
    const company = await billing.token(["keeper-distributor"], "portal", { roles: ["billing:read"], company: own });
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on ManagedCompany { id name } } }`;
    const mine = await post(billing.gateway.graphqlUrl, query, { r: [{ __typename: "ManagedCompany", id: own }] }, company);
    expect(mine.body.errors).toBeUndefined();
    expect(mine.body.data!._entities[0].id).toBe(own);
    const other = await post(billing.gateway.graphqlUrl, query, { r: [{ __typename: "ManagedCompany", id: crmAccounts[1].companyId }] }, company);
    expect(other.body.data!._entities).toEqual([null]);
    expect(other.body.errors![0].extensions!.code).toBe("FORBIDDEN");
    const customer = await post(billing.gateway.graphqlUrl, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id } } }`, { r: [{ __typename: "Customer", id: "harbor-dental" }] }, company);
    expect(customer.body.data!._entities).toEqual([null]);
    expect(customer.body.errors![0].extensions!.code).toBe("FORBIDDEN");
    // A partner-only field of an entity is refused for the whole request, before anything runs.
    const partnerField = await post(billing.gateway.graphqlUrl, `query($r: [_Any!]!) { _entities(representations: $r) { ... on ManagedCompany { partner { id } } } }`, { r: [{ __typename: "ManagedCompany", id: own }] }, company);
    expect(partnerField.status).toBe(403);
  });
});

describe("_entities and _service on the subgraph itself", () => {
  const ENTITIES_QUERY = `query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Customer { id name } ... on Partner { id } } }`;

  it.each([
    ["not an object", ["company:keeper-msp:self:NTEwMDE"], /representations\[0\]: not an object/],
    ["an unknown type", [{ __typename: "Product", id: "product:keeper-msp:x" }], /representations\[0\]\.__typename: not an entity/],
    ["no id", [{ __typename: "Partner" }], /representations\[0\]\.id: a non-empty string is required/],
    ["an id of another kind", [{ __typename: "Partner", id: "company:keeper-msp:self:NTEwMDE" }], /expected a partner id, got a company id/],
    ["an id not of its vendor's shape", [{ __typename: "ManagedCompany", id: "company:keeper-msp:self:..%2F.." }], /representations\[0\]\.id/],
    ["a malformed invoice period", [{ __typename: "Invoice", id: "invoice:keeper-msp:self:2025-13" }], /representations\[0\]\.id/],
  ])("refuses a representation with %s before any vendor call (400 BAD_USER_INPUT)", async (_name, representations, message) => {
    billing.resetCalls();
    const res = await post(billing.gateway.graphqlUrl, ENTITIES_QUERY, { r: representations }, await billing.token());
    expect(res.status).toBe(400);
    expect(res.body.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect(res.body.errors![0].message).toMatch(message);
    expect(billing.upstreamCalls()).toBe(0);
  });

  it("gives the same checks to a literal as to a variable", async () => {
    const res = await post(billing.gateway.graphqlUrl, `{ _entities(representations: [{ __typename: "Partner", id: "company:keeper-msp:self:NTEwMDE" }]) { __typename } }`, undefined, await billing.token());
    expect(res.status).toBe(400);
    expect(res.body.errors![0].message).toMatch(/expected a partner id, got a company id/);
  });

  it("answers null for a customer the directory does not hold, beside the ones it does", async () => {
    const res = await post(billing.gateway.graphqlUrl, ENTITIES_QUERY, { r: [{ __typename: "Customer", id: "nobody" }, { __typename: "Customer", id: "harbor-dental" }] }, await billing.token());
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!._entities).toEqual([null, { __typename: "Customer", id: "harbor-dental", name: "Harbor Family Dental" }]);
  });

  it("needs billing:read for _entities and _service, like every query", async () => {
    const writer = await billing.token("*", undefined, { roles: ["accounts:write"] });
    const entities = await post(billing.gateway.graphqlUrl, ENTITIES_QUERY, { r: [{ __typename: "Customer", id: "harbor-dental" }] }, writer);
    expect(entities.body.errors![0].extensions).toMatchObject({ code: "FORBIDDEN", requiredRole: "billing:read" });
    const service = await post(billing.gateway.graphqlUrl, `{ _service { sdl } }`, undefined, writer);
    expect(service.body.data?._service ?? null).toBeNull();
    expect(service.body.errors![0].extensions).toMatchObject({ code: "FORBIDDEN", requiredRole: "billing:read" });
    const anonymous = await post(billing.gateway.graphqlUrl, `{ _service { sdl } }`, undefined, null);
    expect(anonymous.status).toBe(401);
  });
});
