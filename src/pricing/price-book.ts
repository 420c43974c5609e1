/**
 * The price book (configuration `priceBook`): what each invoice line costs the partner, what the customer
 * is billed for it (resale), and the margin between them.
 *
 * Cost: the vendor's own pre-tax amount where it gives one (Keeper, Microsoft), as it gives it (never
 * rounded); else the wholesale price list's unit price × quantity (Webex), rounded per line (rounding.ts),
 * from the entry valid on the line's charge start day. Entries match on the vendor's product id (`sku`, the
 * line's `Product.externalId`); one naming a connection beats one naming a vendor, which beats one naming
 * neither.
 *
 * Resale: the first rule that matches, in this order (README "Price book"):
 *   1. customer + SKU: a unit price, then a markup
 *   2. customer: a markup
 *   3. SKU: a unit price, then a markup
 *   4. vendor: a markup
 *   5. the default markup (a markup with no customer, SKU or vendor)
 * Within a level a rule naming the vendor beats one that does not. A unit price gives unit price × quantity
 * in the rule's currency; a markup gives cost × (1 + percent / 100) in the cost's currency, and needs a
 * cost (without one the resale is null, with the reason). Then the most specific minimum charge in the
 * resale's currency (customer + SKU, customer, SKU, everyone) raises a resale below it; credits (a
 * negative resale) are left as they are. A line no rule matches has a null resale with the reason
 * `no resale rule`: never guessed, never dropped.
 *
 * Margin: resale − cost, only when both are in one currency. Currencies are never converted nor added.
 */
import type { Decimal } from "decimal.js";
import type { DirectoryCustomer } from "../customers/directory";
import { Dec, decimalFromText, isDecimalText, minorUnit, moneyText, type Money } from "../domain/money";
import type { InvoiceLineRecord, Vendor } from "../domain/model";
import { formatBillingPeriod } from "../domain/period";
import { roundToMinorUnit } from "./rounding";

/** One entry of the wholesale price list (configuration `priceBook.wholesale`). */
export interface WholesalePriceConfig {
  /** Only lines of this connection; absent: any connection (of `vendor`, when given). */
  connectionId?: string;
  vendor?: Vendor;
  /** The vendor's product id (the line's `Product.externalId`; Webex: the SKU). */
  sku: string;
  /** Per unit of the line's quantity (Webex: per user-day), exact decimal text. */
  unitPrice: string;
  currency: string;
  /** First day valid: `YYYY-MM` (its first day) or `YYYY-MM-DD`. */
  validFrom: string;
  /** Last day valid, inclusive: `YYYY-MM` (its last day) or `YYYY-MM-DD`; absent: open-ended. */
  validTo?: string;
}

/**
 * One resale rule (configuration `priceBook.resale`): exactly one of `unitPrice` (with `currency` and
 * `sku`), `markupPercent` or `minimum` (with `currency`), narrowed by `customerId`, `sku` and `vendor`.
 */
export interface ResaleRuleConfig {
  customerId?: string;
  vendor?: Vendor;
  sku?: string;
  unitPrice?: string;
  currency?: string;
  /** Decimal text; may be negative (a discount on cost), not below -100. */
  markupPercent?: string;
  /** A minimum charge per line: a resale below it is raised to it. */
  minimum?: string;
}

export interface PriceBookConfig {
  wholesale: WholesalePriceConfig[];
  resale: ResaleRuleConfig[];
}

export const EMPTY_PRICE_BOOK_CONFIG: PriceBookConfig = { wholesale: [], resale: [] };

export type CostSource = "VENDOR" | "PRICE_BOOK";

/** The resale reason of a line no rule matches. */
export const NO_RESALE_RULE = "no resale rule";

/** A line priced: figures, where each came from, and why any is null. */
export interface LinePrice {
  cost: Money | null;
  costSource: CostSource | null;
  /** How the cost was found: `vendor amount` or the price-list entry. */
  costRule: string | null;
  /** Why the cost is null. */
  costReason: string | null;
  resale: Money | null;
  /** The rule that priced the resale (and the minimum charge, when it applied). */
  rule: string | null;
  /** Why the resale is null (`no resale rule`, a markup without a cost...). */
  resaleReason: string | null;
  margin: Money | null;
  /** Why the margin is null (no cost, no resale, or the two in different currencies). */
  marginReason: string | null;
}

/** Every reason a figure of the line is null, "; " between them; null when none is. */
export function reasonsOf(p: LinePrice): string | null {
  const reasons = [p.costReason, p.resaleReason, p.marginReason].filter((r): r is string => r !== null);
  return reasons.length ? reasons.join("; ") : null;
}

