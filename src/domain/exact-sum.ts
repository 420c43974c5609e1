/**
 * Exact running sums on a hot path (a million invoice lines), without a decimal.js operation per value.
 *
 * A JS number that JSON.parse produced from a literal of at most 15 significant digits (the caller
 * guarantees that: lines with a longer literal are parsed losslessly and hand over text) is converted to
 * an integer count of 10⁻⁸ units when that is exact, and such integers are added as plain numbers, which
 * is exact below 2⁵³. Why the conversion is exact: with n = round(x·10⁸) and |n| < 10¹⁵, n/10⁸ is a decimal
 * of at most 15 significant digits; IEEE division gives the double nearest to it, and two different
 * decimals of at most 15 significant digits never share a double, so `n / 10⁸ === x` proves that the
 * literal was exactly n·10⁻⁸. Anything else (more decimals, bigger values, Decimals) goes through decimal.js.
 * The integer part is moved into the decimal part well before it could lose a unit.
 */
import type { Decimal } from "decimal.js";
import { decimalFromText, Dec } from "./money";

const SCALE = 1e8;
/** Scaled values accepted on the fast path: below 10¹⁵, so each is exact and so is their sum up to SPILL. */
const MAX_SCALED = 1e15;
/** Past this the integer part moves into the decimal part: SPILL + MAX_SCALED stays below 2⁵³. */
const SPILL = 7e15;

/** The value as an exact integer count of 10⁻⁸, or NaN when it is not one (the caller then uses decimals). */
export function scaledOrNaN(x: number): number {
  const n = Math.round(x * SCALE);
  return n < MAX_SCALED && n > -MAX_SCALED && n / SCALE === x ? n : NaN;
}

/**
 * A value as it comes off the wire: a number (JSON.parse's, from a literal of at most 15 significant
 * digits) or a Decimal (built from the literal's text when it was longer, or given as a string).
 */
export type ExactInput = number | Decimal;

export function toDecimal(v: ExactInput): Decimal {
  return typeof v === "number" ? decimalFromText(String(v)) : v;
}

export class ExactSum {
  private scaled = 0;
  private decimal: Decimal | null = null;
  /** Values added (a sum of nothing is not a sum of zeros: callers report null for it). */
  count = 0;

  add(v: ExactInput): void {
    this.count++;
    if (typeof v === "number") {
      const n = scaledOrNaN(v);
      if (n === n) {
        this.addScaled(n);
        return;
      }
    }
    this.addDecimal(toDecimal(v));
  }

  /** Adds an integer count of 10⁻⁸ as `scaledOrNaN` returns it (not NaN). */
  addScaled(n: number): void {
    const s = this.scaled + n;
    if (s > SPILL || s < -SPILL) {
      this.decimal = (this.decimal ?? new Dec(0)).plus(new Dec(s).div(SCALE));
      this.scaled = 0;
    } else this.scaled = s;
  }

  addDecimal(d: Decimal): void {
    this.decimal = this.decimal === null ? d : this.decimal.plus(d);
  }

  /** Adds another sum's value (and count). */
  merge(other: ExactSum): void {
    this.count += other.count;
    // Two integer parts could together pass 2⁵³: the other's goes through decimals (merges are few).
    if (other.scaled !== 0) this.addDecimal(new Dec(other.scaled).div(SCALE));
    if (other.decimal !== null) this.addDecimal(other.decimal);
  }

  value(): Decimal {
    const scaled = new Dec(this.scaled).div(SCALE);
    return this.decimal === null ? scaled : this.decimal.plus(scaled);
  }

  /** The sum, or null when nothing was added. */
  valueOrNull(): Decimal | null {
    return this.count === 0 ? null : this.value();
  }
}
