/**
 * Deterministic, realistic Keeper data for the simulators: current-usage snapshots (the seed sample and
 * generated MSPs) and monthly usage derived from them with Keeper's arithmetic (keeper.md B):
 * avgMonthlyCost = round_half_up(unitPrice × quantity, 2), company total = Σ avgMonthlyCost,
 * subTotal = Σ company totals, total = subTotal + tax. Fractional daily-average quantities, storage
 * billed as 1 unit, rows without `unit`, name drift per productId, per-company prices and an id
 * missing from the published table are all in here on purpose.
 */
import { createHash } from "node:crypto";
import { isLosslessNumber, LosslessNumber, parse as losslessParse } from "lossless-json";
import { Dec, roundCents, sum } from "../../../domain/money";
import { SEED_CURRENT_USAGE_TEXT } from "./seed-samples";

export interface SimProduct {
  productId: number;
  productName: string;
  unit: string;
  /** Decimal text. */
  quantity: string;
}

export interface SimCompany {
  companyId: string;
  companyName: string;
  plan?: string;
  invitedUsers?: number;
  maximumAllowedUsers?: number;
  products: SimProduct[];
}

export interface SimSnapshot {
  mspItem: SimCompany;
  mcItems: SimCompany[];
}

/** List prices per product id (USD, per unit per month); 916 is the schema sample's id absent from the table. */
export const KEEPER_PRICES: Record<number, string> = {
  720: "3.4",
  10001: "2.25",
  10002: "4.2",
  10010: "3",
  10011: "4.8",
  967: "25.2",
  968: "12",
  910: "1",
  920: "0.5",
  930: "1",
  940: "0.5",
  1011: "25",
  1012: "100",
  730: "64",
  973: "3.5",
  978: "6",
  916: "2.54",
};

/** Names from seed 001's product table, used as the drifted name on some monthly rows. */
const TABLE_NAMES: Record<number, string> = {
  720: "Keeper MSP",
  10001: "Keeper Business",
  10002: "Keeper Business Plus",
  10010: "Keeper Enterprise",
  10011: "Keeper Enterprise Plus",
  967: "Keeper Connection Manager Add On",
  910: "KeeperChat Add On",
  920: "Keeper ARAM Add On",
  930: "Keeper BreachWatch Add On",
  940: "Keeper Compliance Reporting Add On",
  1011: "Keeper 1TB Storage Add On",
  1012: "Keeper 10TB Storage Add On",
};

const PLANS: Array<{ id: number; name: string }> = [
  { id: 10001, name: "Keeper Business Bundle" },
  { id: 10002, name: "Keeper Business Plus Bundle" },
  { id: 10010, name: "Keeper Enterprise Bundle" },
  { id: 10011, name: "Keeper Enterprise Plus Bundle" },
];

const STORAGE_OR_SERVICE = new Set([1011, 1012, 730, 916]);

const COMPANY_NAMES = [
  "Alpine Dental Group", "Bayview Logistics", "Birchwood Accounting", "Blue Harbor Realty", "Cedar Ridge Clinic",
  "Clearwater Legal LLP", "Coastal Freight Co", "Copperline Manufacturing", "Crescent Insurance", "Driftwood Hotels",
  "Evergreen Pediatrics", "Fairview Schools", "Fox Valley Credit Union", "Granite Peak Engineering", "Harborview Marina",
  "Highland Veterinary", "Ironbridge Construction", "Juniper Architects", "Lakeshore Family Law", "Maple Street Bakery",
  "Meridian Wealth", "Northgate Pharmacy", "Oakmont Property Mgmt", "Pinecrest Orthodontics", "Quarry Hill Brewing",
  "Redwood Title & Escrow", "Riverbend Auto Group", "Sagebrush Ranch Supply", "Silverline Staffing", "Summit Physical Therapy",
  "Sunrise Senior Living", "Tidewater Marine", "Trailhead Outfitters", "Union Square Dental", "Valley Green Landscaping",
  "Westbrook CPA", "Willow Creek Vet", "Windmill Farms", "Yellowstone Tours", "Zephyr Aviation",
];

