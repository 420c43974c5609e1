/**
 * A customer's months across vendors at resale (issue 12, items 3 and 4), over HTTP in the sandbox:
 * month-over-month change with its causes, MRR, and the PSA reconciliation with each kind of difference.
 */
import { Decimal } from "decimal.js";
import { exampleOperations, lastMonth } from "../../src/graphql/examples";
import { formatBillingPeriod, parseBillingPeriod, previousPeriod, type BillingPeriod } from "../../src/domain/period";
import { startTestGateway, type TestGateway } from "../helpers/gateway";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());

const PERIOD = lastMonth();
const before = (p: string) => formatBillingPeriod(previousPeriod(parseBillingPeriod(p) as BillingPeriod));

async function resaleTotals(customer: string, period: string): Promise<Record<string, string>> {
  const res = await t.gql(`query($p: BillingPeriod!) { customer(id: "${customer}") { billing(period: $p) { totals { currency resale { amount } } } } }`, { p: period });
  expect(res.body.errors).toBeUndefined();
  return Object.fromEntries(res.body.data!.customer.billing.totals.filter((c: any) => c.resale).map((c: any) => [c.currency, new Decimal(c.resale.amount).toFixed()]));
}

describe("month over month", () => {
  it("gives each currency's change from the month before, and per product causes that add up to it", async () => {
    const res = await t.gql(
      `query($p: BillingPeriod!) { customer(id: "harbor-dental") { changes(period: $p) {
        period previousPeriod unpricedLines
        byCurrency { currency previous { amount } current { amount } change { amount } }
        products { productKey productName amountChange { amount currency } previous { quantity } current { quantity } causes { cause amount { amount currency } detail } } } } }`,
      { p: PERIOD },
    );
    expect(res.body.errors).toBeUndefined();
    const change = res.body.data!.customer.changes;
    expect(change).toMatchObject({ period: PERIOD, previousPeriod: before(PERIOD) });
    // The figures are the two months' resale totals.
    const [now, then] = await Promise.all([resaleTotals("harbor-dental", PERIOD), resaleTotals("harbor-dental", before(PERIOD))]);
    for (const c of change.byCurrency) {
      expect(new Decimal(c.current.amount).toFixed()).toBe(now[c.currency] ?? "0");
      expect(new Decimal(c.previous.amount).toFixed()).toBe(then[c.currency] ?? "0");
      expect(new Decimal(c.current.amount).minus(c.previous.amount).toFixed()).toBe(new Decimal(c.change.amount).toFixed());
    }
    expect(change.products.length).toBeGreaterThan(0);
    for (const p of change.products) {
      const sum = p.causes.reduce((s: Decimal, c: any) => s.plus(c.amount.amount), new Decimal(0));
      expect(sum.toFixed()).toBe(new Decimal(p.amountChange.amount).toFixed());
      for (const c of p.causes) expect(["PRODUCT_ADDED", "PRODUCT_DROPPED", "SEATS_ADDED", "SEATS_REMOVED", "PRICE_CHANGED"]).toContain(c.cause);
    }
    // The product changes of a currency add up to its change.
    for (const c of change.byCurrency) {
      const sum = change.products.filter((p: any) => p.amountChange.currency === c.currency).reduce((s: Decimal, p: any) => s.plus(p.amountChange.amount), new Decimal(0));
      expect(sum.toFixed()).toBe(new Decimal(c.change.amount).toFixed());
    }
  });
});

