/**
 * The contract every vendor connector implements. Resolvers never call connectors directly:
 * per-request DataLoaders do (graphql/loaders.ts), so each distinct upstream call happens once per operation.
 */
import type { Decimal } from "decimal.js";
import type { Logger } from "pino";
import type { TraceContext } from "../tracing";
import type { BillingPeriod } from "./period";
import type {
  ConnectionInfo,
  InvoiceLineRecord,
  Vendor,
  PartnerRecord,
  ProductRecord,
  Sourced,
  StatementRecord,
  SubscriptionRecord,
  UsageSnapshot,
} from "./model";

/** A managed company a caller is limited to (a customer's own user): parsed from its global id. */
export interface CompanyRef {
  /** The ManagedCompany global id, as the token names it. */
  id: string;
  connectionId: string;
  partnerKey: string;
  companyKey: string;
}

/**
 * What a caller may see and do: the `connections` claim of its token, its roles (auth/roles.ts), the one
 * company it may be limited to, plus a stable key for cache scoping.
 */
export interface CallerScope {
  subject: string;
  tenant: string | null;
  connections: "*" | ReadonlySet<string>;
  /** `billing:read`, `accounts:write`, `admin` (auth/roles.ts); other strings of the token are dropped. */
  roles: ReadonlySet<string>;
  /** Set for a company-scoped caller: it sees this company and nothing of the partner. */
  company: CompanyRef | null;
  /** Stable, non-secret key derived from tenant, connections and company; part of every cache key. */
  key: string;
}

export function scopeAllows(scope: CallerScope, connectionId: string): boolean {
  return scope.connections === "*" || scope.connections.has(connectionId);
}

/** The time budget of one GraphQL request; upstream work never outlives it. */
export interface Deadline {
  /** Epoch ms at which the request gives up. */
  readonly at: number;
  /** Aborted when the deadline passes (or the request ends). */
  readonly signal: AbortSignal;
  remainingMs(): number;
}

/** Per-call context every connector method receives. */
export interface CallContext {
  scope: CallerScope;
  deadline: Deadline;
  requestId: string;
  logger: Logger;
  /** When tracing is on: the request's span, parent of the vendor calls made for it. */
  trace?: TraceContext;
}

/** A lifecycle action's outcome: the vendor's own confirmation message. */
export interface LifecycleResult {
  message: string;
}

export interface CreateTrialInput {
  name: string;
  email: string;
  country: string;
  vendorInternalId: string;
  phone?: string;
  zipCode?: string;
  state?: string;
  city?: string;
  street?: string;
  showPricingInMspConsole?: boolean;
}

export interface CreatedTrial {
  vendorPartnerId: string;
  subscription: SubscriptionRecord;
  contactFirstName: string | null;
  contactLastName: string | null;
  locale: string | null;
}

/** Account lifecycle operations (Keeper distributor). Never retried: they change state at the vendor. */
export interface AccountLifecycle {
  createTrialAccount(call: CallContext, input: CreateTrialInput): Promise<CreatedTrial>;
  convertToPaid(call: CallContext, vendorInternalId: string): Promise<LifecycleResult>;
  activateExpiredAccount(call: CallContext, vendorInternalId: string): Promise<LifecycleResult>;
  cancelPaidAccount(call: CallContext, vendorPartnerId: string): Promise<LifecycleResult>;
  removeAccount(call: CallContext, vendorPartnerId: string): Promise<LifecycleResult>;
}

export type ReportStatus = "PENDING" | "IN_PROGRESS" | "COMPLETED" | "FAILED" | "UNKNOWN";
export type ReportType = "PARTNER" | "CUSTOMER" | "USER";

/** A long-running vendor report the gateway drives for the user (DOMAIN.md: Job). */
export interface ReportRecord {
  connectionId: string;
  vendor: Vendor;
  /** The vendor's report id; null while the gateway has not been able to create it yet. */
  key: string | null;
  partnerKey: string;
  type: ReportType;
  periodStart: string;
  periodEnd: string;
  status: ReportStatus;
  errors: Array<{ code: string; message: string }>;
  createdAt: Date | null;
  subPartnerId: string | null;
}

/** Vendors whose billing data comes as asynchronous reports (Webex). */
export interface BillingReports {
  list(call: CallContext, partnerKey: string): Promise<Sourced<ReportRecord[]>>;
  get(call: CallContext, reportKey: string): Promise<Sourced<ReportRecord>>;
  /** Finds or creates the report for the month; with `wait`, waits for it within the request's budget. */
  request(call: CallContext, partnerKey: string, period: BillingPeriod, type: ReportType, options?: { regenerate?: boolean; wait?: boolean }): Promise<ReportRecord>;
  remove(call: CallContext, reportKey: string): Promise<void>;
  /** A page of a company's user-level lines for a month, and how many there are in all. */
  userLines(call: CallContext, partnerKey: string, companyKey: string, period: BillingPeriod, offset: number, limit: number): Promise<Sourced<{ total: number; lines: InvoiceLineRecord[] }>>;
  /** The lines of one completed report. */
  reportLines(call: CallContext, reportKey: string): Promise<Sourced<InvoiceLineRecord[]>>;
}

export type OperationStatus = "NOT_STARTED" | "IN_PROGRESS" | "SUCCEEDED" | "FAILED" | "CONFLICT" | "UNKNOWN";

