/**
 * The price book over HTTP in the sandbox: Webex lines costed from the wholesale price list, Keeper and
 * Microsoft lines from the vendor; resale by the sandbox's rules; a customer's month added up per
 * currency; what a company-scoped caller may see.
 */
import { Dec, moneyText, sum } from "../../src/domain/money";
import { lastMonth } from "../../src/graphql/examples";
import { startTestGateway, type TestGateway } from "../helpers/gateway";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());

const LINE_FIELDS = `vendor currency product { externalId name } quantity amount { amount currency }
  cost { amount currency } costSource resale { amount currency } margin { amount currency } pricing { rule costRule reason }`;
const TOTALS = `currency lines cost { amount currency } resale { amount currency } margin { amount currency }`;
const BILLING = `billing(period: $p) { period lines totals { ${TOTALS} } byVendor { vendor lines totals { ${TOTALS} } }
  byProduct { vendor connectionId productId name lines totals { ${TOTALS} } } unpriced { lines reasons { reason lines } } withoutMargin { lines reasons { reason lines } } }`;

async function customerMonth(id: string, gw: TestGateway = t) {
  const res = await gw.gql(`query($p: BillingPeriod!) { customer(id: "${id}") { ${BILLING} invoiceLines(period: $p, first: 1000) { totalCount nodes { ${LINE_FIELDS} } } } }`, { p: lastMonth() });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.customer as { billing: any; invoiceLines: { totalCount: number; nodes: any[] } };
}

/** The exact sum of the lines' figures of one kind in one currency, at the wire's minor unit; null when none. */
function sumOf(lines: any[], field: "cost" | "resale" | "margin", currency: string): string | null {
  const own = lines.filter((l) => l[field]?.currency === currency);
  return own.length ? moneyText(sum(own.map((l) => new Dec(l[field].amount))), currency) : null;
}

describe("price book in the sandbox", () => {
  it("shows one customer's month from Keeper, Webex and Microsoft with cost, resale and margin, Webex costed from the price list", async () => {
    const { billing, invoiceLines } = await customerMonth("harbor-dental");
    const lines = invoiceLines.nodes;
    expect(invoiceLines.totalCount).toBe(lines.length);
    expect(new Set(lines.map((l) => l.vendor))).toEqual(new Set(["KEEPER", "WEBEX", "MICROSOFT"]));

    const webex = lines.filter((l) => l.vendor === "WEBEX");
    for (const l of webex) {
      // The vendor's own figure stays null; the book's price shows as the cost.
      expect(l.amount).toBeNull();
      expect(l.costSource).toBe("PRICE_BOOK");
      expect(l.pricing.costRule).toMatch(new RegExp(`^price book: SKU ${l.product.externalId} at [0-9.]+ USD per unit \\(WEBEX\\)`));
      const unitPrice = /at ([0-9.]+) USD/.exec(l.pricing.costRule)![1];
      // Unit price × quantity, rounded half-up to cents on the line.
      expect(l.cost).toEqual({ amount: new Dec(unitPrice).times(l.quantity).toDecimalPlaces(2, Dec.ROUND_HALF_UP).toFixed(2), currency: "USD" });
    }
    for (const l of lines.filter((l) => l.vendor !== "WEBEX")) {
      expect(l.costSource).toBe("VENDOR");
      expect(l.cost).toEqual(l.amount);
      expect(l.pricing.costRule).toBe("vendor amount");
    }
    for (const l of lines) {
      expect(l.resale).not.toBeNull();
      expect(l.pricing.rule).toEqual(expect.any(String));
      expect(l.pricing.reason).toBeNull();
      expect(l.margin).toEqual({ amount: new Dec(l.resale.amount).minus(l.cost.amount).toFixed(2), currency: l.resale.currency });
    }
    // Each of the sandbox's rule kinds priced something.
    const rules = [...new Set(lines.map((l) => l.pricing.rule))];
    expect(rules).toHaveLength(5);
    expect(rules).toEqual(
      expect.arrayContaining([
        "default markup 15%",
        "markup 25% (WEBEX)",
        "SKU 10010 at 4.50 USD (KEEPER)",
        "customer harbor-dental: SKU WX-SUITE at 0.70 USD",
        expect.stringMatching(/^minimum charge 5\.00 USD \(SKU WXC-CA, WEBEX\), over markup 25% \(WEBEX\): \d+\.\d\d USD$/),
      ]),
    );
    const suite = webex.find((l) => l.product.externalId === "WX-SUITE")!;
    expect(suite.resale.amount).toBe(new Dec("0.70").times(suite.quantity).toDecimalPlaces(2, Dec.ROUND_HALF_UP).toFixed(2));

    // The month added up: every line counted, totals the exact sums of the lines' own figures.
    expect(billing.lines).toBe(lines.length);
    expect(billing.unpriced).toEqual({ lines: 0, reasons: [] });
    expect(billing.totals).toEqual([
      { currency: "USD", lines: lines.length, cost: { amount: sumOf(lines, "cost", "USD"), currency: "USD" }, resale: { amount: sumOf(lines, "resale", "USD"), currency: "USD" }, margin: { amount: sumOf(lines, "margin", "USD"), currency: "USD" } },
    ]);
    expect(billing.byVendor.map((v: any) => v.vendor).sort()).toEqual(["KEEPER", "MICROSOFT", "WEBEX"]);
    for (const v of billing.byVendor) {
      const own = lines.filter((l) => l.vendor === v.vendor);
      expect(v.lines).toBe(own.length);
      expect(v.totals[0].resale.amount).toBe(sumOf(own, "resale", "USD"));
    }
    expect(sum(billing.byProduct.map((p: any) => new Dec(p.lines))).toNumber()).toBe(lines.length);
    for (const p of billing.byProduct) {
      const own = lines.filter((l) => l.vendor === p.vendor && l.product.externalId === p.productId);
      expect({ product: p.productId, lines: p.lines, name: p.name, cost: p.totals[0].cost.amount }).toEqual({ product: p.productId, lines: own.length, name: own[0].product.name, cost: sumOf(own, "cost", "USD") });
    }
  });

  it("keeps currencies apart: Keeper's USD and Microsoft's EUR give two totals, and margins never mix", async () => {
    const { billing, invoiceLines } = await customerMonth("contoso-pharma");
    const lines = invoiceLines.nodes;
    expect(billing.totals.map((c: any) => c.currency).sort()).toEqual(["EUR", "USD"]);
    for (const c of billing.totals) {
      const own = lines.filter((l) => l.cost?.currency === c.currency || l.resale?.currency === c.currency);
      expect(c.lines).toBe(own.length);
      for (const field of ["cost", "resale", "margin"] as const) expect(c[field]).toEqual({ amount: sumOf(lines, field, c.currency), currency: c.currency });
    }
    const eur = lines.filter((l) => l.vendor === "MICROSOFT");
    expect(eur.length).toBeGreaterThan(0);
    for (const l of eur) expect([l.cost.currency, l.resale.currency, l.margin.currency]).toEqual(["EUR", "EUR", "EUR"]);
    const microsoft = billing.byVendor.find((v: any) => v.vendor === "MICROSOFT");
    expect(microsoft.totals.map((c: any) => c.currency)).toEqual(["EUR"]);
  });

  it("lets a company-scoped caller see its resale, and refuses it cost, margin and the pricing rules with 403", async () => {
    const companies = await t.gql(`{ partner(id: "partner:keeper-msp:self") { managedCompanies(first: 1) { nodes { id } } } }`);
    const company = companies.body.data!.partner.managedCompanies.nodes[0].id;
    const token = await t.token("*", undefined, { roles: ["billing:read"], company, subject: "customer-user" });
    const own = await t.gql(`query($p: BillingPeriod!) { invoiceLines(period: $p, first: 100) { nodes { quantity resale { amount currency } } } }`, { p: "2025-08" }, token);
    expect(own.body.errors).toBeUndefined();
    const nodes = own.body.data!.invoiceLines.nodes;
    expect(nodes.length).toBeGreaterThan(0);
    for (const n of nodes) expect(n.resale).toEqual({ amount: expect.stringMatching(/^-?\d+\.\d\d$/), currency: "USD" });

    t.resetCalls();
    const refused = await t.gql(`{ invoiceLines(period: "2025-08") { nodes { resale { amount } cost { amount } costSource margin { amount } pricing { rule } } } }`, undefined, token);
    expect(refused.status).toBe(403);
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors![0].extensions).toMatchObject({
      code: "FORBIDDEN",
      companyScoped: true,
      fields: ["InvoiceLine.cost", "InvoiceLine.costSource", "InvoiceLine.margin", "InvoiceLine.pricing"],
    });
    expect(t.upstreamCalls()).toBe(0);
  });
});

