/**
 * Deterministic, realistic Keeper data shared by both Keeper simulators (keeper.md A and B).
 *
 * - A price list keyed on productId (seed 001's product table, prices as seen in its monthly sample).
 * - The seed samples, parsed with lossless-json so every number keeps its text.
 * - `generateCurrentUsage`: a current-usage snapshot for a generated MSP.
 * - `generateMonthlyUsage`: a monthly-usage body priced from a current-usage snapshot with Keeper's
 *   arithmetic (keeper.md B): avgMonthlyCost = round_half_up(unitPrice × quantity, 2), company total =
 *   Σ avgMonthlyCost, subTotal = Σ company totals (MSP included), total = subTotal + tax.
 *
 * The quirks a connector must survive are in here on purpose (keeper.md "Quirks"): fractional
 * daily-average quantities (1), name drift per productId and an id absent from the table (3), units that
 * differ between endpoints and rows without `unit` (4), per-company prices (5), opaque base64 company ids
 * (6), and companies sorted by name in monthly usage only (7). Randomness comes from a PRNG seeded with
 * a string, never Math.random, so the same inputs always give the same bytes.
 */
import { createHash } from "node:crypto";
import { Decimal } from "decimal.js";
import { isLosslessNumber, LosslessNumber, parse as losslessParse } from "lossless-json";
import type { KeeperCompanyItem, KeeperCurrentUsageBody, KeeperMonthlyUsageBody, KeeperProductRow } from "../wire";
import { SEED_CURRENT_USAGE_TEXT, SEED_MONTHLY_USAGE_TEXT } from "./data/seed-samples";

/** Half-up like Keeper's cents (verified on the seed: 4.8 × 0.89 = 4.272 → 4.27, 0.5 × 0.89 = 0.445 → 0.45). */
const Dec = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });

/** A current-usage success body with both parts present: what the simulators hold as an account's data. */
export interface KeeperCurrentUsageFixture extends KeeperCurrentUsageBody {
  success: true;
  usage: {
    mspItem: KeeperCompanyItem;
    mcItems: KeeperCompanyItem[];
    [extra: string]: unknown;
  };
}

/** A monthly-usage success body as generated: the top total sits under `total` or `totalCost`. */
export interface KeeperMonthlyUsageFixture extends KeeperMonthlyUsageBody {
  success: true;
  usage: {
    mspItem: KeeperCompanyItem;
    mcItems: KeeperCompanyItem[];
    subTotal: LosslessNumber;
    tax: LosslessNumber;
    total?: LosslessNumber;
    totalCost?: LosslessNumber;
    currency: string;
    [extra: string]: unknown;
  };
}

/**
 * How a product is billed in monthly usage. `per-user`: the quantity is a (daily-average) user count and
 * the row says `unit: "user"`. `flat`: storage and services, billed as quantity 1 with no `unit` even
 * though current usage reports storage in GB (keeper.md quirk 4).
 */
export type KeeperBilling = "per-user" | "flat";

export interface KeeperPriceEntry {
  productId: number;
  /** The name in seed 001's product table (what msp-products answers); null for an id absent from it. */
  tableName: string | null;
  /** Names the usage endpoints use for this id, most common first (keeper.md quirk 3). */
  usageNames: readonly string[];
  /** List price in USD per unit per month, as decimal text. */
  unitPrice: string;
  billing: KeeperBilling;
  /** `unit` on current-usage rows: "bundles", "licenses", "GB", "KCM users" or "" (keeper.md quirk 4). */
  currentUnit: string;
  /** "seed": the price appears in seed 001's samples; "assumed": no source gives one. */
  priceSource: "seed" | "assumed";
}

const entry = (
  productId: number,
  tableName: string | null,
  usageNames: string[],
  unitPrice: string,
  billing: KeeperBilling,
  currentUnit: string,
  priceSource: "seed" | "assumed" = "seed",
): KeeperPriceEntry => ({ productId, tableName, usageNames, unitPrice, billing, currentUnit, priceSource });

/**
 * Keeper's products keyed on productId, in seed 001's table order. Prices are those of seed 001's monthly
 * sample; 968, 973 and 978 never appear in a priced sample, so their prices are assumptions. 916 is the
 * schema sample's "addon": absent from the product table, priced at the schema sample's 2.54.
 */
