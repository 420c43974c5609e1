/**
 * Reconciliation of a statement: the vendor's reported figures against the exact sum of its lines.
 * Every difference is listed; none is rounded away.
 */
import type { Decimal } from "decimal.js";
import { Dec, roundCents, sum } from "./money";
import type { InvoiceLineRecord, StatementRecord } from "./model";

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
}

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

function lineAmounts(lines: InvoiceLineRecord[]): Decimal {
  return sum(lines.flatMap((l) => (l.amount ? [l.amount] : [])));
}

export function reconcile(statement: StatementRecord): Reconciliation {
  const differences: ReconciliationDifference[] = [];
  const push = (d: ReconciliationDifference | undefined) => d && differences.push(d);

  for (const line of statement.lines) {
    if (line.amount === null) continue;
    if (statement.lineTotals && line.total != null) {
      push(
        diff("LINE_TOTAL", line.total, line.amount.plus(line.tax ?? new Dec(0)), `line total differs from its subtotal + tax (product ${line.productKey})`, {
          companyKey: line.companyKey,
          companyName: line.companyName,
          lineId: line.id,
        }),
      );
    }
    if (statement.lineAmountRule === "ROUND_HALF_UP_CENTS" && line.unitPrice !== null) {
      push(
        diff(
          "LINE_AMOUNT",
          line.amount,
          roundCents(line.unitPrice.times(line.quantity)),
          `line amount differs from unit price × quantity rounded half-up to cents (product ${line.productKey})`,
          { companyKey: line.companyKey, companyName: line.companyName, lineId: line.id },
        ),
      );
    }
  }

  for (const group of statement.reported.groups) {
    if (group.total === null) continue;
    const lines = statement.lines.filter((l) => l.companyKey === group.companyKey && (group.companyKey !== null || l.companyKey === null));
    push(
      diff("COMPANY_TOTAL", group.total, lineAmounts(lines), `reported total of ${group.companyName ?? group.companyKey ?? "the partner"} differs from the sum of its lines`, {
        companyKey: group.companyKey,
        companyName: group.companyName,
      }),
    );
  }

  const linesTotal = lineAmounts(statement.lines);
  const { subtotal, tax, total } = statement.reported;
  if (subtotal !== null) push(diff("SUBTOTAL", subtotal, linesTotal, "reported subtotal differs from the sum of all lines"));
  if (total !== null) {
    const expected = (subtotal ?? linesTotal).plus(tax ?? new Dec(0));
    push(diff("TOTAL", total, expected, "reported total differs from subtotal + tax"));
  }
  const linesWithoutAmount = statement.lines.filter((l) => l.amount === null).length;

  return { balanced: differences.length === 0, linesTotal, linesWithoutAmount, differences };
}
