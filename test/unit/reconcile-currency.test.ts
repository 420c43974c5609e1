/** Reconciliation per currency: figures of two currencies are never added nor compared with each other. */
import { Dec } from "../../src/domain/money";
import type { InvoiceLineRecord, StatementRecord } from "../../src/domain/model";
import { reconcile } from "../../src/domain/reconcile";
import { aggregateLines } from "../../src/domain/aggregate";

function line(n: number, currency: string, amount: string, companyKey = "c1"): InvoiceLineRecord {
  return {
    id: `l${n}`, connectionId: "x", vendor: "MICROSOFT", period: { year: 2026, month: 10 }, partnerKey: "p", companyKey, companyName: companyKey,
    companyExternalIds: [], productKey: "prod", description: null, quantity: new Dec(1), unit: null, unitPrice: null,
    amount: new Dec(amount), tax: new Dec(0), total: new Dec(amount), currency, chargeStart: "", chargeEnd: "", chargeType: "new",
    subscriptionId: null, locationId: null, attributes: [], source: { documentId: "d", rowRef: String(n) },
  };
}

function statement(lines: InvoiceLineRecord[], byCurrency: StatementRecord["reported"]["byCurrency"]): StatementRecord {
  return { connectionId: "x", vendor: "MICROSOFT", partnerKey: "p", period: { year: 2026, month: 10 }, currency: null, documentId: "d", lines, reported: { byCurrency, groups: [] }, lineAmountRule: null, lineTotals: true, problems: [] };
}

const reported = (currency: string, subtotal: string) => ({ currency, subtotal: new Dec(subtotal), tax: new Dec(0), total: new Dec(subtotal) });

describe("reconciliation per currency", () => {
  it("compares each currency's reported subtotal with that currency's lines only", () => {
    const r = reconcile(statement([line(1, "USD", "100"), line(2, "EUR", "49"), line(3, "USD", "0.5")], [reported("USD", "100.5"), reported("EUR", "50")]));
    expect(r.linesTotals.map((t) => [t.currency, t.amount!.toFixed()])).toEqual([["USD", "100.5"], ["EUR", "49"]]);
    expect(r.balanced).toBe(false);
    expect(r.differences.map((d) => [d.kind, d.currency, d.difference.toFixed()])).toEqual([["SUBTOTAL", "EUR", "1"]]);
  });

  it("reports lines in a currency the vendor gives no figures for, rather than leaving them unchecked", () => {
    const r = reconcile(statement([line(1, "USD", "100"), line(2, "GBP", "7")], [reported("USD", "100")]));
    expect(r.differences).toEqual([expect.objectContaining({ kind: "SUBTOTAL", currency: "GBP", reported: null, difference: new Dec(-7) })]);
  });

  it("gives a group spanning two currencies no single amount, and its money per currency", () => {
    const [group] = aggregateLines([line(1, "USD", "10"), line(2, "EUR", "5"), line(3, "USD", "1")], "COMPANY");
    expect([group.amount, group.currency]).toEqual([null, null]);
    expect(group.byCurrency.map((t) => [t.currency, t.lines, t.amount!.toFixed()])).toEqual([["USD", 2, "11"], ["EUR", 1, "5"]]);
  });
});