export const KEEPER_PRICE_LIST: ReadonlyMap<number, KeeperPriceEntry> = new Map(
  [
    entry(720, "Keeper MSP", ["MSP Base License", "Keeper MSP", "basePlan"], "3.4", "per-user", "licenses"),
    entry(10001, "Keeper Business", ["Keeper Business Bundle", "Keeper Business"], "2.25", "per-user", "bundles"),
    entry(10002, "Keeper Business Plus", ["Keeper Business Plus Bundle", "Keeper Business Plus"], "4.2", "per-user", "bundles"),
    entry(10010, "Keeper Enterprise", ["Keeper Enterprise Bundle", "Keeper Enterprise"], "3", "per-user", "bundles"),
    entry(10011, "Keeper Enterprise Plus", ["Keeper Enterprise Plus Bundle", "Keeper Enterprise Plus"], "4.8", "per-user", "bundles"),
    entry(967, "Keeper Connection Manager Add On", ["Keeper Connection Manager (KCM)", "Keeper Connection Manager Add On"], "25.2", "per-user", "KCM users"),
    entry(968, "Keeper Secrets Manager Add On", ["Keeper Secrets Manager Add On"], "2", "per-user", "licenses", "assumed"),
    entry(910, "KeeperChat Add On", ["KeeperChat", "KeeperChat Add On"], "1", "per-user", "licenses"),
    entry(920, "Keeper ARAM Add On", ["Advanced Reporting & Alerts", "Keeper ARAM Add On"], "0.5", "per-user", "licenses"),
    entry(930, "Keeper BreachWatch Add On", ["BreachWatch", "Keeper BreachWatch Add On"], "1", "per-user", "licenses"),
    entry(940, "Keeper Compliance Reporting Add On", ["Compliance Reporting", "Keeper Compliance Reporting Add On"], "0.5", "per-user", "licenses"),
    entry(1011, "Keeper 1TB Storage Add On", ["1TB Secure File Storage", "Keeper 1TB Storage Add On"], "25", "flat", "GB"),
    entry(1012, "Keeper 10TB Storage Add On", ["10TB Secure File Storage", "Keeper 10TB Storage Add On"], "100", "flat", "GB"),
    entry(730, "Dedicated Service & Support", ["Dedicated Service & Support"], "64", "flat", ""),
    entry(973, "Remote Browser Isolation", ["Remote Browser Isolation"], "2.5", "per-user", "licenses", "assumed"),
    entry(978, "Privilege Access Management", ["Privilege Access Management", "Privileged Access Management"], "6", "per-user", "licenses", "assumed"),
    entry(916, null, ["addon"], "2.54", "per-user", ""),
  ].map((e) => [e.productId, e]),
);

/** The product id of the schema sample that seed 001's product table does not list (keeper.md quirk 3). */
export const KEEPER_UNLISTED_PRODUCT_ID = 916;

/** Price and billing for a product id the list does not know (only reachable with hand-made data). */
const UNKNOWN_PRODUCT_PRICE = "1";

/** msp-products: seed 001's product table, ids and names (916 is not in it). */
export const KEEPER_PRODUCT_TABLE: ReadonlyArray<{ productId: number; productName: string }> = [...KEEPER_PRICE_LIST.values()]
  .filter((e): e is KeeperPriceEntry & { tableName: string } => e.tableName !== null)
  .map((e) => ({ productId: e.productId, productName: e.tableName }));

/** Negotiated prices per company id; seed 001 bills 1012 at 89 to "MC Test" and at 100 to the others. */
const NEGOTIATED_PRICES: Record<string, Record<number, string>> = {
  NDkzNDk: { 1012: "89" },
};

/**
 * The unit price a company pays for a product (keeper.md quirk 5: per-company prices). Beyond the seed's
 * one known case, about a third of companies get 10TB storage at 89, decided by a hash of the company id
 * so a company keeps its price from month to month.
 */
export function companyUnitPrice(productId: number, companyId: string): string {
  const negotiated = NEGOTIATED_PRICES[companyId]?.[productId];
  if (negotiated !== undefined) return negotiated;
  if (productId === 1012 && hashUnit(`price|1012|${companyId}`) < 1 / 3) return "89";
  return KEEPER_PRICE_LIST.get(productId)?.unitPrice ?? UNKNOWN_PRODUCT_PRICE;
}

