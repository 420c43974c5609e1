/**
 * A customer's month against the month before, explained: per product and currency, the change in
 * amount and what caused it.
 *
 * - PRODUCT_ADDED / PRODUCT_DROPPED: the product is billed in one month only;
 * - SEATS_ADDED / SEATS_REMOVED: the quantity changed; its effect is the change in units at last
 *   month's unit price;
 * - PRICE_CHANGED: the unit price (amount ÷ quantity) changed; its effect is the change in price times
 *   this month's units.
 *
 * The two effects add up exactly to the change in amount (Δamount = Δq·p₀ + Δp·q₁). Currencies are
 * kept apart: a product billed in USD one month and EUR the next is dropped in one and added in the other.
 */
import type { Decimal } from "decimal.js";
import { Dec, minorUnit } from "./money";

export interface ProductMonth {
  productKey: string;
  productName: string | null;
  currency: string;
  quantity: Decimal;
  amount: Decimal;
}

export type ChangeCause = "PRODUCT_ADDED" | "PRODUCT_DROPPED" | "SEATS_ADDED" | "SEATS_REMOVED" | "PRICE_CHANGED";

export interface ChangeEffect {
  cause: ChangeCause;
  /** Its share of the change in amount, in the line's currency. */
  amount: Decimal;
  detail: string;
}

export interface ProductChange {
  productKey: string;
  productName: string | null;
  currency: string;
  previous: { quantity: Decimal; amount: Decimal } | null;
  current: { quantity: Decimal; amount: Decimal } | null;
  amountChange: Decimal;
  causes: ChangeEffect[];
}

export interface MonthChange {
  /** Per currency: the change in amount from the previous month. */
  byCurrency: Array<{ currency: string; previous: Decimal; current: Decimal; change: Decimal }>;
  /** Products whose amount or quantity changed, largest change first within each currency. */
  products: ProductChange[];
}

/** Adds one month's priced lines up per product and currency. */
export function productMonths(lines: Iterable<ProductMonth>): Map<string, ProductMonth> {
  const out = new Map<string, ProductMonth>();
  for (const l of lines) {
    const key = JSON.stringify([l.productKey, l.currency]);
    const have = out.get(key);
    if (have) out.set(key, { ...have, quantity: have.quantity.plus(l.quantity), amount: have.amount.plus(l.amount) });
    else out.set(key, { ...l });
  }
  return out;
}

const unitPrice = (m: { quantity: Decimal; amount: Decimal }): Decimal | null => (m.quantity.isZero() ? null : m.amount.dividedBy(m.quantity));

export function monthOverMonth(previous: Iterable<ProductMonth>, current: Iterable<ProductMonth>): MonthChange {
  const prev = productMonths(previous);
  const curr = productMonths(current);
  const products: ProductChange[] = [];
  const totals = new Map<string, { previous: Decimal; current: Decimal }>();
  const total = (currency: string) => {
    let t = totals.get(currency);
    if (!t) totals.set(currency, (t = { previous: new Dec(0), current: new Dec(0) }));
    return t;
  };

  for (const key of new Set([...prev.keys(), ...curr.keys()])) {
    const p = prev.get(key);
    const c = curr.get(key);
    const any = (c ?? p)!;
    if (p) total(p.currency).previous = total(p.currency).previous.plus(p.amount);
    if (c) total(c.currency).current = total(c.currency).current.plus(c.amount);
    const amountChange = (c?.amount ?? new Dec(0)).minus(p?.amount ?? new Dec(0));
    const causes: ChangeEffect[] = [];
    if (!p) {
      causes.push({ cause: "PRODUCT_ADDED", amount: amountChange, detail: `${c!.quantity.toFixed()} units, new this month` });
    } else if (!c) {
      causes.push({ cause: "PRODUCT_DROPPED", amount: amountChange, detail: `${p.quantity.toFixed()} units last month, none this month` });
    } else {
      const dq = c.quantity.minus(p.quantity);
      const p0 = unitPrice(p);
      const p1 = unitPrice(c);
      // Δamount = Δq·p₀ + (p₁ − p₀)·q₁; with no units last month the whole change is the seats'.
      // Rounded to the currency's minor unit (the price effect takes the remainder, so they still add up).
      const seatEffect = p0 === null ? amountChange : dq.times(p0).toDecimalPlaces(minorUnit(c.currency) ?? 2);
      const priceEffect = amountChange.minus(seatEffect);
      if (!dq.isZero()) {
        causes.push({
          cause: dq.isPositive() ? "SEATS_ADDED" : "SEATS_REMOVED",
          amount: seatEffect,
          detail: `${p.quantity.toFixed()} → ${c.quantity.toFixed()} units`,
        });
      }
      if (!priceEffect.isZero()) {
        causes.push({
          cause: "PRICE_CHANGED",
          amount: priceEffect,
          detail: `unit price ${p0 === null ? "none" : p0.toDecimalPlaces(4).toFixed()} → ${p1 === null ? "none" : p1.toDecimalPlaces(4).toFixed()} ${c.currency}`,
        });
      }
      if (causes.length === 0) continue;
    }
    products.push({
      productKey: any.productKey,
      productName: any.productName,
      currency: any.currency,
      previous: p ? { quantity: p.quantity, amount: p.amount } : null,
      current: c ? { quantity: c.quantity, amount: c.amount } : null,
      amountChange,
      causes,
    });
  }
  products.sort((a, b) => a.currency.localeCompare(b.currency) || b.amountChange.abs().comparedTo(a.amountChange.abs()) || a.productKey.localeCompare(b.productKey));
  return {
    byCurrency: [...totals].map(([currency, t]) => ({ currency, previous: t.previous, current: t.current, change: t.current.minus(t.previous) })),
    products,
  };
}

/** Monthly recurring revenue: per month (oldest first) and currency, the amounts of recurring lines. */
export function mrrSeries(months: Array<{ period: string; lines: Iterable<{ currency: string; amount: Decimal }> }>): Array<{ period: string; byCurrency: Array<{ currency: string; amount: Decimal }> }> {
  return months.map(({ period, lines }) => {
    const byCurrency = new Map<string, Decimal>();
    for (const l of lines) byCurrency.set(l.currency, (byCurrency.get(l.currency) ?? new Dec(0)).plus(l.amount));
    return { period, byCurrency: [...byCurrency].map(([currency, amount]) => ({ currency, amount })) };
  });
}
