/**
 * The vendor-neutral model (DOMAIN.md). Connectors map wire shapes onto these plain records;
 * the GraphQL layer exposes them. No decorators here.
 */
import type { Decimal } from "decimal.js";
import type { StoredLines } from "./line-source";
import type { BillingPeriod } from "./period";

/** The vendor a record comes from. */
export type Vendor = "KEEPER" | "WEBEX" | "MICROSOFT";

/** One vendor contract = one connector kind; the `vendor` field of a configured connection. */
export type VendorApi =
  | "keeper-msp"
  | "keeper-distributor"
  | "webex-wholesale"
  | "microsoft-marketplace"
  | "microsoft-partner-billing";

export const VENDOR_OF_API: Record<VendorApi, Vendor> = {
  "keeper-msp": "KEEPER",
  "keeper-distributor": "KEEPER",
  "webex-wholesale": "WEBEX",
  "microsoft-marketplace": "MICROSOFT",
  "microsoft-partner-billing": "MICROSOFT",
};

export interface ConnectionInfo {
  id: string;
  vendor: Vendor;
  api: VendorApi;
  /** Display name from the configuration, if any. */
  name: string | null;
}

/** Where a vendor-backed value came from and how fresh it is. */
export interface Provenance {
  connectionId: string;
  vendor: Vendor;
  fetchedAt: Date;
  fromCache: boolean;
  ageSeconds: number;
}

export interface Sourced<T> {
  value: T;
  source: Provenance;
}

/** A vendor id kept as an external reference (what joins a customer across vendors later). */
export interface ExternalId {
  kind: string;
  value: string;
}

export type PartnerRole = "DISTRIBUTOR" | "MSP" | "RESELLER" | "PUBLISHER";

export interface PartnerRecord {
  connectionId: string;
  vendor: Vendor;
  /** Connector-local key: unique within the connection. */
  key: string;
  parentKey: string | null;
  role: PartnerRole;
  name: string | null;
  externalIds: ExternalId[];
  /** The partner's own account at its parent (a Keeper distributor's MSP account), if any. */
  subscription: SubscriptionRecord | null;
}

export type SubscriptionStatus =
  | "PENDING_FULFILLMENT_START"
  | "SUBSCRIBED"
  | "UNSUBSCRIBED"
  | "PENDING"
  | "TRIAL"
  | "ACTIVE"
  | "SUSPENDED"
  | "EXPIRED"
  | "CANCELLED"
  | "REGION_CONFLICT"
  | "PRODUCT_CONFLICT"
  | "UNKNOWN";

export interface SubscriptionRecord {
  connectionId: string;
  vendor: Vendor;
  key: string;
  name: string | null;
  status: SubscriptionStatus;
  /** The vendor's own status text, kept even when it maps to a known value. */
  rawStatus: string;
  plan: string | null;
  quantity: Decimal | null;
  externalIds: ExternalId[];
  /** Vendor fields with no place in the model (e.g. Keeper's accountRegion / productType). */
  attributes: Array<{ name: string; value: string }>;
  /** The offer (product line) the plan belongs to, where the vendor has offers (Microsoft marketplace). */
  offer?: string | null;
  term?: { start: string | null; end: string | null; unit: string | null } | null;
  autoRenew?: boolean | null;
  isFreeTrial?: boolean | null;
  isTest?: boolean | null;
  /** Who bought it, when that is not the company using it (a CSP buying for its customer). */
  purchaser?: PartyRecord | null;
  /** The managed company that uses it (the beneficiary tenant), keyed under the connection's partner. */
  companyKey?: string | null;
  partnerKey?: string | null;
}

export interface PartyRecord {
  tenantId: string | null;
  objectId: string | null;
  email: string | null;
}

export type ProductCategory = "BASE_PLAN" | "ADD_ON" | "STORAGE" | "SERVICE" | "USAGE" | "UNKNOWN";

export interface ProductRecord {
  connectionId: string;
  vendor: Vendor;
  /** The vendor's product id: products are keyed on it because names drift. */
  key: string;
  sku: string | null;
  name: string;
  /** Every other name this id was seen under. */
  aliases: string[];
  unit: string | null;
  category: ProductCategory;
  /** False when the id is not in the vendor's published catalogue. */
  known: boolean;
}