/** A seeded PRNG (mulberry32 over a sha256 of the seed) so fixtures never depend on Math.random. */
export function seededRandom(seed: string): () => number {
  let a = createHash("sha256").update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashUnit(text: string): number {
  return createHash("sha256").update(text).digest().readUInt32LE(0) / 4294967296;
}

/** keeper.md quirk 6: companyIds look like base64 of a 5-digit number without padding ("NDU5OTk" = "45999"). */
export function keeperCompanyId(n: number): string {
  return Buffer.from(String(n)).toString("base64").replace(/=+$/, "");
}

/** Seed 001's current-usage sample, freshly parsed (callers may keep and change their copy). */
export function seedCurrentUsage(): KeeperCurrentUsageFixture {
  return losslessParse(SEED_CURRENT_USAGE_TEXT) as KeeperCurrentUsageFixture;
}

/** Seed 001's monthly-usage sample (2025-08, total 2387.74), freshly parsed. */
export function seedMonthlyUsage(): KeeperMonthlyUsageFixture {
  return losslessParse(SEED_MONTHLY_USAGE_TEXT) as KeeperMonthlyUsageFixture;
}

const MSP_NAMES = [
  "Bluewater Managed IT", "Summit Technology Partners", "Ironclad Networks", "Keystone IT Solutions",
  "Lighthouse Cyber", "Pinnacle Tech Group", "Redline Managed Services", "Cascade IT Partners",
  "Northpoint Systems", "Trident Secure IT", "Meridian Network Services", "Evergreen IT Co",
];

const COMPANY_NAMES = [
  "Alpine Dental Group", "Bayview Logistics", "Birchwood Accounting", "Blue Harbor Realty", "Cedar Ridge Clinic",
  "Clearwater Legal LLP", "Coastal Freight Co", "Copperline Manufacturing", "Crescent Insurance", "Driftwood Hotels",
  "Evergreen Pediatrics", "Fairview Schools", "Fox Valley Credit Union", "Granite Peak Engineering", "Harborview Marina",
  "Highland Veterinary", "Ironbridge Construction", "Juniper Architects", "Lakeshore Family Law", "Maple Street Bakery",
  "Meridian Wealth", "Northgate Pharmacy", "Oakmont Property Mgmt", "Pinecrest Orthodontics", "Quarry Hill Brewing",
  "Redwood Title & Escrow", "Riverbend Auto Group", "Sagebrush Ranch Supply", "Silverline Staffing", "Summit Physical Therapy",
  "Sunrise Senior Living", "Tidewater Marine", "Trailhead Outfitters", "Union Square Dental", "Valley Green Landscaping",
  "Westbrook CPA", "Willow Creek Vet", "Windmill Farms", "Yellowstone Tours", "Zephyr Aviation",
  "acme plumbing", "Beacon Hill Montessori", "Canyon Road Winery", "Delta Mechanical", "Elm & Ash Interiors",
  "Foothill Orthopedics", "Greenline Transit", "Horizon Charter School", "Indigo Print Works", "Jetstream Couriers",
];

/** Plan products of managed companies (current usage reports them in "bundles"). */
const PLAN_IDS = [10001, 10002, 10010, 10011] as const;

export interface GenerateCurrentUsageOptions {
  /** The MSP's name; by default one picked from the seed. */
  mspName?: string;
  /** Number behind the MSP's companyId; the managed companies get the next `companyCount` numbers. */
  idBase?: number;
}

const num = (text: string | number): LosslessNumber => new LosslessNumber(String(text));

/**
 * A deterministic current-usage snapshot for a generated MSP with `companyCount` managed companies: plans
 * in "bundles", add-ons in "licenses", storage in "GB", KCM in "KCM users", support with unit "".
 */
export function generateCurrentUsage(seedKey: string, companyCount: number, options: GenerateCurrentUsageOptions = {}): KeeperCurrentUsageFixture {
  if (!Number.isInteger(companyCount) || companyCount < 0) throw new RangeError("companyCount must be a non-negative integer");
  const rnd = seededRandom(`current|${seedKey}`);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)];
  const chance = (p: number): boolean => rnd() < p;
  const idBase = options.idBase ?? 10000 + Math.floor(rnd() * (89999 - 10000 - companyCount));
  // Keeper's ids are 5-digit numbers (keeper.md quirk 6); keep every generated one that way.
  if (!Number.isInteger(idBase) || idBase < 10000 || idBase + companyCount > 99999) {
    throw new RangeError(`idBase ${idBase} with ${companyCount} companies leaves the 5-digit id range`);
  }
  const mspName = options.mspName ?? pick(MSP_NAMES);

  /** Mostly the usual usage name; sometimes another name of the same id (keeper.md quirk 3). */
  const nameOf = (productId: number): string => {
    const names = KEEPER_PRICE_LIST.get(productId)?.usageNames ?? [String(productId)];
    return names.length > 1 && chance(0.1) ? pick(names.slice(1)) : names[0];
  };
  const row = (productId: number, quantity: string | number): KeeperProductRow => ({
    unit: KEEPER_PRICE_LIST.get(productId)?.currentUnit ?? "",
    quantity: num(quantity),
    productId: num(productId),
    productName: nameOf(productId),
  });
  /** Add-ons, storage and support in the order Keeper lists them (seed sample's mspItem). */
  const extras = (seats: number, p: { storage: number; support: number; perUser: number; kcm: number; rare: number }): KeeperProductRow[] => {
    const rows: KeeperProductRow[] = [];
    const storage = rnd();
    if (storage < p.storage / 2) rows.push(row(1011, 1000));
    else if (storage < p.storage) rows.push(row(1012, 10000));
    if (chance(p.support)) rows.push(row(730, 1));
    for (const id of [920, 940, 930]) if (chance(p.perUser)) rows.push(row(id, seats));
    if (chance(p.kcm)) rows.push(row(967, 1 + Math.floor(rnd() * 10)));
    if (chance(p.perUser)) rows.push(row(910, seats));
    for (const id of [968, 973, 978]) if (chance(p.rare)) rows.push(row(id, seats));
    if (chance(p.rare / 2)) rows.push(row(KEEPER_UNLISTED_PRODUCT_ID, 1));
    return rows;
  };

  const names = [...COMPANY_NAMES];
  for (let i = names.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [names[i], names[j]] = [names[j], names[i]];
  }
  // keeper.md quirk 3: one company's plan says Enterprise but its product is 10001 (Business), like "Rams".
  const mismatched = companyCount >= 4 ? Math.floor(rnd() * companyCount) : -1;

  const mcItems: KeeperCompanyItem[] = [];
  for (let i = 0; i < companyCount; i++) {
    const planId = i === mismatched ? 10001 : pick(PLAN_IDS);
    const planName = i === mismatched ? "Keeper Enterprise Bundle" : (KEEPER_PRICE_LIST.get(planId)?.usageNames[0] ?? String(planId));
    const seats = 1 + Math.floor(rnd() ** 2 * 60); // mostly small offices, a few larger ones
    const round = Math.floor(i / names.length);
    mcItems.push({
      companyId: keeperCompanyId(idBase + 1 + i),
      companyName: round === 0 ? names[i] : `${names[i % names.length]} ${round + 1}`,
      plan: planName,
      invitedUsers: num(Math.max(1, seats - Math.floor(rnd() * Math.min(3, seats)))),
      maximumAllowedUsers: num(seats + pick([0, 0, 5, 10])),
      products: [row(planId, seats), ...extras(seats, { storage: 0.25, support: 0.08, perUser: 0.3, kcm: 0.15, rare: 0.06 })],
    });
  }

  const licenses = 5 + Math.floor(rnd() * 40);
  const mspItem: KeeperCompanyItem = {
    companyId: keeperCompanyId(idBase),
    companyName: mspName,
    invitedUsers: num(Math.max(1, licenses - Math.floor(rnd() * 5))),
    products: [row(720, licenses), ...extras(licenses, { storage: 0.6, support: 0.4, perUser: 0.6, kcm: 0.5, rare: 0.1 })],
  };
  return { success: true, usage: { mcItems, mspItem } };
}

