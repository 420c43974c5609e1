/** Totals of a statement's lines per company, product or charge type, exact, one currency at a time. */
import type { Decimal } from "decimal.js";
import { Dec } from "./money";
import type { InvoiceLineRecord } from "./model";

export type AggregateDimension = "COMPANY" | "PRODUCT" | "CHARGE_TYPE";

export interface LineAggregate {
  key: string;
  label: string | null;
  lines: number;
  quantity: Decimal;
  amount: Decimal | null;
  tax: Decimal | null;
  total: Decimal | null;
  /** Null when the group has no money, or money in several currencies (never added together). */
  currency: string | null;
}

function keyOf(line: InvoiceLineRecord, by: AggregateDimension): [string, string | null] {
  if (by === "COMPANY") return [line.companyKey ?? "(partner)", line.companyName];
  if (by === "PRODUCT") return [line.productKey, line.description];
  return [line.chargeType, null];
}

const add = (a: Decimal | null, b: Decimal | null | undefined) => (b == null ? a : (a ?? new Dec(0)).plus(b));

export function aggregateLines(lines: Iterable<InvoiceLineRecord>, by: AggregateDimension): LineAggregate[] {
  const groups = new Map<string, LineAggregate & { mixed: boolean }>();
  for (const line of lines) {
    const [key, label] = keyOf(line, by);
    let g = groups.get(key);
    if (!g) {
      g = { key, label, lines: 0, quantity: new Dec(0), amount: null, tax: null, total: null, currency: line.currency, mixed: false };
      groups.set(key, g);
    }
    g.lines++;
    g.quantity = g.quantity.plus(line.quantity);
    if (line.currency !== g.currency) g.mixed = true;
    g.amount = add(g.amount, line.amount);
    g.tax = add(g.tax, line.tax);
    g.total = add(g.total, line.total);
  }
  return [...groups.values()].map(({ mixed, ...g }) =>
    mixed ? { ...g, amount: null, tax: null, total: null, currency: null } : g,
  );
}