/** A seeded PRNG (mulberry32) so fixtures never depend on Math.random. */
export function seededRandom(seed: string): () => number {
  let a = createHash("sha256").update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Keeper's companyIds look like base64 of a 5-digit number without padding ("NDU5OTk" = "45999"). */
export function keeperCompanyId(n: number): string {
  return Buffer.from(String(n)).toString("base64").replace(/=+$/, "");
}

function textOf(value: unknown): string {
  return isLosslessNumber(value) ? value.value : String(value);
}

function fromWire(item: Record<string, unknown>): SimCompany {
  const products = (item.products as Array<Record<string, unknown>>).map((p) => ({
    productId: Number(textOf(p.productId)),
    productName: String(p.productName ?? ""),
    unit: String(p.unit ?? ""),
    quantity: textOf(p.quantity),
  }));
  return {
    companyId: String(item.companyId),
    companyName: String(item.companyName),
    plan: item.plan === undefined ? undefined : String(item.plan),
    invitedUsers: item.invitedUsers === undefined ? undefined : Number(textOf(item.invitedUsers)),
    maximumAllowedUsers: item.maximumAllowedUsers === undefined ? undefined : Number(textOf(item.maximumAllowedUsers)),
    products,
  };
}

/** The seed's current-usage sample (27 managed companies plus the MSP "QaMspNfl"). */
export function seedSnapshot(): SimSnapshot {
  const body = losslessParse(SEED_CURRENT_USAGE_TEXT) as { usage: { mspItem: Record<string, unknown>; mcItems: Array<Record<string, unknown>> } };
  return { mspItem: fromWire(body.usage.mspItem), mcItems: body.usage.mcItems.map(fromWire) };
}

/** A generated MSP with `companyCount` managed companies. */
export function generateSnapshot(seedKey: string, mspName: string, companyCount: number, idBase: number): SimSnapshot {
  const rnd = seededRandom(`current|${seedKey}`);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)];
  const start = Math.floor(rnd() * COMPANY_NAMES.length);
  let totalSeats = 0;
  const mcItems: SimCompany[] = [];
  for (let i = 0; i < companyCount; i++) {
    const plan = pick(PLANS);
    const seats = 1 + Math.floor(rnd() * 45);
    totalSeats += seats;
    const products: SimProduct[] = [{ productId: plan.id, productName: plan.name, unit: "bundles", quantity: String(seats) }];
    if (rnd() < 0.35) products.push({ productId: 920, productName: "Advanced Reporting & Alerts", unit: "licenses", quantity: String(seats) });
    if (rnd() < 0.45) products.push({ productId: 930, productName: "BreachWatch", unit: "licenses", quantity: String(seats) });
    if (rnd() < 0.3) products.push({ productId: 940, productName: "Compliance Reporting", unit: "licenses", quantity: String(seats) });
    if (rnd() < 0.2) products.push({ productId: 967, productName: "Keeper Connection Manager (KCM)", unit: "KCM users", quantity: String(1 + Math.floor(rnd() * 5)) });
    if (rnd() < 0.25) products.push({ productId: 910, productName: "KeeperChat", unit: "licenses", quantity: String(seats) });
    const storage = rnd();
    if (storage < 0.2) products.push({ productId: 1011, productName: "1TB Secure File Storage", unit: "GB", quantity: "1000" });
    else if (storage < 0.3) products.push({ productId: 1012, productName: "10TB Secure File Storage", unit: "GB", quantity: "10000" });
    if (rnd() < 0.1) products.push({ productId: 730, productName: "Dedicated Service & Support", unit: "", quantity: "1" });
    if (rnd() < 0.06) products.push({ productId: 916, productName: "addon", unit: "", quantity: "1" });
    mcItems.push({
      companyId: keeperCompanyId(idBase + 1 + i),
      companyName: COMPANY_NAMES[(start + i) % COMPANY_NAMES.length] + (i >= COMPANY_NAMES.length ? ` ${Math.floor(i / COMPANY_NAMES.length) + 1}` : ""),
      plan: plan.name,
      invitedUsers: seats,
      maximumAllowedUsers: seats + 5,
      products,
    });
  }
  return {
    mspItem: {
      companyId: keeperCompanyId(idBase),
      companyName: mspName,
      invitedUsers: 1,
      products: [
        { productId: 720, productName: "MSP Base License", unit: "licenses", quantity: String(Math.max(10, Math.ceil(totalSeats / 10))) },
        { productId: 1012, productName: "10TB Secure File Storage", unit: "GB", quantity: "10000" },
        { productId: 940, productName: "Compliance Reporting", unit: "licenses", quantity: "10" },
        { productId: 967, productName: "Keeper Connection Manager (KCM)", unit: "KCM users", quantity: String(2 + Math.floor(rnd() * 8)) },
      ],
    },
    mcItems,
  };
}

