/**
 * The customer directory over real HTTP on the sandbox: edits persisted across a restart, suggestions
 * that never link by themselves, display names, customers missing from a vendor, and input and role checks.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatBillingPeriod, periodOf } from "../../src/domain/period";
import { lastMonth } from "../../src/graphql/examples";
import { SANDBOX_MAPPING_FILE } from "../../src/sandbox";
import { startTestGateway, type TestGateway } from "../helpers/gateway";
import { DisposableStack } from "../helpers/stack";

const stack = new DisposableStack();
afterAll(() => stack.dispose());

const UNMAPPED = `query($after: String) { unmappedCompanies(first: 200, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  nodes { company { id name nameSource vendor externalIds { kind value } } suggestions { customer { id name } confidence reason } } } }`;
const CUSTOMER = `query($id: String!) { customer(id: $id) { id name psaCompanyId externalIds { kind value } companies { id name vendor } } }`;
const LINK = `mutation($c: String!, $co: ID!) { linkCompany(input: { customerId: $c, companyId: $co }) { id externalIds { kind value } companies { id } } }`;
const UNLINK = `mutation($c: String!, $co: ID!) { unlinkCompany(input: { customerId: $c, companyId: $co }) { id externalIds { kind value } } }`;
const RENAME = `mutation($c: String!, $n: String!) { renameCustomer(input: { customerId: $c, name: $n }) { id name } }`;
const CREATE = `mutation($id: String!, $n: String!, $p: String) { createCustomer(input: { id: $id, name: $n, psaCompanyId: $p }) { id name psaCompanyId externalIds { kind value } } }`;

async function unmapped(t: TestGateway): Promise<any[]> {
  const res = await t.gql(UNMAPPED);
  expect(res.body.errors).toBeUndefined();
  expect(res.body.data!.unmappedCompanies.pageInfo.hasNextPage).toBe(false);
  return res.body.data!.unmappedCompanies.nodes;
}

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "directory-test-"));
  stack.defer(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const onDataDir = (dir: string) => ({ overrides: { customerDirectory: { mappingFile: SANDBOX_MAPPING_FILE, dataDir: dir } } });

describe("the sandbox's directory", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it("lists the deliberate unmapped company with the correct suggestion, and links nothing by itself", async () => {
    const nodes = await unmapped(t);
    const withSuggestions = nodes.filter((n) => n.suggestions.length > 0);
    // Northstar Credit Union's Webex org (seen under the partner and under its sub-partner): its PSA id.
    expect(withSuggestions.length).toBe(2);
    for (const n of withSuggestions) {
      expect(n.company.vendor).toBe("WEBEX");
      expect(n.company.externalIds).toContainEqual({ kind: "webex.customerExternalId", value: "PSA-1004" });
      expect(n.suggestions).toEqual([
        { customer: { id: "northstar-cu", name: "Northstar Credit Union" }, confidence: 0.95, reason: `Webex CUSTOMER_EXTERNAL_ID "PSA-1004" equals the customer's PSA company id` },
      ]);
    }
    // No linked company is listed, and asking linked nothing.
    expect(nodes.some((n) => n.company.externalIds.some((e: any) => e.value === "PSA-1001"))).toBe(false);
    const again = await t.gql(CUSTOMER, { id: "northstar-cu" });
    expect(again.body.data!.customer).toEqual({ id: "northstar-cu", name: "Northstar Credit Union", psaCompanyId: "PSA-1004", externalIds: [], companies: [] });
    expect((await unmapped(t)).length).toBe(nodes.length);
  });

  it("lists Partner Center's billed companies as unmapped, suggests one by name, and links it through its invoice's ids", async () => {
    const before = await unmapped(t);
    const microsoft = before.filter((n) => n.company.id.startsWith("company:microsoft-partner-billing:"));
    // Eight Partner Center customers, three of them in the directory.
    expect(microsoft.map((n) => n.company.name).sort()).toEqual(["Adventure Works", "Litware Inc", "Tailspin Toys", "Wide World Importers", "Woodgrove Bank"]);
    const tailspin = microsoft.find((n) => n.company.name === "Tailspin Toys")!;
    expect(tailspin.company.externalIds.map((e: any) => e.kind).sort()).toEqual(["microsoft.customerId", "microsoft.domain"]);
    expect(tailspin.suggestions).toEqual([]);

    const created = await t.gql(CREATE, { id: "tailspin", n: "Tailspin Toys, Inc.", p: "PSA-2001" });
    expect(created.body.errors).toBeUndefined();
    const suggested = (await unmapped(t)).find((n) => n.company.id === tailspin.company.id)!;
    expect(suggested.suggestions).toEqual([{ customer: { id: "tailspin", name: "Tailspin Toys, Inc." }, confidence: expect.any(Number), reason: expect.stringMatching(/name/i) }]);
    // Still not linked: a suggestion is only applied when someone accepts it.
    expect((await t.gql(CUSTOMER, { id: "tailspin" })).body.data!.customer.companies).toEqual([]);

    const linked = await t.gql(LINK, { c: "tailspin", co: tailspin.company.id });
    expect(linked.body.errors).toBeUndefined();
    expect(linked.body.data!.linkCompany.externalIds).toEqual(expect.arrayContaining(tailspin.company.externalIds));
    const lines = await t.gql(`query($p: BillingPeriod!) { customer(id: "tailspin") { invoiceLines(period: $p) { totalCount nodes { vendor } } } }`, { p: lastMonth() });
    expect(lines.body.data!.customer.invoiceLines.totalCount).toBeGreaterThan(0);
    expect(new Set(lines.body.data!.customer.invoiceLines.nodes.map((n: any) => n.vendor))).toEqual(new Set(["MICROSOFT"]));
    expect((await unmapped(t)).some((n) => n.company.id === tailspin.company.id)).toBe(false);
    await t.gql(UNLINK, { c: "tailspin", co: tailspin.company.id });
  });

  it("gives each customer its companies across vendors, named", async () => {
    const res = await t.gql(CUSTOMER, { id: "harbor-dental" });
    expect(res.body.errors).toBeUndefined();
    const companies = res.body.data!.customer.companies;
    // Microsoft's company comes from Partner Center's invoice (that connector lists no companies).
    expect(new Set(companies.map((c: any) => c.vendor))).toEqual(new Set(["KEEPER", "WEBEX", "MICROSOFT"]));
    // The Webex report names no customer: its company takes the directory customer's name.
    expect(companies.find((c: any) => c.vendor === "WEBEX").name).toBe("Harbor Family Dental");
  });

  it("names Webex companies consistently on lines and in lists (directory name, else the vendor id)", async () => {
    const res = await t.gql(
      `query($p: BillingPeriod!) {
         managedCompanies(first: 200, filter: { partnerId: "partner:webex-wholesale:self" }) { nodes { id name nameSource customer { id } } }
         invoiceLines(period: $p, first: 1000, filter: { vendor: WEBEX }) { nodes { company { id name nameSource } } } }`,
      { p: lastMonth() },
    );
    expect(res.body.errors).toBeUndefined();
    const companies = res.body.data!.managedCompanies.nodes as any[];
    expect(companies.length).toBe(12);
    expect(companies.every((c) => typeof c.name === "string" && c.name.length > 0)).toBe(true);
    expect(companies.filter((c) => c.nameSource === "DIRECTORY").map((c) => [c.name, c.customer.id]).sort()).toEqual([
      ["Contoso Pharma GmbH", "contoso-pharma"],
      ["Harbor Family Dental", "harbor-dental"],
      ["Kestrel Logistics", "kestrel-logistics"],
    ]);
    expect(companies.filter((c) => c.nameSource === "VENDOR_ID").map((c) => c.name).sort()).toEqual(
      Array.from({ length: 9 }, (_, i) => `PSA-${1004 + i}`),
    );
    const byId = new Map(companies.map((c) => [c.id, c.name]));
    const lines = res.body.data!.invoiceLines.nodes as any[];
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) if (byId.has(l.company.id)) expect(l.company.name).toBe(byId.get(l.company.id));
  });

  it("refuses bad ids before any vendor call", async () => {
    t.resetCalls();
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      [LINK, { c: "northstar-cu", co: "not-an-id" }, /companyId: "not-an-id" is not a valid id/],
      [LINK, { c: "northstar-cu", co: "partner:webex-wholesale:self" }, /expected a company id, got a partner id/],
      [LINK, { c: "northstar-cu", co: "company:no-such-connection:self:X" }, /unknown connection "no-such-connection"/],
      [LINK, { c: "nobody", co: "company:keeper-msp:self:NDU5OTk" }, /customerId: unknown customer "nobody"/],
      [UNLINK, { c: "nobody", co: "company:keeper-msp:self:NDU5OTk" }, /customerId: unknown customer "nobody"/],
      [RENAME, { c: "nobody", n: "X" }, /customerId: unknown customer "nobody"/],
    ];
    for (const [query, variables, message] of cases) {
      const res = await t.gql(query, variables);
      expect({ status: res.status, code: res.body.errors?.[0].extensions?.code }).toEqual({ status: 400, code: "BAD_USER_INPUT" });
      expect(res.body.errors![0].message).toMatch(message);
    }
    const badCreate = await t.gql(CREATE, { id: "has spaces", n: "X" });
    expect(badCreate.body.errors![0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT" }, message: expect.stringMatching(/^id: must be/) });
    const emptyName = await t.gql(RENAME, { c: "harbor-dental", n: "   " });
    expect(emptyName.body.errors![0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
    expect(t.upstreamCalls()).toBe(0);
    expect((await t.gql(CUSTOMER, { id: "harbor-dental" })).body.data!.customer.name).toBe("Harbor Family Dental");
  });

  it("lets billing:read read the directory but not change it; company-scoped callers see none of it", async () => {
    const reader = await t.token("*", undefined, { roles: ["billing:read"] });
    const company = (await unmapped(t)).find((n) => n.suggestions.length > 0).company.id;
    t.resetCalls();
    const refused = await t.gql(LINK, { c: "northstar-cu", co: company }, reader);
    expect(refused.body.data).toEqual({ linkCompany: null });
    expect(refused.body.errors![0].extensions).toMatchObject({ code: "FORBIDDEN", requiredRole: "accounts:write" });
    for (const q of [RENAME, CREATE]) {
      const r = await t.gql(q, { c: "northstar-cu", n: "Taken over", id: "x1" }, reader);
      expect(r.body.errors![0].extensions?.code).toBe("FORBIDDEN");
    }
    expect(t.upstreamCalls()).toBe(0);
    expect((await t.gql(CUSTOMER, { id: "northstar-cu" }, reader)).body.data!.customer).toMatchObject({ name: "Northstar Credit Union", externalIds: [] });

    const own = await t.token(["keeper-msp"], "msp-1", { roles: ["billing:read"], company: "company:keeper-msp:self:NDU5OTk" });
    for (const q of [`{ customers { id } }`, `{ unmappedCompanies { totalCount } }`, `{ managedCompanies { nodes { customer { id } } } }`]) {
      const r = await t.gql(q, undefined, own);
      expect({ status: r.status, code: r.body.errors?.[0].extensions?.code }).toEqual({ status: 403, code: "FORBIDDEN" });
    }
  });

  it("lists customers with lines at a connection last month and none in this one", async () => {
    const res = await t.gql(
      `query($p: BillingPeriod!) { customersMissingFromVendor(period: $p) { customer { id } connection { id } vendor previousPeriod previousLineCount } }`,
      { p: formatBillingPeriod(periodOf(new Date())) },
    );
    // This month's Partner Center invoice does not exist yet: each mapped customer billed there last month is missing.
    const microsoft = (res.body.data!.customersMissingFromVendor as any[]).filter((m) => m.connection.id === "microsoft-partner-billing");
    expect(microsoft.map((m) => m.customer.id).sort()).toEqual(["contoso-pharma", "harbor-dental", "kestrel-logistics"]);
    const lines = await t.gql(`query($p: BillingPeriod!) { invoiceLines(period: $p, filter: { customerId: "harbor-dental", connectionId: "microsoft-partner-billing" }) { totalCount } }`, { p: lastMonth() });
    const harbor = microsoft.find((m) => m.customer.id === "harbor-dental");
    expect(harbor).toEqual({ customer: { id: "harbor-dental" }, connection: { id: "microsoft-partner-billing" }, vendor: "MICROSOFT", previousPeriod: lastMonth(), previousLineCount: lines.body.data!.invoiceLines.totalCount });
    expect(harbor.previousLineCount).toBeGreaterThan(0);
    // Last month against the month before: every mapped customer has lines at each of its vendors in both.
    const steady = await t.gql(`query($p: BillingPeriod!) { customersMissingFromVendor(period: $p) { customer { id } connection { id } } }`, { p: lastMonth() });
    expect(steady.body.errors).toBeUndefined();
    expect(steady.body.data!.customersMissingFromVendor).toEqual([]);
  });
});

describe("edits, persisted", () => {
  it("link, unlink, rename and create survive a restart on the same data directory", async () => {
    const dir = dataDir();
    const first = await startTestGateway(onDataDir(dir));
    let northstarWebex: string;
    let harborKeeper: string;
    try {
      northstarWebex = (await unmapped(first)).find((n) => n.suggestions[0]?.customer.id === "northstar-cu").company.id;
      harborKeeper = (await first.gql(CUSTOMER, { id: "harbor-dental" })).body.data!.customer.companies.find((c: any) => c.vendor === "KEEPER").id;

      const linked = await first.gql(LINK, { c: "northstar-cu", co: northstarWebex });
      expect(linked.body.errors).toBeUndefined();
      expect(linked.body.data!.linkCompany.externalIds).toEqual(expect.arrayContaining([{ kind: "webex.customerExternalId", value: "PSA-1004" }]));
      // The mutation's answer already sees its own edit: the company is now the customer's.
      expect(linked.body.data!.linkCompany.companies.map((c: any) => c.id)).toContain(northstarWebex);
      // A company linked elsewhere is refused, not moved.
      const taken = await first.gql(LINK, { c: "kestrel-logistics", co: northstarWebex });
      expect(taken.body.errors![0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT" }, message: expect.stringContaining('linked to customer "northstar-cu"') });

      const unlinked = await first.gql(UNLINK, { c: "harbor-dental", co: harborKeeper }); // a link the mapping file made
      expect(unlinked.body.data!.unlinkCompany.externalIds.some((e: any) => e.kind === "keeper.companyId")).toBe(false);
      expect((await first.gql(RENAME, { c: "kestrel-logistics", n: "Kestrel Logistics LLC" })).body.data!.renameCustomer.name).toBe("Kestrel Logistics LLC");
      expect((await first.gql(CREATE, { id: "quarry-hill", n: "Quarry Hill Brewing", p: "PSA-2001" })).body.data!.createCustomer).toEqual({
        id: "quarry-hill", name: "Quarry Hill Brewing", psaCompanyId: "PSA-2001", externalIds: [],
      });
    } finally {
      await first.close();
    }

    const second = await startTestGateway(onDataDir(dir));
    try {
      const res = await second.gql(`{ customers { id name psaCompanyId externalIds { kind value } } }`);
      const byId = new Map((res.body.data!.customers as any[]).map((c) => [c.id, c]));
      expect(byId.get("northstar-cu").externalIds).toContainEqual({ kind: "webex.customerExternalId", value: "PSA-1004" });
      expect(byId.get("harbor-dental").externalIds.map((e: any) => e.kind).sort()).toEqual(["microsoft.customerId", "webex.customerExternalId"]);
      expect(byId.get("kestrel-logistics").name).toBe("Kestrel Logistics LLC");
      expect(byId.get("quarry-hill")).toEqual({ id: "quarry-hill", name: "Quarry Hill Brewing", psaCompanyId: "PSA-2001", externalIds: [] });
      // The linked company's lines are the customer's now; the unlinked one is listed as unmapped, with its suggestions.
      const lines = await second.gql(`query($p: BillingPeriod!) { invoiceLines(period: $p, filter: { customerId: "northstar-cu" }) { totalCount nodes { vendor } } }`, { p: lastMonth() });
      expect(lines.body.data!.invoiceLines.totalCount).toBeGreaterThan(0);
      expect(new Set(lines.body.data!.invoiceLines.nodes.map((n: any) => n.vendor))).toEqual(new Set(["WEBEX"]));
      const now = await unmapped(second);
      expect(now.some((n) => n.company.id === northstarWebex)).toBe(false);
      const keeper = now.find((n) => n.company.id === harborKeeper);
      // Its vendor name is Quarry Hill Brewing: the customer just created is suggested, by name, not linked.
      expect(keeper.suggestions).toEqual([{ customer: { id: "quarry-hill", name: "Quarry Hill Brewing" }, confidence: 0.7, reason: expect.stringContaining('name "Quarry Hill Brewing"') }]);
    } finally {
      await second.close();
    }
  });
});

describe("Webex reports with a customer name column", () => {
  it("name their companies from it, on lines and in lists, and suggest by name too", async () => {
    const t = await startTestGateway();
    try {
      t.sandbox.webex.setDefaultQuirks({ customerNameColumn: true });
      const res = await t.gql(
        `query($p: BillingPeriod!) {
           managedCompanies(first: 200, filter: { partnerId: "partner:webex-wholesale:self" }) { nodes { id name nameSource } }
           invoiceLines(period: $p, first: 1000, filter: { vendor: WEBEX }) { nodes { company { id name nameSource } } } }`,
        { p: lastMonth() },
      );
      expect(res.body.errors).toBeUndefined();
      const companies = res.body.data!.managedCompanies.nodes as any[];
      expect(companies.length).toBe(12);
      expect(new Set(companies.map((c) => c.nameSource))).toEqual(new Set(["VENDOR"]));
      expect(companies.map((c) => c.name)).toEqual(expect.arrayContaining(["Harbor Family Dental", "Northstar Credit Union Inc.", "Vantage Engineering"]));
      const byId = new Map(companies.map((c) => [c.id, c.name]));
      const lines = res.body.data!.invoiceLines.nodes as any[];
      expect(lines.filter((l) => byId.has(l.company.id)).length).toBeGreaterThan(0);
      for (const l of lines) {
        expect(l.company.nameSource).toBe("VENDOR");
        if (byId.has(l.company.id)) expect(l.company.name).toBe(byId.get(l.company.id));
      }
      const northstar = (await unmapped(t)).find((n) => n.company.name === "Northstar Credit Union Inc.");
      expect(northstar.suggestions).toEqual([
        {
          customer: { id: "northstar-cu", name: "Northstar Credit Union" },
          confidence: 0.95,
          reason: `Webex CUSTOMER_EXTERNAL_ID "PSA-1004" equals the customer's PSA company id; name "Northstar Credit Union Inc." matches "Northstar Credit Union" without legal suffixes`,
        },
      ]);
    } finally {
      await t.close();
    }
  });
});