/** A current quantity of a product held by a company or partner (no money). */
export interface UsageRecord {
  productKey: string;
  /** The name the vendor reported on this row. */
  reportedName: string | null;
  quantity: Decimal;
  unit: string | null;
}

export interface CompanyRecord {
  connectionId: string;
  vendor: Vendor;
  partnerKey: string;
  key: string;
  name: string | null;
  plan: string | null;
  externalIds: ExternalId[];
  invitedUsers: Decimal | null;
  maximumAllowedUsers: Decimal | null;
  usage: UsageRecord[];
}

/** A current-usage snapshot of one partner: its own usage and each managed company's. */
export interface UsageSnapshot {
  partnerKey: string;
  partnerName: string | null;
  partnerUsage: UsageRecord[];
  companies: CompanyRecord[];
}

export interface LineSource {
  documentId: string;
  rowRef: string;
}

export interface InvoiceLineRecord {
  id: string;
  connectionId: string;
  vendor: Vendor;
  period: BillingPeriod;
  partnerKey: string;
  /** Null for the partner's own consumption (Keeper's `mspItem`). */
  companyKey: string | null;
  companyName: string | null;
  companyExternalIds: ExternalId[];
  productKey: string;
  description: string | null;
  quantity: Decimal;
  unit: string | null;
  unitPrice: Decimal | null;
  /**
   * The unit price's currency where it is not the line's (Partner Center prices in the pricing currency
   * and bills in the billing currency); undefined or null means the line's own currency.
   */
  unitPriceCurrency?: string | null;
  /** The rate that turns the unit price's currency into the line's, where the vendor gives one. */
  exchangeRate?: ExchangeRate | null;
  /** Null where the vendor gives no amount; never guessed. Pre-tax. */
  amount: Decimal | null;
  /** Tax on the line and the line's total, where the vendor reports them per line (Microsoft). */
  tax?: Decimal | null;
  total?: Decimal | null;
  /** Null where the vendor gives no money at all (Webex usage reports). */
  currency: string | null;
  chargeStart: string;
  chargeEnd: string;
  chargeType: string;
  /** The vendor's subscription the usage belongs to, when it says. */
  subscriptionId: string | null;
  /** The vendor's location id, when it says. */
  locationId: string | null;
  /** Vendor columns with no place in the model (user, workspace, service name...): kept, not dropped. */
  attributes: Array<{ name: string; value: string }>;
  source: LineSource;
}

/** A vendor's conversion rate between two currencies, as it reports it (never computed by the gateway). */
export interface ExchangeRate {
  from: string;
  to: string;
  /** One unit of `from` is `rate` units of `to`. */
  rate: Decimal;
  /** The day the rate is of (ISO date), where the vendor says. */
  date: string | null;
}

/** The vendor's own figures in one currency. */
export interface ReportedCurrencyTotals {
  currency: string;
  subtotal: Decimal | null;
  tax: Decimal | null;
  total: Decimal | null;
}

/** Totals as the vendor reports them, to be reconciled against the lines: one set per currency, never added across. */
export interface ReportedTotals {
  /** One entry per currency the vendor reports figures in (Keeper: the statement's one); empty when it reports none (Webex). */
  byCurrency: ReportedCurrencyTotals[];
  groups: Array<{ companyKey: string | null; companyName: string | null; currency: string | null; total: Decimal | null }>;
}

export interface StatementRecord {
  connectionId: string;
  vendor: Vendor;
  partnerKey: string;
  period: BillingPeriod;
  /**
   * The statement's one currency; null for usage-only statements (no money) and for statements whose
   * lines are in several currencies (see `reported.byCurrency` and the reconciliation's per-currency sums).
   */
  currency: string | null;
  documentId: string;
  lines: InvoiceLineRecord[];
  reported: ReportedTotals;
  /** How the vendor derives a line amount from unit price × quantity, when it documents one. */
  lineAmountRule: "ROUND_HALF_UP_CENTS" | null;
  /** Lines carry their own total, which must equal amount + tax (Microsoft). */
  lineTotals?: boolean;
  /** Rows the gateway could not read (with their row numbers): reported beside the good lines, never dropped silently. */
  problems: string[];
  /** For statements too large for memory: the lines live here, and `lines` is empty. */
  store?: StoredLines;
}
