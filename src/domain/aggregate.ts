/**
 * Totals of a statement's lines per company, product or charge type: exact, one currency at a time,
 * built line by line (LineAggregator) so a statement too large for memory is added up as it streams.
 */
import type { Decimal } from "decimal.js";
import { Dec } from "./money";
import type { InvoiceLineRecord } from "./model";

export type AggregateDimension = "COMPANY" | "PRODUCT" | "CHARGE_TYPE";
const DIMENSIONS: AggregateDimension[] = ["COMPANY", "PRODUCT", "CHARGE_TYPE"];

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

type Group = LineAggregate & { mixed: boolean };

function keyOf(line: InvoiceLineRecord, by: AggregateDimension): [string, string | null] {
  if (by === "COMPANY") return [line.companyKey ?? "(partner)", line.companyName];
  if (by === "PRODUCT") return [line.productKey, line.description];
  return [line.chargeType, null];
}

const add = (a: Decimal | null, b: Decimal | null | undefined) => (b == null ? a : (a ?? new Dec(0)).plus(b));

export class LineAggregator {
  private readonly groups = new Map<AggregateDimension, Map<string, Group>>(DIMENSIONS.map((d) => [d, new Map()]));

  add(line: InvoiceLineRecord): void {
    for (const by of DIMENSIONS) {
      const [key, label] = keyOf(line, by);
      const groups = this.groups.get(by)!;
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
  }

  result(by: AggregateDimension): LineAggregate[] {
    return [...this.groups.get(by)!.values()].map(({ mixed, ...g }) => (mixed ? { ...g, amount: null, tax: null, total: null, currency: null } : g));
  }
}

export function aggregateLines(lines: Iterable<InvoiceLineRecord>, by: AggregateDimension): LineAggregate[] {
  const acc = new LineAggregator();
  for (const line of lines) acc.add(line);
  return acc.result(by);
}
