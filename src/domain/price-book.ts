/**
 * Prices for usage that vendors report without money (Webex). A price book turns a quantity into an
 * amount; until one is configured, lines keep a null amount (never guessed).
 */
import type { Decimal } from "decimal.js";
import { roundCents } from "./money";
import type { InvoiceLineRecord } from "./model";

export interface PriceBook {
  /** The unit price of a line's product for its partner and period, or null when the book has none. */
  price(line: InvoiceLineRecord): { unitPrice: Decimal; currency: string } | null;
}

/** The default: no prices, so amounts stay null. */
export const NO_PRICE_BOOK: PriceBook = { price: () => null };

/** The line priced by the book (amount = unit price × quantity, rounded half-up to cents), or as it was. */
export function priceLine(line: InvoiceLineRecord, book: PriceBook): InvoiceLineRecord {
  if (line.amount !== null) return line;
  const price = book.price(line);
  if (!price) return line;
  return { ...line, unitPrice: price.unitPrice, currency: price.currency, amount: roundCents(price.unitPrice.times(line.quantity)) };
}
