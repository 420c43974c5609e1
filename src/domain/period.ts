/** Calendar billing months, `YYYY-MM`. */

export interface BillingPeriod {
  year: number;
  /** 1–12 */
  month: number;
}

const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** Parses `YYYY-MM` strictly: four-digit year, zero-padded month 01–12. Returns an error message otherwise. */
export function parseBillingPeriod(text: unknown): BillingPeriod | string {
  if (typeof text !== "string") return "BillingPeriod must be a string of the form YYYY-MM";
  const m = PERIOD.exec(text);
  if (!m) {
    return `"${text.slice(0, 40)}" is not a BillingPeriod: expected YYYY-MM with a four-digit year and a month 01-12`;
  }
  const year = Number(m[1]);
  if (year < 1970) return `"${text}" is not a BillingPeriod: year before 1970`;
  return { year, month: Number(m[2]) };
}

export function formatBillingPeriod(p: BillingPeriod): string {
  return `${String(p.year).padStart(4, "0")}-${String(p.month).padStart(2, "0")}`;
}

export function periodIndex(p: BillingPeriod): number {
  return p.year * 12 + (p.month - 1);
}

export function periodOf(date: Date): BillingPeriod {
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1 };
}

export function previousPeriod(p: BillingPeriod): BillingPeriod {
  return p.month === 1 ? { year: p.year - 1, month: 12 } : { year: p.year, month: p.month - 1 };
}

/** First and last day (ISO dates) of the month. */
export function periodBounds(p: BillingPeriod): { start: string; end: string } {
  const last = new Date(Date.UTC(p.year, p.month, 0)).getUTCDate();
  const mm = String(p.month).padStart(2, "0");
  return { start: `${p.year}-${mm}-01`, end: `${p.year}-${mm}-${String(last).padStart(2, "0")}` };
}

/** A month is closed (its figures can no longer change) once it has ended. */
export function isClosedPeriod(p: BillingPeriod, now: Date): boolean {
  return periodIndex(p) < periodIndex(periodOf(now));
}