export interface MonthlyUsageOptions {
  year: number;
  /** 1–12. */
  month: number;
  /** With year and month, seeds the PRNG: same inputs, same body. */
  seedKey: string;
  /** Seed 001's real sample says `total`, its schema sample `totalCost`: both occur (keeper.md B). */
  totalKey: "total" | "totalCost";
}

/** Monthly rows list the plan first, then storage, then add-ons in seed 001's monthly order. */
const MONTHLY_ROW_ORDER = [720, 10001, 10002, 10010, 10011, 1011, 1012, 920, 930, 940, 730, 967, 968, 910, 973, 978, 916];

function numberText(value: unknown, where: string): string {
  if (isLosslessNumber(value)) return value.value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value)) return value;
  throw new TypeError(`${where} is not a number`);
}

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/**
 * keeper.md quirk 1: a company that joined or shrank during the month is billed its daily-average user
 * count, rounded to 2 places. When the average happens to be whole, one user left a day early.
 */
function dailyAverage(quantity: Decimal, activeDays: number, days: number): Decimal {
  const userDays = quantity.times(activeDays);
  const average = userDays.div(days).toDecimalPlaces(2);
  if (!average.isInteger()) return average;
  const adjusted = userDays.minus(1).div(days).toDecimalPlaces(2);
  return adjusted.gt(0) ? adjusted : average;
}

