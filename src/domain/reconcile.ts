/**
 * Reconciliation of a statement: the vendor's reported figures against the exact sum of its lines,
 * currency by currency (figures of two currencies are never added or compared). Every difference is
 * listed; none is rounded away. Works line by line (ReconcileAccumulator), so a statement too large to
 * hold in memory is reconciled while it streams.
 */
import type { Decimal } from "decimal.js";
import { CurrencyTotalsAccumulator, type CurrencyTotals } from "./currency-totals";
import { Dec, roundCents } from "./money";
import type { InvoiceLineRecord, ReportedTotals, StatementRecord } from "./model";

export type DifferenceKind = "LINE_AMOUNT" | "LINE_TOTAL" | "COMPANY_TOTAL" | "SUBTOTAL" | "TOTAL";

export interface ReconciliationDifference {
  kind: DifferenceKind;
  /** The currency of `reported`, `computed` and `difference`. */
  currency: string | null;
  companyKey: string | null;
  companyName: string | null;
  lineId: string | null;
  /** Null where the vendor reports no figure the lines could be checked against. */
  reported: Decimal | null;
  computed: Decimal;
  difference: Decimal;
  message: string;
}

export interface Reconciliation {
  balanced: boolean;
  /** Exact sums of the lines, one per currency, in the order the currencies first appear. */
  linesTotals: CurrencyTotals[];
  /** Lines the vendor gave no amount (or no currency) for: they are in no currency's sum. */
  linesWithoutAmount: number;
  differences: ReconciliationDifference[];
  /** Line differences beyond the first MAX_LINE_DIFFERENCES listed: counted, not listed. */
  moreDifferences: number;
}

/** Line-level differences listed in full; beyond that they are counted. */
export const MAX_LINE_DIFFERENCES = 1000;

interface Where {
  companyKey?: string | null;
  companyName?: string | null;
  lineId?: string | null;
}

function diff(kind: DifferenceKind, currency: string | null, reported: Decimal, computed: Decimal, message: string, where: Where = {}): ReconciliationDifference | undefined {
  if (reported.equals(computed)) return undefined;
  return {
    kind,
    currency,
    companyKey: where.companyKey ?? null,
    companyName: where.companyName ?? null,
    lineId: where.lineId ?? null,
    reported,
    computed,
    difference: reported.minus(computed),
    message,
  };
}

/** A line whose own total is not its subtotal + tax (vendors that report line totals, such as Microsoft). */
export function lineTotalDifference(
  reported: Decimal,
  computed: Decimal,
  line: { companyKey: string | null; companyName: string | null; lineId: string; productKey: string; currency: string | null },
): ReconciliationDifference | undefined {
  return diff("LINE_TOTAL", line.currency, reported, computed, `line total differs from its subtotal + tax (product ${line.productKey})`, line);
}

/**
 * Per currency: the reported subtotal against the sum of that currency's lines, and the reported total
 * against subtotal + tax. Lines in a currency the vendor reports no figures for, while it reports
 * figures for others, are a difference too (they would otherwise go unchecked).
 */
export function totalsDifferences(reported: ReportedTotals, linesTotals: CurrencyTotals[]): ReconciliationDifference[] {
  const out: ReconciliationDifference[] = [];
  const computedOf = (currency: string) => linesTotals.find((t) => t.currency === currency)?.amount ?? new Dec(0);
  for (const r of reported.byCurrency) {
    const computed = computedOf(r.currency);
    const sub = r.subtotal !== null ? diff("SUBTOTAL", r.currency, r.subtotal, computed, `reported ${r.currency} subtotal differs from the sum of the ${r.currency} lines`) : undefined;
    if (sub) out.push(sub);
    if (r.total !== null) {
      const t = diff("TOTAL", r.currency, r.total, (r.subtotal ?? computed).plus(r.tax ?? new Dec(0)), `reported ${r.currency} total differs from subtotal + tax`);
      if (t) out.push(t);
    }
  }
  if (reported.byCurrency.length > 0) {
    for (const t of linesTotals) {
      if (t.amount === null || t.amount.isZero() || reported.byCurrency.some((r) => r.currency === t.currency)) continue;
      out.push({
        kind: "SUBTOTAL",
        currency: t.currency,
        companyKey: null,
        companyName: null,
        lineId: null,
        reported: null,
        computed: t.amount,
        difference: t.amount.negated(),
        message: `the ${t.currency} lines add up to ${t.amount.toFixed()} but the vendor reports no ${t.currency} figures`,
      });
    }
  }
  return out;
}

