/**
 * Sums per currency. A total exists per currency: amounts of two currencies are never added, and a
 * figure is never labelled with a currency other than its own (DOMAIN.md, Rules).
 */
import type { Decimal } from "decimal.js";
import { Dec } from "./money";

/** The lines of one currency added up exactly. */
export interface CurrencyTotals {
  currency: string;
  lines: number;
  /** Pre-tax; null when no line of this currency has an amount. */
  amount: Decimal | null;
  tax: Decimal | null;
  total: Decimal | null;
}

const add = (a: Decimal | null, b: Decimal | null | undefined) => (b == null ? a : (a ?? new Dec(0)).plus(b));

/** Adds lines up per currency, currencies in the order they first appear. Lines without a currency carry no money and are not added. */
export class CurrencyTotalsAccumulator {
  private readonly byCurrency = new Map<string, CurrencyTotals>();

  add(currency: string | null, amount: Decimal | null, tax?: Decimal | null, total?: Decimal | null): void {
    if (currency === null) return;
    let t = this.byCurrency.get(currency);
    if (!t) this.byCurrency.set(currency, (t = { currency, lines: 0, amount: null, tax: null, total: null }));
    t.lines++;
    t.amount = add(t.amount, amount);
    t.tax = add(t.tax, tax);
    t.total = add(t.total, total);
  }

  result(): CurrencyTotals[] {
    return [...this.byCurrency.values()].map((t) => ({ ...t }));
  }
}

/** The one currency of a list of per-currency figures, or null when there are none or several (mixed). */
export function singleCurrency(currencies: Iterable<string>): string | null {
  const set = new Set(currencies);
  return set.size === 1 ? [...set][0] : null;
}