/** Alphabetical by name, case-insensitive ("seahawks" sits between "Saints" and "Vikings" in the seed). */
function byCompanyName(a: KeeperCompanyItem, b: KeeperCompanyItem): number {
  const x = a.companyName.toLowerCase();
  const y = b.companyName.toLowerCase();
  if (x !== y) return x < y ? -1 : 1;
  return a.companyId < b.companyId ? -1 : a.companyId > b.companyId ? 1 : 0;
}

/**
 * A deterministic monthly-usage body priced from a current-usage snapshot. Every company of the snapshot
 * is billed; about a quarter (at least one) are prorated with fractional quantities; storage and support
 * are quantity 1 with no `unit`; per-user rows say "user"; some rows carry another name of their id.
 * All figures reconcile exactly (see the file comment).
 */
export function generateMonthlyUsage(current: KeeperCurrentUsageFixture, options: MonthlyUsageOptions): KeeperMonthlyUsageFixture {
  const { year, month, seedKey, totalKey } = options;
  if (!Number.isInteger(year) || !Number.isInteger(month) || month < 1 || month > 12) throw new RangeError("invalid year or month");
  const rnd = seededRandom(`monthly|${seedKey}|${year}-${String(month).padStart(2, "0")}`);
  const days = daysInMonth(year, month);
  const mcs = current.usage.mcItems;

  const prorated = mcs.map(() => rnd() < 0.25);
  if (mcs.length > 0 && !prorated.includes(true)) prorated[Math.floor(rnd() * mcs.length)] = true;
  const activeDays = mcs.map(() => 1 + Math.floor(rnd() * (days - 1)));

  const rank = (id: number): number => {
    const i = MONTHLY_ROW_ORDER.indexOf(id);
    return i === -1 ? MONTHLY_ROW_ORDER.length : i;
  };

  const price = (item: KeeperCompanyItem, where: string, daysActive: number | null): { wire: KeeperCompanyItem; total: Decimal } => {
    const rows = item.products
      .map((p, i) => ({ p, id: Number(numberText(p.productId, `${where}.products[${i}].productId`)), i }))
      .sort((a, b) => rank(a.id) - rank(b.id) || a.i - b.i);
    let total = new Dec(0);
    const products: KeeperProductRow[] = rows.map(({ p, id, i }) => {
      const known = KEEPER_PRICE_LIST.get(id);
      const flat = known?.billing === "flat";
      let quantity = flat ? new Dec(1) : new Dec(numberText(p.quantity, `${where}.products[${i}].quantity`));
      if (!flat && daysActive !== null) quantity = dailyAverage(quantity, daysActive, days);
      const unitPrice = new Dec(companyUnitPrice(id, item.companyId));
      const cost = unitPrice.times(quantity).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
      total = total.plus(cost);
      const drifted = known?.tableName && rnd() < 0.1 ? known.tableName : undefined;
      return {
        unitPrice: num(unitPrice.toFixed()),
        ...(flat ? {} : { unit: "user" }),
        quantity: num(quantity.toFixed()),
        productId: num(String(id)),
        productName: drifted ?? (typeof p.productName === "string" ? p.productName : String(id)),
        avgMonthlyCost: num(cost.toFixed()),
      };
    });
    return { wire: { companyId: item.companyId, total: num(total.toFixed()), companyName: item.companyName, products }, total };
  };

  const mspPriced = price(current.usage.mspItem, "usage.mspItem", null);
  const mcPriced = mcs.map((item, i) => price(item, `usage.mcItems[${i}]`, prorated[i] ? activeDays[i] : null));
  const subTotal = mcPriced.reduce((acc, c) => acc.plus(c.total), mspPriced.total);
  const tax = new Dec(0);
  const grandTotal = num(subTotal.plus(tax).toFixed());

  return {
    success: true,
    usage: {
      // Key order as in seed 001's sample: total, tax, currency, mcItems, subTotal, mspItem.
      ...(totalKey === "total" ? { total: grandTotal } : { totalCost: grandTotal }),
      tax: num(tax.toFixed()),
      currency: "USD",
      mcItems: mcPriced.map((c) => c.wire).sort(byCompanyName),
      subTotal: num(subTotal.toFixed()),
      mspItem: mspPriced.wire,
    },
  };
}
