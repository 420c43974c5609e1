/**
 * Exact decimals for money and quantities. Every amount is a decimal.js `Decimal` built from the
 * vendor's text; JS numbers never carry money. On the wire (GraphQL) decimals travel as strings.
 */
import { code as iso4217 } from "currency-codes";
import { Decimal } from "decimal.js";

/** A private Decimal constructor: enough precision for any billing figure, half-up rounding like the vendors. */
export const Dec = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });
export type Dec = Decimal;

const DECIMAL_TEXT = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** Parses decimal text (as JSON or CSV gives it). Throws on anything that is not a plain decimal. */
export function decimalFromText(text: string): Decimal {
  const trimmed = text.trim();
  if (!DECIMAL_TEXT.test(trimmed)) throw new Error(`not a decimal: ${JSON.stringify(text)}`);
  return new Dec(trimmed);
}

export function isDecimalText(text: string): boolean {
  return DECIMAL_TEXT.test(text.trim());
}

export function sum(values: Iterable<Decimal>): Decimal {
  let total = new Dec(0);
  for (const v of values) total = total.plus(v);
  return total;
}

/** Canonical text for the wire: no exponent, no trailing zeros beyond what the value has. */
export function decimalToText(value: Decimal): string {
  return value.toFixed();
}

/** An amount in one currency. Amounts of different currencies are never added. */
export interface Money {
  amount: Decimal;
  currency: string;
}

export function money(amount: Decimal, currency: string): Money {
  return { amount, currency };
}

/** An amount with its currency, or null where either is missing (money never travels without its currency). */
export function moneyOrNull(amount: Decimal | null, currency: string | null): Money | null {
  return amount !== null && currency !== null ? money(amount, currency) : null;
}

/** Sums amounts that must share one currency; throws when they do not. */
export function sumMoney(values: Money[], currency: string): Money {
  for (const v of values) {
    if (v.currency !== currency) throw new Error(`cannot add ${v.currency} to ${currency}`);
  }
  return money(sum(values.map((v) => v.amount)), currency);
}

/**
 * The currency's ISO 4217 minor unit (2 for USD and EUR, 0 for JPY, 3 for KWD), or null for a code
 * ISO does not list (its amounts are then written as they are).
 */
export function minorUnit(currency: string): number | null {
  const digits = iso4217(currency.toUpperCase())?.digits;
  return typeof digits === "number" && digits >= 0 ? digits : null;
}

/**
 * A money amount as text at its currency's minor unit (`7060187.90`, not `7060187.9`), as PSA imports
 * expect. Padding only: an amount with more decimals than the minor unit keeps them all (never rounded).
 */
export function moneyText(amount: Decimal, currency: string): string {
  const digits = minorUnit(currency);
  return digits === null ? amount.toFixed() : amount.toFixed(Math.max(digits, amount.decimalPlaces()));
}

/** Half-up rounding to cents, as Keeper computes avgMonthlyCost (keeper.md: arithmetic). */
export function roundCents(value: Decimal): Decimal {
  return value.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
}
