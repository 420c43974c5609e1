/**
 * A customer's month priced, added up: per currency (never across two), by vendor and by product, with
 * the lines that could not be priced counted by reason. Each line's figures are already rounded (per line,
 * rounding.ts); here they are only added, exactly.
 */
import type { Decimal } from "decimal.js";
import type { Money } from "../domain/money";
import type { Vendor } from "../domain/model";
import type { LinePrice } from "./price-book";

export interface BillingCurrencyFigures {
  currency: string;
  /** Lines with a cost or a resale in this currency. */
  lines: number;
  cost: Decimal | null;
  resale: Decimal | null;
  /** The lines' own margins in this currency (resale and cost both in it). */
  margin: Decimal | null;
}

const add = (a: Decimal | null, b: Money | null, currency: string): Decimal | null => (b === null || b.currency !== currency ? a : a === null ? b.amount : a.plus(b.amount));

/** Figures per currency, currencies in the order they first appear. */
export class BillingCurrencyTotals {
  private readonly byCurrency = new Map<string, BillingCurrencyFigures>();
  lines = 0;

  add(p: LinePrice): void {
    this.lines++;
    const a = p.cost?.currency;
    const b = p.resale?.currency;
    if (a !== undefined) this.addIn(a, p);
    if (b !== undefined && b !== a) this.addIn(b, p);
  }

  private addIn(currency: string, p: LinePrice): void {
    let t = this.byCurrency.get(currency);
    if (!t) this.byCurrency.set(currency, (t = { currency, lines: 0, cost: null, resale: null, margin: null }));
    t.lines++;
    t.cost = add(t.cost, p.cost, currency);
    t.resale = add(t.resale, p.resale, currency);
    t.margin = add(t.margin, p.margin, currency);
  }

  result(): BillingCurrencyFigures[] {
    return [...this.byCurrency.values()].map((t) => ({ ...t }));
  }
}

/** Lines counted per reason. */
export class ReasonCounts {
  private readonly counts = new Map<string, number>();
  lines = 0;

  add(reason: string): void {
    this.lines++;
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  result(): { lines: number; reasons: Array<{ reason: string; lines: number }> } {
    const reasons = [...this.counts].map(([reason, lines]) => ({ reason, lines })).sort((x, y) => y.lines - x.lines || (x.reason < y.reason ? -1 : 1));
    return { lines: this.lines, reasons };
  }
}

export interface BilledLine {
  vendor: Vendor;
  connectionId: string;
  productKey: string;
  description: string | null;
}

export interface ProductFigures {
  vendor: Vendor;
  connectionId: string;
  productKey: string;
  /** The vendor's description on the first line seen (the product's name comes from the connector). */
  description: string | null;
  totals: BillingCurrencyTotals;
}

export class BillingAccumulator {
  readonly totals = new BillingCurrencyTotals();
  readonly byVendor = new Map<Vendor, BillingCurrencyTotals>();
  readonly byProduct = new Map<string, ProductFigures>();
  readonly unpriced = new ReasonCounts();
  readonly withoutMargin = new ReasonCounts();

  add(line: BilledLine, p: LinePrice): void {
    this.totals.add(p);
    let v = this.byVendor.get(line.vendor);
    if (!v) this.byVendor.set(line.vendor, (v = new BillingCurrencyTotals()));
    v.add(p);
    const key = `${line.connectionId}\u0000${line.productKey}`;
    let product = this.byProduct.get(key);
    if (!product) {
      product = { vendor: line.vendor, connectionId: line.connectionId, productKey: line.productKey, description: line.description, totals: new BillingCurrencyTotals() };
      this.byProduct.set(key, product);
    }
    product.totals.add(p);
    if (p.resaleReason !== null) this.unpriced.add(p.resaleReason);
    if (p.marginReason !== null) this.withoutMargin.add(p.costReason && !p.cost ? `${p.marginReason}: ${p.costReason}` : p.marginReason);
  }
}
