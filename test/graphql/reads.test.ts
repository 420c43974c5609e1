/** Read paths end to end: sandbox simulators ← real HTTP ← gateway ← real HTTP ← test. */
import { Dec, sum } from "../../src/domain/money";
import { SEED_MONTHLY_USAGE_TEXT } from "../../src/vendors/keeper/simulator/data/seed-samples";
import { startTestGateway, type TestGateway } from "../helpers/gateway";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());
beforeEach(() => t.resetCalls());

const NORTHWIND = "partner:keeper-distributor:northwind-002";
const MSP_SELF = "partner:keeper-msp:self";

describe("reads", () => {
  it("returns every partner's managed companies with current usage and last month's invoice", async () => {
    const res = await t.gql(
      `query($p: BillingPeriod!) { partners { nodes { id name role
         managedCompanies { totalCount nodes { name currentUsage { product { externalId category } quantity } } }
         invoice(period: $p) { total { amount currency } reconciliation { balanced } } } } }`,
      { p: "2025-08" },
    );
    expect(res.body.errors).toBeUndefined();
    const partners = res.body.data!.partners.nodes;
    expect(partners.map((p: any) => p.id)).toEqual(expect.arrayContaining([MSP_SELF, NORTHWIND]));
    const msp = partners.find((p: any) => p.id === MSP_SELF);
    expect(msp.name).toBe("QaMspNfl");
    expect(msp.managedCompanies.totalCount).toBe(27);
    expect(msp.invoice.total).toEqual({ amount: "2387.74", currency: "USD" });
    const northwind = partners.find((p: any) => p.id === NORTHWIND);
    expect(northwind.managedCompanies.totalCount).toBe(30);
    expect(northwind.invoice.reconciliation.balanced).toBe(true);
    // Not-yet-activated accounts have no usage: no call is made for them, no error raised.
    const pending = partners.find((p: any) => p.id === "partner:keeper-distributor:tailspin-005");
    expect(pending.managedCompanies.totalCount).toBe(0);
    expect(pending.invoice).toBeNull();
  });

  it("sums the seed's monthly sample to exactly 2387.74 with no reconciliation difference", async () => {
    const res = await t.gql(
      `{ invoice(partnerId: "${MSP_SELF}", period: "2025-08") {
          subtotal { amount } tax { amount } total { amount currency }
          reconciliation { balanced linesTotal { amount currency } differences { kind } }
          lines(first: 1000) { totalCount nodes { quantity unitPrice { amount } amount { amount } company { name } product { externalId } } } } }`,
    );
    expect(res.body.errors).toBeUndefined();
    const inv = res.body.data!.invoice;
    expect(inv.total).toEqual({ amount: "2387.74", currency: "USD" });
    expect(inv.subtotal.amount).toBe("2387.74");
    expect(inv.tax.amount).toBe("0.00"); // money at its minor unit
    expect(inv.reconciliation).toEqual({ balanced: true, linesTotal: { amount: "2387.74", currency: "USD" }, differences: [] });
    const lines = inv.lines.nodes;
    expect(inv.lines.totalCount).toBe(lines.length);
    expect(sum(lines.map((l: any) => new Dec(l.amount.amount))).toFixed()).toBe("2387.74");
    // Fractional quantities stay exact decimals on the wire.
    const mcTest = lines.filter((l: any) => l.company?.name === "MC Test");
    expect(mcTest.map((l: any) => l.quantity)).toContain("0.89");
    expect(mcTest.find((l: any) => l.product.externalId === "10011").amount.amount).toBe("4.27");
    // The MSP's own lines have no company.
    expect(lines.filter((l: any) => l.company === null).length).toBe(6);
  });

  it("detects a planted difference and lists it", async () => {
    // MC Test's first line: 4.8 × 0.89 = 4.272 → 4.27; plant 4.3 (written back as money: 4.30).
    const planted = SEED_MONTHLY_USAGE_TEXT.replace('"avgMonthlyCost": 4.27', '"avgMonthlyCost": 4.3');
    expect(planted).not.toBe(SEED_MONTHLY_USAGE_TEXT);
    t.sandbox.keeperMsp.faults.next("billing-usage", { status: 200, body: planted });
    const res = await t.gql(
      `{ invoice(partnerId: "${MSP_SELF}", period: "2025-07") {
          reconciliation { balanced linesTotal { amount } differences { kind currency companyName reported computed difference } } } }`,
    );
    expect(res.body.errors).toBeUndefined();
    const r = res.body.data!.invoice.reconciliation;
    expect(r.balanced).toBe(false);
    expect(r.linesTotal.amount).toBe("2387.77");
    expect(r.differences).toEqual(
      expect.arrayContaining([
        { kind: "LINE_AMOUNT", currency: "USD", companyName: "MC Test", reported: "4.30", computed: "4.27", difference: "0.03" },
        { kind: "COMPANY_TOTAL", currency: "USD", companyName: "MC Test", reported: "181.04", computed: "181.07", difference: "-0.03" },
        { kind: "SUBTOTAL", currency: "USD", companyName: null, reported: "2387.74", computed: "2387.77", difference: "-0.03" },
      ]),
    );
    expect(r.differences).toHaveLength(3);
  });

  it("makes one current-usage call for thirty companies' usage in one operation", async () => {
    const list = await t.gql(`{ partner(id: "${NORTHWIND}") { managedCompanies(first: 100) { nodes { id } } } }`);
    const ids: string[] = list.body.data!.partner.managedCompanies.nodes.map((c: any) => c.id);
    expect(ids).toHaveLength(30);
    const dist = t.sandbox.keeperDistributor;
    // Fresh scope so the cross-request cache does not hide the per-request dedup.
    const token = await t.token("*", "dedup-tenant");
    dist.calls.reset();
    const aliases = ids.map((id, i) => `c${i}: managedCompany(id: "${id}") { name currentUsage { quantity product { name } } }`).join("\n");
    const res = await t.gql(`{ ${aliases} partner(id: "${NORTHWIND}") { managedCompanies { nodes { currentUsage { quantity } } } } }`, undefined, token);
    expect(res.body.errors).toBeUndefined();
    expect(Object.keys(res.body.data!)).toHaveLength(31);
    expect(dist.calls.count("current-usage")).toBe(1);
  });

  it("serves a second identical request from the cache, and says so", async () => {
    const token = await t.token("*", "cache-tenant");
    const q = `{ partner(id: "${MSP_SELF}") { managedCompanies(first: 1) { nodes { source { fromCache ageSeconds connectionId } } } } }`;
    const first = await t.gql(q, undefined, token);
    const second = await t.gql(q, undefined, token);
    expect(first.body.data!.partner.managedCompanies.nodes[0].source).toMatchObject({ fromCache: false, connectionId: "keeper-msp" });
    expect(second.body.data!.partner.managedCompanies.nodes[0].source).toMatchObject({ fromCache: true, connectionId: "keeper-msp" });
    expect(t.sandbox.keeperMsp.calls.count("current-usage")).toBe(1);
  });

  it("makes one upstream call for concurrent identical misses (single-flight)", async () => {
    const token = await t.token("*", "single-flight");
    t.sandbox.keeperMsp.faults.next("current-usage", { delayMs: 150 });
    const q = `{ partner(id: "${MSP_SELF}") { managedCompanies { totalCount } } }`;
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => t.gql(q, undefined, token)));
    expect(results.map((r) => r.body.data!.partner.managedCompanies.totalCount)).toEqual([27, 27, 27, 27, 27]);
    expect(t.sandbox.keeperMsp.calls.count("current-usage")).toBe(1);
  });

  it("keeps callers of different scope apart in the cache", async () => {
    const q = `{ partner(id: "${MSP_SELF}") { managedCompanies(first: 1) { nodes { source { fromCache } } } } }`;
    const a = await t.token(["keeper-msp"], "tenant-a");
    const b = await t.token(["keeper-msp"], "tenant-b");
    await t.gql(q, undefined, a);
    const bFirst = await t.gql(q, undefined, b);
    expect(bFirst.body.data!.partner.managedCompanies.nodes[0].source.fromCache).toBe(false);
    expect(t.sandbox.keeperMsp.calls.count("current-usage")).toBe(2);
    const aAgain = await t.gql(q, undefined, a);
    expect(aAgain.body.data!.partner.managedCompanies.nodes[0].source.fromCache).toBe(true);
    expect(t.sandbox.keeperMsp.calls.count("current-usage")).toBe(2);
  });

  it("keeps connections apart, and hides connections outside the caller's scope", async () => {
    const token = await t.token(["keeper-msp"], "one-connection");
    const res = await t.gql(`{ connections { id } partners { nodes { id connectionId } } }`, undefined, token);
    expect(res.body.data!.connections).toEqual([{ id: "keeper-msp" }]);
    expect(new Set(res.body.data!.partners.nodes.map((p: any) => p.connectionId))).toEqual(new Set(["keeper-msp"]));
    const denied = await t.gql(`{ partner(id: "${NORTHWIND}") { name } }`, undefined, token);
    expect(denied.body.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    expect(t.sandbox.keeperDistributor.calls.count()).toBe(0);
  });

  it("pages invoice lines with cursors and filters by company", async () => {
    const q = `query($after: String) { invoiceLines(period: "2025-08", first: 50, after: $after, filter: { connectionId: "keeper-msp" }) {
      totalCount pageInfo { hasNextPage endCursor } nodes { id company { id } } } }`;
    const seen: string[] = [];
    let after: string | null = null;
    let total = 0;
    do {
      const res = await t.gql(q, { after });
      expect(res.body.errors).toBeUndefined();
      const page = res.body.data!.invoiceLines;
      total = page.totalCount;
      seen.push(...page.nodes.map((n: any) => n.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    const first = await t.gql(`{ invoiceLines(period: "2025-08", filter: { connectionId: "keeper-msp" }, first: 1000) { nodes { company { id name } } } }`);
    const company = first.body.data!.invoiceLines.nodes.find((n: any) => n.company?.name === "Packers").company;
    const filtered = await t.gql(`{ invoiceLines(period: "2025-08", filter: { companyId: "${company.id}" }) { totalCount nodes { company { name } amount { amount } } } }`);
    expect(filtered.body.data!.invoiceLines.totalCount).toBe(6);
    expect(sum(filtered.body.data!.invoiceLines.nodes.map((n: any) => new Dec(n.amount.amount))).toFixed()).toBe("239");
  });

  it("keys products on the vendor id across name drift and keeps unknown ids", async () => {
    const res = await t.gql(`{ products(filter: { connectionId: "keeper-distributor" }) { externalId name aliases category known } }`);
    const byId = new Map(res.body.data!.products.map((p: any) => [p.externalId, p]));
    expect(byId.get("720")).toMatchObject({ name: "Keeper MSP", category: "BASE_PLAN", known: true });
    expect((byId.get("720") as any).aliases).toContain("MSP Base License");
    expect(byId.get("1012")).toMatchObject({ category: "STORAGE" });
    const usage = await t.gql(`{ managedCompanies(first: 1000) { nodes { currentUsage { product { externalId known category } } } } }`);
    const products = usage.body.data!.managedCompanies.nodes.flatMap((c: any) => c.currentUsage.map((u: any) => u.product));
    expect(products.find((p: any) => p.externalId === "916")).toMatchObject({ known: false, category: "UNKNOWN" });
  });

  it("maps an unknown account status to UNKNOWN and keeps the raw value and vendor extras", async () => {
    const res = await t.gql(`{ subscriptions(filter: { connectionId: "keeper-distributor" }) { nodes { externalId status rawStatus attributes { name value } } } }`);
    const subs = res.body.data!.subscriptions.nodes;
    expect(subs.find((s: any) => s.externalId === "wingtip-009")).toMatchObject({ status: "UNKNOWN", rawStatus: "SUSPENDED" });
    expect(subs.find((s: any) => s.externalId === "adatum-007")).toMatchObject({
      status: "REGION_CONFLICT",
      attributes: [{ name: "accountRegion", value: "EU" }],
    });
  });
});
