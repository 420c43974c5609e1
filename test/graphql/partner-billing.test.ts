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
  it("gives an invoice in two currencies its totals per currency, never added together, and reconciles each exactly", async () => {
    const res = await t.gql(
      `query($p: BillingPeriod!) { invoice(partnerId: "${PARTNER}", period: $p) {
         documentId currency currencies subtotal { amount } tax { amount } total { amount currency }
         totals { currency lines subtotal { amount currency } tax { amount currency } total { amount currency } }
         reconciliation { balanced differences { kind } linesTotal { amount } linesTotals { amount currency } }
         aggregates(by: COMPANY) { key label lines subtotal { amount currency } total { amount currency } totals { currency lines total { amount } } }
         byCharge: aggregates(by: CHARGE_TYPE) { key lines totals { currency } }
         lines(first: 1000) { totalCount nodes { currency unitPrice { amount currency } exchangeRate { fromCurrency toCurrency rate date }
           amount { amount currency } tax { amount currency } total { amount currency } } } } }`,
      { p: lastMonth() },
    );
    expect(res.body.errors).toBeUndefined();
    const inv = res.body.data!.invoice;
    const lines = inv.lines.nodes as any[];
    expect(inv.lines.totalCount).toBe(lines.length);
    // The German customer is billed in EUR, the others in USD: no single currency, no single total.
    expect(inv.currencies).toEqual(["USD", "EUR"]);
    expect([inv.currency, inv.subtotal, inv.tax, inv.total, inv.reconciliation.linesTotal]).toEqual([null, null, null, null, null]);
    expect(inv.reconciliation).toMatchObject({ balanced: true, differences: [] });
    expect(inv.totals.map((x: any) => x.currency)).toEqual(["USD", "EUR"]);
    for (const x of inv.totals) {
      const own = lines.filter((l) => l.currency === x.currency);
      expect(x.lines).toBe(own.length);
      expect([x.subtotal.currency, x.tax.currency, x.total.currency]).toEqual([x.currency, x.currency, x.currency]);
      expect(new Dec(x.subtotal.amount).plus(x.tax.amount).equals(x.total.amount)).toBe(true);
      expect(sum(own.map((l) => new Dec(l.total.amount))).equals(x.total.amount)).toBe(true);
      expect(own.every((l) => l.amount.currency === x.currency && l.total.currency === x.currency)).toBe(true);
      // Each currency's computed line sum is listed apart.
      expect(inv.reconciliation.linesTotals.find((m: any) => m.currency === x.currency).amount).toBe(x.subtotal.amount);
      // Each customer is billed in one currency: its aggregate carries that currency's money only.
      const ofCurrency = inv.aggregates.filter((a: any) => a.total?.currency === x.currency);
      expect(sum(ofCurrency.map((a: any) => new Dec(a.total.amount))).equals(x.total.amount)).toBe(true);
    }
    expect(inv.aggregates.reduce((n: number, a: any) => n + a.lines, 0)).toBe(inv.lines.totalCount);
    // A charge type spans both currencies: its single figures are null, its totals are per currency.
    expect(inv.byCharge.map((a: any) => a.key)).toEqual(expect.arrayContaining(["cycleCharge", "new", "removeQuantity"]));
    expect(inv.byCharge.find((a: any) => a.key === "cycleCharge").totals.map((x: any) => x.currency).sort()).toEqual(["EUR", "USD"]);
    // Prices are in the pricing currency (USD), amounts in the billing currency, linked by the vendor's rate.
    const eur = lines.filter((l) => l.currency === "EUR");
    expect(eur.length).toBeGreaterThan(0);
    for (const l of eur) {
      expect(l.unitPrice.currency).toBe("USD");
      expect(l.exchangeRate).toEqual({ fromCurrency: "USD", toCurrency: "EUR", rate: "0.9233", date: "2025-06-01" });
    }
    expect(lines.filter((l) => l.currency === "USD").every((l) => l.unitPrice.currency === "USD" && l.exchangeRate.rate === "1")).toBe(true);
    // Money is written at the currency's minor unit (PSA imports): two decimals for USD and EUR, never fewer.
    const amounts = [...inv.totals.flatMap((x: any) => [x.subtotal, x.tax, x.total]), ...inv.reconciliation.linesTotals, ...lines.flatMap((l) => [l.amount, l.tax, l.total])];
    expect(amounts.filter((m: any) => !/^-?\d+\.\d{2,}$/.test(m.amount))).toEqual([]);
    expect(amounts.some((m: any) => /\.\d0$/.test(m.amount))).toBe(true); // e.g. 12.30, not 12.3

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
    const q = `{ partner(id: "${PARTNER}") { unbilledLines(billingPeriod: CURRENT, currency: "usd", first: 200) { totalCount nodes { chargeType total { amount currency } } } } }`;
    const first = await t.gql(q);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data!.partner.unbilledLines.totalCount).toBe(120);
    expect(new Set(first.body.data!.partner.unbilledLines.nodes.map((n: any) => n.total.currency))).toEqual(new Set(["USD"]));
    expect(JSON.parse(t.sandbox.partnerBilling.calls.last("unbilled-export")!.body)).toEqual({ currencyCode: "USD", billingPeriod: "current", attributeSet: "full" });
    await t.gql(q);
    expect(t.sandbox.partnerBilling.calls.count("unbilled-export")).toBe(1);
    // Exported per billing currency: the EUR export holds the EUR-billed customer's lines only.
    const eur = await t.gql(`{ partner(id: "${PARTNER}") { unbilledLines(billingPeriod: CURRENT, currency: "EUR", first: 200) { totalCount nodes { currency total { currency } } } } }`);
    expect(eur.body.errors).toBeUndefined();
    expect(eur.body.data!.partner.unbilledLines.totalCount).toBe(120);
    expect(new Set(eur.body.data!.partner.unbilledLines.nodes.flatMap((n: any) => [n.currency, n.total.currency]))).toEqual(new Set(["EUR"]));
    const bad = await t.gql(`{ partner(id: "${PARTNER}") { unbilledLines(billingPeriod: LAST, currency: "dollars") { totalCount } } }`);
    expect(bad.body.errors![0].extensions?.code).toBe("BAD_USER_INPUT");
  });
});