/** What pricing reads of a line. */
export type PricedLine = Pick<
  InvoiceLineRecord,
  "vendor" | "connectionId" | "productKey" | "quantity" | "amount" | "currency" | "chargeStart" | "period" | "companyExternalIds"
>;

export interface PriceBook {
  /** Prices one line for the customer it belongs to (null: in no customer of the directory). */
  price(line: PricedLine, customer: DirectoryCustomer | null): LinePrice;
  /** True when the book has neither a price list nor rules (every resale is then null: `no resale rule`). */
  readonly empty: boolean;
}

// ---- validation (config.ts reports these with the field's path) ------------------------------------

export interface PriceBookProblem {
  path: Array<string | number>;
  message: string;
}

const DAY = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

function lastDayOf(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** `YYYY-MM` or `YYYY-MM-DD` as the ISO day it starts (or, with `end`, ends) on; null when it is neither or no such day. */
export function validityDay(text: string, end = false): string | null {
  const m = MONTH.exec(text);
  if (m) return `${text}-${String(end ? lastDayOf(Number(m[1]), Number(m[2])) : 1).padStart(2, "0")}`;
  const d = DAY.exec(text);
  if (d && Number(d[3]) <= lastDayOf(Number(d[1]), Number(d[2]))) return text;
  return null;
}

const OPEN_END = "9999-12-31";
const scopeOf = (w: Pick<WholesalePriceConfig, "connectionId" | "vendor" | "sku">) => `${w.connectionId ?? "*"}\u0000${w.vendor ?? "*"}\u0000${w.sku}`;

/** What a resale rule matches on and what it is: two rules with the same key are ambiguous. */
function ruleKey(r: ResaleRuleConfig): string {
  const kind = r.unitPrice !== undefined ? "price" : r.markupPercent !== undefined ? "markup" : `minimum ${r.currency ?? ""}`;
  return `${kind}\u0000${r.customerId ?? "*"}\u0000${r.sku ?? "*"}\u0000${r.vendor ?? "*"}`;
}

/** Problems no single field shows: overlapping validity for one SKU, two rules for the same thing. */
export function priceBookProblems(cfg: PriceBookConfig): PriceBookProblem[] {
  const problems: PriceBookProblem[] = [];
  const byScope = new Map<string, Array<{ index: number; from: string; to: string }>>();
  cfg.wholesale.forEach((w, index) => {
    const from = validityDay(w.validFrom);
    const to = w.validTo === undefined ? OPEN_END : validityDay(w.validTo, true);
    if (from === null || to === null) return; // reported on the field itself
    if (to < from) {
      problems.push({ path: ["priceBook", "wholesale", index, "validTo"], message: `must not be before validFrom (${w.validFrom})` });
      return;
    }
    const key = scopeOf(w);
    const seen = byScope.get(key) ?? [];
    for (const other of seen) {
      if (other.from <= to && from <= other.to) {
        problems.push({
          path: ["priceBook", "wholesale", index, "validFrom"],
          message: `SKU ${w.sku}: validity overlaps priceBook.wholesale[${other.index}] (one price per SKU, connection and vendor on any day)`,
        });
      }
    }
    seen.push({ index, from, to });
    byScope.set(key, seen);
  });
  const rules = new Map<string, number>();
  cfg.resale.forEach((r, index) => {
    const digits = r.currency === undefined ? null : minorUnit(r.currency);
    if (r.minimum !== undefined && digits !== null && isDecimalText(r.minimum) && decimalFromText(r.minimum).decimalPlaces() > digits) {
      problems.push({ path: ["priceBook", "resale", index, "minimum"], message: `a charge in ${r.currency} has at most ${digits} decimals` });
    }
    const key = ruleKey(r);
    const first = rules.get(key);
    if (first !== undefined) problems.push({ path: ["priceBook", "resale", index], message: `matches the same lines as priceBook.resale[${first}] with a rule of the same kind: which one applies would be ambiguous` });
    else rules.set(key, index);
  });
  return problems;
}

// ---- the book ----------------------------------------------------------------------------------------

interface Wholesale {
  connectionId?: string;
  vendor?: Vendor;
  unitPrice: Decimal;
  currency: string;
  from: string;
  to: string;
  text: string;
}

interface Rule {
  vendor?: Vendor;
  kind: "price" | "markup";
  unitPrice?: Decimal;
  currency?: string;
  /** 1 + percent / 100 */
  factor?: Decimal;
  text: string;
}

interface Minimum {
  vendor?: Vendor;
  amount: Decimal;
  currency: string;
  text: string;
}

const pct = (text: string) => `${decimalFromText(text).toFixed()}%`;
const vendorNote = (v?: Vendor) => (v ? ` (${v})` : "");

function describeRule(r: ResaleRuleConfig): string {
  const who = r.customerId ? `customer ${r.customerId}: ` : "";
  const sku = r.sku ? `SKU ${r.sku} ` : "";
  if (r.unitPrice !== undefined) return `${who}${sku}at ${moneyText(decimalFromText(r.unitPrice), r.currency!)} ${r.currency}${vendorNote(r.vendor)}`;
  if (!r.customerId && !r.sku && !r.vendor) return `default markup ${pct(r.markupPercent!)}`;
  return `${who}${sku}markup ${pct(r.markupPercent!)}${vendorNote(r.vendor)}`;
}

function describeMinimum(r: ResaleRuleConfig): string {
  const scope = [r.customerId && `customer ${r.customerId}`, r.sku && `SKU ${r.sku}`, r.vendor].filter(Boolean).join(", ");
  return `minimum charge ${moneyText(decimalFromText(r.minimum!), r.currency!)} ${r.currency}${scope ? ` (${scope})` : ""}`;
}

/** Lists ordered so that the first match wins: vendor-qualified first, then unit price before markup. */
function push<T extends { vendor?: Vendor }>(map: Map<string, T[]>, key: string, value: T, rank: (t: T) => number): void {
  const list = map.get(key) ?? [];
  list.push(value);
  list.sort((a, b) => rank(a) - rank(b));
  map.set(key, list);
}

const ruleRank = (r: Rule) => (r.vendor ? 0 : 2) + (r.kind === "price" ? 0 : 1);
const minimumRank = (m: Minimum) => (m.vendor ? 0 : 1);

function firstFor<T extends { vendor?: Vendor }>(list: T[] | undefined, vendor: Vendor): T | undefined {
  if (!list) return undefined;
  for (const r of list) if (r.vendor === undefined || r.vendor === vendor) return r;
  return undefined;
}

/** The day the line's price is looked up on: its charge start when that is a date in its period, else the period's first day. */
function pricingDay(line: Pick<PricedLine, "chargeStart" | "period">): string {
  const period = formatBillingPeriod(line.period);
  const start = line.chargeStart?.slice(0, 10);
  return start && start.startsWith(period) && DAY.test(start) ? start : `${period}-01`;
}

/** Builds the lookup maps once; pricing a line is then a few map lookups and at most a few decimal operations. */
export function createPriceBook(cfg: PriceBookConfig): PriceBook {
  const wholesale = new Map<string, Wholesale[]>();
  for (const w of cfg.wholesale) {
    const from = validityDay(w.validFrom)!;
    const to = w.validTo === undefined ? OPEN_END : validityDay(w.validTo, true)!;
    const unitPrice = decimalFromText(w.unitPrice);
    const text = `price book: SKU ${w.sku} at ${unitPrice.toFixed()} ${w.currency} per unit${w.connectionId ? ` (${w.connectionId})` : vendorNote(w.vendor)}, valid ${w.validTo === undefined ? `from ${from}` : `${from} to ${to}`}`;
    const list = wholesale.get(w.sku) ?? [];
    list.push({ connectionId: w.connectionId, vendor: w.vendor, unitPrice, currency: w.currency, from, to, text });
    // The most specific entry first: a connection's, then a vendor's, then any.
    list.sort((a, b) => (a.connectionId ? 0 : a.vendor ? 1 : 2) - (b.connectionId ? 0 : b.vendor ? 1 : 2));
    wholesale.set(w.sku, list);
  }

  const customerSku = new Map<string, Rule[]>();
  const customerAll = new Map<string, Rule[]>();
  const skuRules = new Map<string, Rule[]>();
  const vendorMarkup = new Map<string, Rule[]>();
  let defaultMarkup: Rule | undefined;
  const minCustomerSku = new Map<string, Minimum[]>();
  const minCustomer = new Map<string, Minimum[]>();
  const minSku = new Map<string, Minimum[]>();
  const minAll = new Map<string, Minimum[]>();
  const key2 = (a: string, b: string) => `${a}\u0000${b}`;

  for (const r of cfg.resale) {
    if (r.minimum !== undefined) {
      const m: Minimum = { vendor: r.vendor, amount: decimalFromText(r.minimum), currency: r.currency!, text: describeMinimum(r) };
      // Keyed with the currency: a minimum applies only to a resale in its own currency.
      const at = r.customerId && r.sku ? [minCustomerSku, key2(r.customerId, r.sku)] : r.customerId ? [minCustomer, r.customerId] : r.sku ? [minSku, r.sku] : [minAll, ""];
      push(at[0] as Map<string, Minimum[]>, key2(at[1] as string, m.currency), m, minimumRank);
      continue;
    }
    const rule: Rule =
      r.unitPrice !== undefined
        ? { vendor: r.vendor, kind: "price", unitPrice: decimalFromText(r.unitPrice), currency: r.currency!, text: describeRule(r) }
        : { vendor: r.vendor, kind: "markup", factor: new Dec(1).plus(decimalFromText(r.markupPercent!).div(100)), text: describeRule(r) };
    if (r.customerId && r.sku) push(customerSku, key2(r.customerId, r.sku), rule, ruleRank);
    else if (r.customerId) push(customerAll, r.customerId, rule, ruleRank);
    else if (r.sku) push(skuRules, r.sku, rule, ruleRank);
    else if (r.vendor) push(vendorMarkup, r.vendor, rule, ruleRank);
    else defaultMarkup = rule;
  }

  function cost(line: PricedLine): { cost: Money | null; source: CostSource | null; text: string | null; reason: string | null } {
    if (line.amount !== null && line.currency !== null) return { cost: { amount: line.amount, currency: line.currency }, source: "VENDOR", text: "vendor amount", reason: null };
    const day = pricingDay(line);
    for (const w of wholesale.get(line.productKey) ?? []) {
      if (w.connectionId !== undefined && w.connectionId !== line.connectionId) continue;
      if (w.vendor !== undefined && w.vendor !== line.vendor) continue;
      if (day < w.from || day > w.to) continue;
      const amount = roundToMinorUnit(w.unitPrice.times(line.quantity), w.currency)!;
      return { cost: { amount, currency: w.currency }, source: "PRICE_BOOK", text: w.text, reason: null };
    }
    return { cost: null, source: null, text: null, reason: `no vendor amount and no wholesale price for SKU ${line.productKey} (${line.vendor}, ${line.connectionId}) valid on ${day}` };
  }

  function rule(line: PricedLine, customer: DirectoryCustomer | null): Rule | undefined {
    const v = line.vendor;
    const sku = line.productKey;
    return (
      (customer && (firstFor(customerSku.get(key2(customer.id, sku)), v) ?? firstFor(customerAll.get(customer.id), v))) ||
      firstFor(skuRules.get(sku), v) ||
      firstFor(vendorMarkup.get(v), v) ||
      defaultMarkup
    );
  }

  function minimum(line: PricedLine, customer: DirectoryCustomer | null, currency: string): Minimum | undefined {
    const v = line.vendor;
    const sku = line.productKey;
    return (
      (customer && (firstFor(minCustomerSku.get(key2(key2(customer.id, sku), currency)), v) ?? firstFor(minCustomer.get(key2(customer.id, currency)), v))) ||
      firstFor(minSku.get(key2(sku, currency)), v) ||
      firstFor(minAll.get(key2("", currency)), v)
    );
  }

  return {
    empty: cfg.wholesale.length === 0 && cfg.resale.length === 0,
    price(line, customer) {
      const c = cost(line);
      let resale: Money | null = null;
      let ruleText: string | null = null;
      let resaleReason: string | null = null;
      const r = rule(line, customer);
      if (!r) resaleReason = NO_RESALE_RULE;
      else if (r.kind === "price") {
        resale = { amount: roundToMinorUnit(r.unitPrice!.times(line.quantity), r.currency!)!, currency: r.currency! };
        ruleText = r.text;
      } else if (!c.cost) resaleReason = `${r.text} needs a cost`;
      else {
        const amount = roundToMinorUnit(c.cost.amount.times(r.factor!), c.cost.currency);
        if (amount === null) resaleReason = `${r.text}: currency ${c.cost.currency} has no ISO 4217 minor unit to round to`;
        else {
          resale = { amount, currency: c.cost.currency };
          ruleText = r.text;
        }
      }
      if (resale && !resale.amount.isNegative()) {
        const m = minimum(line, customer, resale.currency);
        if (m && resale.amount.lessThan(m.amount)) {
          ruleText = `${m.text}, over ${ruleText}: ${moneyText(resale.amount, resale.currency)} ${resale.currency}`;
          resale = { amount: m.amount, currency: resale.currency };
        }
      }
      let margin: Money | null = null;
      let marginReason: string | null = null;
      if (!c.cost) marginReason = "no margin without a cost";
      else if (!resale) marginReason = "no margin without a resale";
      else if (resale.currency !== c.cost.currency) marginReason = "resale and cost in different currencies";
      else margin = { amount: resale.amount.minus(c.cost.amount), currency: resale.currency };
      return { cost: c.cost, costSource: c.source, costRule: c.text, costReason: c.reason, resale, rule: ruleText, resaleReason, margin, marginReason };
    },
  };
}

/** The book with nothing configured: costs from the vendor only, no resale (`no resale rule`). */
export const NO_PRICE_BOOK: PriceBook = createPriceBook(EMPTY_PRICE_BOOK_CONFIG);
