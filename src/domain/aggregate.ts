/**
 * Totals of a statement's lines per company, product or charge type: exact, per currency, built line
 * by line (LineAggregator) so a statement too large for memory is added up as it streams.
 */
import type { Decimal } from "decimal.js";
import { CurrencyTotalsAccumulator, type CurrencyTotals } from "./currency-totals";
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
  /** Null when the group has no money, or money in several currencies (never added together: see byCurrency). */
  currency: string | null;
  /** The group's money, one entry per currency. */
  byCurrency: CurrencyTotals[];
}

/** One group's figures: the single-currency fields are set only when all its money is in one currency. */
export function aggregateOf(key: string, label: string | null, lines: number, quantity: Decimal, byCurrency: CurrencyTotals[]): LineAggregate {
  const only = byCurrency.length === 1 ? byCurrency[0] : null;
  return {
    key,
    label,
    lines,
    quantity,
    amount: only?.amount ?? null,
    tax: only?.tax ?? null,
    total: only?.total ?? null,
    currency: only?.currency ?? null,
    byCurrency,
  };
}

interface Group {
  key: string;
  label: string | null;
  lines: number;
  quantity: Decimal;
  money: CurrencyTotalsAccumulator;
}

function keyOf(line: InvoiceLineRecord, by: AggregateDimension): [string, string | null] {
  if (by === "COMPANY") return [line.companyKey ?? "(partner)", line.companyName];
  if (by === "PRODUCT") return [line.productKey, line.description];
  return [line.chargeType, null];
}

export class LineAggregator {
  private readonly groups = new Map<AggregateDimension, Map<string, Group>>(DIMENSIONS.map((d) => [d, new Map()]));

  add(line: InvoiceLineRecord): void {
    for (const by of DIMENSIONS) {
      const [key, label] = keyOf(line, by);
      const groups = this.groups.get(by)!;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { key, label, lines: 0, quantity: new Dec(0), money: new CurrencyTotalsAccumulator() }));
      g.lines++;
      g.quantity = g.quantity.plus(line.quantity);
      g.money.add(line.currency, line.amount, line.tax, line.total);
    }
  }

  result(by: AggregateDimension): LineAggregate[] {
    return [...this.groups.get(by)!.values()].map((g) => aggregateOf(g.key, g.label, g.lines, g.quantity, g.money.result()));
  }
}

export function aggregateLines(lines: Iterable<InvoiceLineRecord>, by: AggregateDimension): LineAggregate[] {
  const acc = new LineAggregator();
  for (const line of lines) acc.add(line);
  return acc.result(by);
}
