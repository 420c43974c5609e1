/** Microsoft Partner Center invoices through the gateway: totals, aggregates, filtered lines. */
import { Dec, sum } from "../../src/domain/money";
import { lastMonth } from "../../src/graphql/examples";
import { startTestGateway, type TestGateway } from "../helpers/gateway";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());

const PARTNER = "partner:microsoft-partner-billing:partner";

describe("partner center invoices", () => {
  it("reconciles an invoice's totals exactly with its lines, and adds them up per customer", async () => {
    const res = await t.gql(
      `query($p: BillingPeriod!) { invoice(partnerId: "${PARTNER}", period: $p) {
         documentId currency subtotal { amount } tax { amount } total { amount currency }
         reconciliation { balanced differences { kind } linesTotal { amount } }
         aggregates(by: COMPANY) { key label lines subtotal { amount } total { amount } }
         byCharge: aggregates(by: CHARGE_TYPE) { key lines }
         lines(first: 1000) { totalCount nodes { total { amount } } } } }`,
      { p: lastMonth() },
    );
    expect(res.body.errors).toBeUndefined();
    const inv = res.body.data!.invoice;
    expect(inv.reconciliation).toMatchObject({ balanced: true, differences: [] });
    expect(new Dec(inv.subtotal.amount).plus(inv.tax.amount).equals(inv.total.amount)).toBe(true);
    expect(sum(inv.lines.nodes.map((l: any) => new Dec(l.total.amount))).equals(inv.total.amount)).toBe(true);
    expect(sum(inv.aggregates.map((a: any) => new Dec(a.total.amount))).equals(inv.total.amount)).toBe(true);
    expect(inv.aggregates.reduce((n: number, a: any) => n + a.lines, 0)).toBe(inv.lines.totalCount);
    expect(inv.byCharge.map((a: any) => a.key)).toEqual(expect.arrayContaining(["cycleCharge", "new", "removeQuantity"]));

    const customer = inv.aggregates[0];
    const filtered = await t.gql(`query($p: BillingPeriod!, $c: ID!) { invoice(partnerId: "${PARTNER}", period: $p) { lines(companyId: $c, first: 1000) { totalCount nodes { company { name } } } } }`, {
      p: lastMonth(),
      c: customer.key,
    });
    expect(filtered.body.data!.invoice.lines.totalCount).toBe(customer.lines);
    expect(new Set(filtered.body.data!.invoice.lines.nodes.map((n: any) => n.company.name))).toEqual(new Set([customer.label]));
    expect(t.sandbox.partnerBilling.calls.count("billed-export")).toBe(1);
  });

  it("gives a managed company's lines from the invoice", async () => {
    const res = await t.gql(`query($p: BillingPeriod!) { invoiceLines(period: $p, first: 1, filter: { connectionId: "microsoft-partner-billing" }) { nodes { company { id name externalIds { kind value } invoiceLines(period: $p) { chargeType quantity } } } } }`, { p: lastMonth() });
    expect(res.body.errors).toBeUndefined();
    const company = res.body.data!.invoiceLines.nodes[0].company;
    expect(company.externalIds.map((e: any) => e.kind)).toEqual(["microsoft.customerId", "microsoft.domain"]);
    expect(company.invoiceLines.length).toBeGreaterThan(10);
    expect(t.sandbox.partnerBilling.calls.count("billed-export")).toBe(1); // still the one export
  });

  it("gives the unbilled lines of the running period, exported once and then reused", async () => {
    const q = `{ partner(id: "${PARTNER}") { unbilledLines(billingPeriod: CURRENT, currency: "usd", first: 5) { totalCount nodes { chargeType total { amount currency } } } } }`;
    const first = await t.gql(q);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data!.partner.unbilledLines.totalCount).toBe(120);
    expect(JSON.parse(t.sandbox.partnerBilling.calls.last("unbilled-export")!.body)).toEqual({ currencyCode: "USD", billingPeriod: "current", attributeSet: "full" });
    await t.gql(q);
    expect(t.sandbox.partnerBilling.calls.count("unbilled-export")).toBe(1);
    const bad = await t.gql(`{ partner(id: "${PARTNER}") { unbilledLines(billingPeriod: LAST, currency: "dollars") { totalCount } } }`);
    expect(bad.body.errors![0].extensions?.code).toBe("BAD_USER_INPUT");
  });
});