/** A company's reported total against the sum of its lines in the same currency. */
export function companyTotalDifference(
  group: ReportedTotals["groups"][number],
  computed: Decimal,
): ReconciliationDifference | undefined {
  if (group.total === null) return undefined;
  return diff("COMPANY_TOTAL", group.currency, group.total, computed, `reported total of ${group.companyName ?? group.companyKey ?? "the partner"} differs from the sum of its lines`, {
    companyKey: group.companyKey,
    companyName: group.companyName,
  });
}

const PARTNER_GROUP = "\u0000partner";
const groupKey = (companyKey: string | null, currency: string | null) => `${companyKey ?? PARTNER_GROUP}\u0000${currency ?? ""}`;

export class ReconcileAccumulator {
  private readonly lineDifferences: ReconciliationDifference[] = [];
  private more = 0;
  private readonly totals = new CurrencyTotalsAccumulator();
  private withoutAmount = 0;
  private readonly groupSums = new Map<string, Decimal>();

  constructor(
    private readonly lineAmountRule: StatementRecord["lineAmountRule"],
    private readonly lineTotals: boolean,
  ) {}

  private push(d: ReconciliationDifference | undefined): void {
    if (!d) return;
    if (this.lineDifferences.length < MAX_LINE_DIFFERENCES) this.lineDifferences.push(d);
    else this.more++;
  }

  add(line: InvoiceLineRecord): void {
    if (line.amount === null || line.currency === null) {
      this.withoutAmount++;
      return;
    }
    const where = { companyKey: line.companyKey, companyName: line.companyName, lineId: line.id };
    // Only a unit price in the line's own currency can be checked against the line's amount.
    if (this.lineAmountRule === "ROUND_HALF_UP_CENTS" && line.unitPrice !== null && (line.unitPriceCurrency ?? line.currency) === line.currency) {
      this.push(
        diff("LINE_AMOUNT", line.currency, line.amount, roundCents(line.unitPrice.times(line.quantity)), `line amount differs from unit price × quantity rounded half-up to cents (product ${line.productKey})`, where),
      );
    }
    if (this.lineTotals && line.total != null) {
      this.push(lineTotalDifference(line.total, line.amount.plus(line.tax ?? new Dec(0)), { ...where, productKey: line.productKey, currency: line.currency }));
    }
    this.totals.add(line.currency, line.amount, line.tax, line.total);
    const group = groupKey(line.companyKey, line.currency);
    this.groupSums.set(group, (this.groupSums.get(group) ?? new Dec(0)).plus(line.amount));
  }

  result(reported: ReportedTotals): Reconciliation {
    const differences = [...this.lineDifferences];
    for (const group of reported.groups) {
      const d = companyTotalDifference(group, this.groupSums.get(groupKey(group.companyKey, group.currency)) ?? new Dec(0));
      if (d) differences.push(d);
    }
    const linesTotals = this.totals.result();
    differences.push(...totalsDifferences(reported, linesTotals));
    return { balanced: differences.length === 0 && this.more === 0, linesTotals, linesWithoutAmount: this.withoutAmount, differences, moreDifferences: this.more };
  }
}

export function reconcile(statement: StatementRecord): Reconciliation {
  const acc = new ReconcileAccumulator(statement.lineAmountRule, statement.lineTotals ?? false);
  for (const line of statement.lines) acc.add(line);
  return acc.result(statement.reported);
}
