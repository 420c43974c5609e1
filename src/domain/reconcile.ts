/**
 * Reconciliation of a statement: the vendor's reported figures against the exact sum of its lines.
 * Every difference is listed; none is rounded away. Works line by line (ReconcileAccumulator), so a
 * statement too large to hold in memory is reconciled while it streams.
 */
import type { Decimal } from "decimal.js";
import { Dec, roundCents } from "./money";
import type { InvoiceLineRecord, ReportedTotals, StatementRecord } from "./model";

export type DifferenceKind = "LINE_AMOUNT" | "LINE_TOTAL" | "COMPANY_TOTAL" | "SUBTOTAL" | "TOTAL";

export interface ReconciliationDifference {
  kind: DifferenceKind;
  companyKey: string | null;
  companyName: string | null;
  lineId: string | null;
  reported: Decimal | null;
  computed: Decimal;
  difference: Decimal;
  message: string;
}

export interface Reconciliation {
  balanced: boolean;
  linesTotal: Decimal;
  /** Lines the vendor gave no amount for: they are not in linesTotal. */
  linesWithoutAmount: number;
  differences: ReconciliationDifference[];
  /** Line differences beyond the first MAX_LINE_DIFFERENCES listed: counted, not listed. */
  moreDifferences: number;
}

/** Line-level differences listed in full; beyond that they are counted. */
export const MAX_LINE_DIFFERENCES = 1000;

function diff(
  kind: DifferenceKind,
  reported: Decimal,
  computed: Decimal,
  message: string,
  where: { companyKey?: string | null; companyName?: string | null; lineId?: string | null } = {},
): ReconciliationDifference | undefined {
  if (reported.equals(computed)) return undefined;
  return {
    kind,
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
  line: { companyKey: string | null; companyName: string | null; lineId: string; productKey: string },
): ReconciliationDifference | undefined {
  return diff("LINE_TOTAL", reported, computed, `line total differs from its subtotal + tax (product ${line.productKey})`, line);
}

/** The statement's reported subtotal against the sum of its lines, and its total against subtotal + tax. */
export function totalsDifferences(reported: ReportedTotals, linesTotal: Decimal): ReconciliationDifference[] {
  const out: ReconciliationDifference[] = [];
  const { subtotal, tax, total } = reported;
  const sub = subtotal !== null ? diff("SUBTOTAL", subtotal, linesTotal, "reported subtotal differs from the sum of all lines") : undefined;
  if (sub) out.push(sub);
  if (total !== null) {
    const t = diff("TOTAL", total, (subtotal ?? linesTotal).plus(tax ?? new Dec(0)), "reported total differs from subtotal + tax");
    if (t) out.push(t);
  }
  return out;
}

const PARTNER_GROUP = "\u0000partner";

export class ReconcileAccumulator {
  private readonly lineDifferences: ReconciliationDifference[] = [];
  private more = 0;
  private linesTotal = new Dec(0);
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
    if (line.amount === null) {
      this.withoutAmount++;
      return;
    }
    const where = { companyKey: line.companyKey, companyName: line.companyName, lineId: line.id };
    if (this.lineAmountRule === "ROUND_HALF_UP_CENTS" && line.unitPrice !== null) {
      this.push(
        diff("LINE_AMOUNT", line.amount, roundCents(line.unitPrice.times(line.quantity)), `line amount differs from unit price × quantity rounded half-up to cents (product ${line.productKey})`, where),
      );
    }
    if (this.lineTotals && line.total != null) {
      this.push(lineTotalDifference(line.total, line.amount.plus(line.tax ?? new Dec(0)), { ...where, productKey: line.productKey }));
    }
    this.linesTotal = this.linesTotal.plus(line.amount);
    const group = line.companyKey ?? PARTNER_GROUP;
    this.groupSums.set(group, (this.groupSums.get(group) ?? new Dec(0)).plus(line.amount));
  }

  result(reported: ReportedTotals): Reconciliation {
    const differences = [...this.lineDifferences];
    for (const group of reported.groups) {
      if (group.total === null) continue;
      const computed = this.groupSums.get(group.companyKey ?? PARTNER_GROUP) ?? new Dec(0);
      const d = diff("COMPANY_TOTAL", group.total, computed, `reported total of ${group.companyName ?? group.companyKey ?? "the partner"} differs from the sum of its lines`, {
        companyKey: group.companyKey,
        companyName: group.companyName,
      });
      if (d) differences.push(d);
    }
    differences.push(...totalsDifferences(reported, this.linesTotal));
    return { balanced: differences.length === 0 && this.more === 0, linesTotal: this.linesTotal, linesWithoutAmount: this.withoutAmount, differences, moreDifferences: this.more };
  }
}

export function reconcile(statement: StatementRecord): Reconciliation {
  const acc = new ReconcileAccumulator(statement.lineAmountRule, statement.lineTotals ?? false);
  for (const line of statement.lines) acc.add(line);
  return acc.result(statement.reported);
}