/** A vendor-side change in progress (a marketplace operation). */
export interface OperationRecord {
  connectionId: string;
  vendor: Vendor;
  key: string;
  subscriptionKey: string;
  action: string;
  status: OperationStatus;
  rawStatus: string;
  planId: string | null;
  quantity: Decimal | null;
  timeStamp: Date | null;
  errorMessage: string | null;
}

/** One metered usage event: a quantity of a plan's custom dimension, for one hour of one subscription. */
export interface MeteredUsage {
  subscriptionKey: string;
  planId: string;
  dimension: string;
  quantity: Decimal;
  /** Start of the hour the usage belongs to (the marketplace takes the last 24 hours only). */
  effectiveStartTime: Date;
}

export type MeteringStatus =
  | "ACCEPTED"
  | "DUPLICATE"
  | "EXPIRED"
  | "ERROR"
  | "RESOURCE_NOT_FOUND"
  | "RESOURCE_NOT_AUTHORIZED"
  | "RESOURCE_NOT_ACTIVE"
  | "INVALID_DIMENSION"
  | "INVALID_QUANTITY"
  | "BAD_ARGUMENT"
  | "UNKNOWN"
  /** The call carrying it failed: the marketplace may or may not have it (sending it again is safe: a repeat is a DUPLICATE). */
  | "UNCONFIRMED"
  /** Not sent: an earlier batch to the same connection failed. */
  | "NOT_SENT";

/** What the marketplace said of one event, in the order the events were sent. */
export interface MeteringResult {
  event: MeteredUsage;
  status: MeteringStatus;
  rawStatus: string;
  /** The marketplace's id for the accepted event (for a duplicate: the one accepted before). */
  usageEventId: string | null;
  message: string | null;
  /** For UNCONFIRMED and NOT_SENT: the gateway's error code of the failed call. */
  errorCode: string | null;
}

/** SaaS subscriptions a publisher manages at a marketplace (Microsoft). Changes are never retried blindly. */
export interface SaasSubscriptions {
  list(call: CallContext): Promise<Sourced<SubscriptionRecord[]>>;
  get(call: CallContext, key: string): Promise<Sourced<SubscriptionRecord>>;
  plans(call: CallContext, key: string): Promise<Sourced<ProductRecord[]>>;
  pendingOperations(call: CallContext, key: string): Promise<Sourced<OperationRecord[]>>;
  getOperation(call: CallContext, subscriptionKey: string, operationKey: string): Promise<Sourced<OperationRecord>>;
  resolve(call: CallContext, marketplaceToken: string): Promise<{ subscription: SubscriptionRecord; planId: string | null; quantity: Decimal | null }>;
  activate(call: CallContext, key: string, planId: string, quantity: Decimal | null): Promise<void>;
  changePlan(call: CallContext, key: string, planId: string): Promise<OperationRecord>;
  changeQuantity(call: CallContext, key: string, quantity: number): Promise<OperationRecord>;
  cancel(call: CallContext, key: string): Promise<OperationRecord>;
  acknowledge(call: CallContext, subscriptionKey: string, operationKey: string, success: boolean): Promise<OperationRecord>;
  /** Reports one event (usageEvent): a duplicate or refused event is a result, not an error. */
  reportUsage(call: CallContext, event: MeteredUsage): Promise<MeteringResult>;
  /** Reports events in batches of at most 25 (batchUsageEvent), with a status per event, in order. */
  reportUsageBatch(call: CallContext, events: MeteredUsage[]): Promise<MeteringResult[]>;
}

export interface VendorConnector {
  readonly info: ConnectionInfo;
  /** The partner this connection authenticates as; known without an upstream call. */
  readonly rootPartner: PartnerRecord;
  /** Partners below `partnerKey` (a distributor's linked MSPs). */
  listSubPartners(call: CallContext, partnerKey: string): Promise<Sourced<PartnerRecord[]>>;
  /** Current usage of the partner and of each of its managed companies. */
  getCurrentUsage(call: CallContext, partnerKey: string): Promise<Sourced<UsageSnapshot>>;
  /** The partner's statement for a month, or null when the vendor has none at this level. */
  getStatement(call: CallContext, partnerKey: string, period: BillingPeriod): Promise<Sourced<StatementRecord | null>>;
  /** A product for an id met on a usage or invoice row, from the published catalogue: no upstream call. */
  productFor(productKey: string, reportedName: string | null): ProductRecord;
  /** The vendor's product catalogue as this connection sees it. */
  listProducts(call: CallContext): Promise<Sourced<ProductRecord[]>>;
  /** Present only for contracts with lifecycle operations. */
  readonly lifecycle?: AccountLifecycle;
  /** Present only for contracts whose data comes as asynchronous reports. */
  readonly reports?: BillingReports;
  /** Present only for marketplaces whose SaaS subscriptions the publisher manages. */
  readonly saas?: SaasSubscriptions;
  /** Lines not billed yet (Microsoft Partner Center): the running or the last billing period, in a currency. */
  unbilledLines?(call: CallContext, billingPeriod: "current" | "last", currency: string): Promise<Sourced<{ lines: InvoiceLineRecord[]; problems: string[] }>>;
  /** Drops cached data of this connection (after a lifecycle change). */
  invalidate(what: "accounts" | "usage" | "all"): Promise<void>;
}