const n = (text: string) => new LosslessNumber(text);

function companyToWire(c: SimCompany) {
  return {
    companyId: c.companyId,
    companyName: c.companyName,
    ...(c.plan !== undefined && { plan: c.plan }),
    ...(c.invitedUsers !== undefined && { invitedUsers: n(String(c.invitedUsers)) }),
    ...(c.maximumAllowedUsers !== undefined && { maximumAllowedUsers: n(String(c.maximumAllowedUsers)) }),
    products: c.products.map((p) => ({ unit: p.unit, quantity: n(p.quantity), productId: n(String(p.productId)), productName: p.productName })),
  };
}

/** A current-usage success body. */
export function currentUsageBody(snapshot: SimSnapshot) {
  return { success: true, usage: { mcItems: snapshot.mcItems.map(companyToWire), mspItem: companyToWire(snapshot.mspItem) } };
}

export interface MonthlyOptions {
  year: number;
  month: number;
  seedKey: string;
  /** The seed's real sample says `total`, its schema sample `totalCost`: both occur. */
  totalKey: "total" | "totalCost";
}

/** A monthly-usage success body derived from a snapshot; deterministic per (seedKey, month). */
export function monthlyUsageBody(snapshot: SimSnapshot, options: MonthlyOptions) {
  const rnd = seededRandom(`monthly|${options.seedKey}|${options.year}-${options.month}`);
  const daysInMonth = new Date(Date.UTC(options.year, options.month, 0)).getUTCDate();

  const priceCompany = (c: SimCompany, prorate: boolean) => {
    const cheapStorage = rnd() < 0.3; // keeper.md quirk 5: per-company prices (1012 at 89 vs 100)
    const activeDays = 1 + Math.floor(rnd() * (daysInMonth - 1));
    const products = c.products.map((p) => {
      const flat = STORAGE_OR_SERVICE.has(p.productId);
      // keeper.md quirk 4: storage is GB in current usage but quantity 1 in monthly usage.
      let quantity = flat ? new Dec(1) : new Dec(p.quantity);
      // Fractional daily-average licence counts for a company that joined during the month.
      if (prorate && !flat) quantity = quantity.times(activeDays).div(daysInMonth).toDecimalPlaces(2);
      const unitPrice = new Dec(p.productId === 1012 && cheapStorage ? "89" : (KEEPER_PRICES[p.productId] ?? "1"));
      const cost = roundCents(unitPrice.times(quantity));
      const name = TABLE_NAMES[p.productId] && rnd() < 0.15 ? TABLE_NAMES[p.productId] : p.productName;
      return {
        row: {
          unitPrice: n(unitPrice.toFixed()),
          ...(flat ? {} : { unit: "user" }),
          quantity: n(quantity.toFixed()),
          productId: n(String(p.productId)),
          productName: name,
          avgMonthlyCost: n(cost.toFixed()),
        },
        cost,
      };
    });
    const total = sum(products.map((p) => p.cost));
    return { wire: { companyId: c.companyId, total: n(total.toFixed()), companyName: c.companyName, products: products.map((p) => p.row) }, total };
  };

  const mcs = snapshot.mcItems
    .map((c) => priceCompany(c, rnd() < 0.25))
    .sort((a, b) => a.wire.companyName.localeCompare(b.wire.companyName, "en"));
  const msp = priceCompany(snapshot.mspItem, false);
  const subTotal = sum([msp.total, ...mcs.map((m) => m.total)]);
  const tax = new Dec(0);
  return {
    success: true,
    usage: {
      [options.totalKey]: n(subTotal.plus(tax).toFixed()),
      tax: n("0"),
      currency: "USD",
      mcItems: mcs.map((m) => m.wire),
      subTotal: n(subTotal.toFixed()),
      mspItem: msp.wire,
    },
  };
}