describe("a price book that does not price everything", () => {
  let partial: TestGateway;
  beforeAll(async () => {
    // No Webex price list and only a Keeper markup: Webex lines have no cost, Microsoft's no resale rule.
    partial = await startTestGateway({ overrides: { priceBook: { resale: [{ vendor: "KEEPER", markupPercent: "10" }] } } });
  });
  afterAll(() => partial.close());

  it("keeps every line, null where it cannot be priced and saying why, and counts them by reason", async () => {
    const { billing, invoiceLines } = await customerMonth("harbor-dental", partial);
    const lines = invoiceLines.nodes;
    expect(billing.lines).toBe(invoiceLines.totalCount);
    const webex = lines.filter((l) => l.vendor === "WEBEX");
    const microsoft = lines.filter((l) => l.vendor === "MICROSOFT");
    for (const l of webex) {
      expect([l.cost, l.costSource, l.resale, l.margin]).toEqual([null, null, null, null]);
      expect(l.pricing.reason).toMatch(/^no vendor amount and no wholesale price for SKU \S+ \(WEBEX, webex-wholesale\) valid on \d{4}-\d\d-01; no resale rule; no margin without a cost$/);
    }
    for (const l of microsoft) {
      expect(l.costSource).toBe("VENDOR");
      expect([l.resale, l.margin, l.pricing.rule]).toEqual([null, null, null]);
      expect(l.pricing.reason).toBe("no resale rule; no margin without a resale");
    }
    const keeper = lines.filter((l) => l.vendor === "KEEPER");
    expect(keeper.every((l) => l.pricing.rule === "markup 10% (KEEPER)")).toBe(true);
    expect(billing.unpriced).toEqual({ lines: webex.length + microsoft.length, reasons: [{ reason: "no resale rule", lines: webex.length + microsoft.length }] });
    expect(billing.withoutMargin.lines).toBe(webex.length + microsoft.length);
    expect(billing.totals).toEqual([
      { currency: "USD", lines: keeper.length + microsoft.length, cost: { amount: sumOf(lines, "cost", "USD"), currency: "USD" }, resale: { amount: sumOf(keeper, "resale", "USD"), currency: "USD" }, margin: { amount: sumOf(keeper, "margin", "USD"), currency: "USD" } },
    ]);
  });
});