describe("MRR", () => {
  it("gives the last months' recurring resale per currency, oldest first, equal to each month's billing", async () => {
    const res = await t.gql(`query($p: BillingPeriod!) { customer(id: "kestrel-logistics") { mrr(months: 3, endingAt: $p) { period byCurrency { amount currency } unpricedLines } } }`, { p: PERIOD });
    expect(res.body.errors).toBeUndefined();
    const months = res.body.data!.customer.mrr;
    expect(months.map((m: any) => m.period)).toEqual([before(before(PERIOD)), before(PERIOD), PERIOD]);
    for (const m of months) {
      const expected = await resaleTotals("kestrel-logistics", m.period);
      expect(Object.fromEntries(m.byCurrency.map((c: any) => [c.currency, new Decimal(c.amount).toFixed()]))).toEqual(expected);
    }
  });

  it("refuses more than 12 months", async () => {
    const res = await t.gql(`{ customer(id: "kestrel-logistics") { mrr(months: 13) { period } } }`);
    expect(res.body.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
  });
});

describe("PSA reconciliation", () => {
  /** What a PSA that billed exactly the usage would hold: one charge per customer, SKU and currency. */
  async function exactCharges(customers: Record<string, string>): Promise<Array<{ customerRef: string; sku: string; quantity: string; amount: string; currency: string }>> {
    const out = new Map<string, { customerRef: string; sku: string; quantity: Decimal; amount: Decimal; currency: string }>();
    for (const [customerId, psaRef] of Object.entries(customers)) {
      const res = await t.gql(`query($p: BillingPeriod!) { invoiceLines(period: $p, first: 1000, filter: { customerId: "${customerId}" }) { totalCount nodes { quantity resale { amount currency } product { externalId } } } }`, { p: PERIOD });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.invoiceLines.totalCount).toBeLessThanOrEqual(1000);
      for (const n of res.body.data!.invoiceLines.nodes) {
        if (!n.resale) continue;
        const key = `${psaRef}|${n.product.externalId}|${n.resale.currency}`;
        const have = out.get(key) ?? { customerRef: psaRef, sku: n.product.externalId, quantity: new Decimal(0), amount: new Decimal(0), currency: n.resale.currency };
        out.set(key, { ...have, quantity: have.quantity.plus(n.quantity), amount: have.amount.plus(n.resale.amount) });
      }
    }
    return [...out.values()].map((c) => ({ ...c, quantity: c.quantity.toFixed(), amount: c.amount.toFixed() }));
  }

  const RECONCILE = `query($p: BillingPeriod!, $charges: [PsaChargeInput!]!) { psaReconciliation(period: $p, charges: $charges) {
    matched unmatchedCustomerRefs { customerRef lines }
    differences { kind customerId sku currency quantityDelta amountDelta detail psaReferences psa { quantity amount { amount } lines } vendor { quantity amount { amount } lines } } } }`;

  it("finds nothing to report when the PSA billed exactly the usage", async () => {
    const charges = await exactCharges({ "harbor-dental": "PSA-1001", "kestrel-logistics": "PSA-1002", "contoso-pharma": "PSA-1003" });
    const res = await t.gql(RECONCILE, { p: PERIOD, charges });
    expect(res.body.errors).toBeUndefined();
    const r = res.body.data!.psaReconciliation;
    expect(r.differences).toEqual([]);
    expect(r.matched).toBe(charges.length);
  });

  it("finds each kind of difference, with both sides' figures", async () => {
    // Kestrel is named by its directory id rather than its PSA id; both are accepted.
    const charges = await exactCharges({ "harbor-dental": "PSA-1001", "kestrel-logistics": "kestrel-logistics", "contoso-pharma": "PSA-1003" });
    const [under, over, missing, ...rest] = charges;
    const billed = [
      { ...under, quantity: new Decimal(under.quantity).minus(1).toFixed(), amount: new Decimal(under.amount).minus("2.50").toFixed(), reference: "agreement-12/addition-3" },
      { ...over, amount: new Decimal(over.amount).plus("10").toFixed() },
      ...rest,
      { customerRef: "PSA-1001", sku: "RETIRED-SKU", quantity: "1", amount: "19.99", currency: "USD", reference: "contract-4/charge-9" },
      { customerRef: "PSA-9999", sku: "X", quantity: "1", amount: "1", currency: "USD" },
    ];
    void missing; // not billed: MISSING_IN_PSA
    const res = await t.gql(RECONCILE, { p: PERIOD, charges: billed });
    expect(res.body.errors).toBeUndefined();
    const r = res.body.data!.psaReconciliation;
    const kinds = r.differences.map((d: any) => [d.kind, d.sku]);
    expect(kinds).toEqual(expect.arrayContaining([["UNDER_BILLED", under.sku], ["OVER_BILLED", over.sku], ["MISSING_IN_PSA", missing.sku], ["MISSING_AT_VENDOR", "RETIRED-SKU"]]));
    expect(r.differences).toHaveLength(4);
    const u = r.differences.find((d: any) => d.kind === "UNDER_BILLED");
    expect([u.quantityDelta, new Decimal(u.amountDelta).toFixed()]).toEqual(["-1", "-2.5"]);
    expect(new Decimal(u.vendor.amount.amount).minus(u.psa.amount.amount).toFixed()).toBe("2.5");
    expect(u.psaReferences).toEqual(["agreement-12/addition-3"]);
    expect(r.differences.find((d: any) => d.kind === "MISSING_AT_VENDOR")).toMatchObject({ vendor: null, psaReferences: ["contract-4/charge-9"], psa: { quantity: "1" } });
    expect(r.differences.find((d: any) => d.kind === "MISSING_IN_PSA")).toMatchObject({ psa: null, vendor: { quantity: missing.quantity } });
    expect(r.unmatchedCustomerRefs).toEqual([{ customerRef: "PSA-9999", lines: 1 }]);
  });

  it("refuses a malformed currency and a future month before any vendor call", async () => {
    t.resetCalls();
    const bad = await t.gql(RECONCILE, { p: PERIOD, charges: [{ customerRef: "PSA-1001", sku: "x", quantity: "1", amount: "1", currency: "usd" }] });
    expect(bad.body.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    const future = await t.gql(RECONCILE, { p: "2999-01", charges: [] });
    expect(future.status).toBe(400);
    expect(t.upstreamCalls()).toBe(0);
  });

  it("finds the one discrepancy the sandbox's PSA sample holds: a Keeper seat Kestrel is not billed for", async () => {
    const sample = exampleOperations(Date.now(), null).find((o) => o.name === "PsaReconciliation")!;
    expect(sample.variables).toMatchObject({ period: "2025-08" });
    const res = await t.gql(sample.query, sample.variables);
    expect(res.body.errors).toBeUndefined();
    const r = res.body.data!.psaReconciliation;
    expect(r.differences).toEqual([
      expect.objectContaining({ kind: "UNDER_BILLED", customerId: "kestrel-logistics", sku: "10002", currency: "USD", quantityDelta: "-1", psaReferences: ["AGR-1002/ADD-6"] }),
    ]);
    expect(r.matched).toBe((sample.variables!.charges as unknown[]).length - 1);
    expect(r.unmatchedCustomerRefs).toEqual([]);
  });
});
