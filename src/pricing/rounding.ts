/**
 * The price book's one rounding rule: half-up (on a tie, away from zero: 2.345 -> 2.35, -2.345 -> -2.35)
 * to the currency's ISO 4217 minor unit (USD 2 decimals, JPY 0, KWD 3), once per line, on the figures the
 * gateway computes (a cost from the wholesale price list, a resale). A vendor's own amounts are never
 * rounded, and nothing is rounded twice: line figures are rounded first, then added exactly.
 */
import { Decimal } from "decimal.js";
import { minorUnit } from "../domain/money";

/** The amount rounded half-up to the currency's minor unit, or null for a code ISO 4217 gives no minor unit. */
export function roundToMinorUnit(amount: Decimal, currency: string): Decimal | null {
  const digits = minorUnit(currency);
  return digits === null ? null : amount.toDecimalPlaces(digits, Decimal.ROUND_HALF_UP);
}

/** True for an upper-case ISO 4217 code with a minor unit (what the price book accepts). */
export function isPricingCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && minorUnit(code) !== null;
}
