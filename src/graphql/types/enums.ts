import { registerEnumType } from "type-graphql";

export const Vendor = { KEEPER: "KEEPER", WEBEX: "WEBEX", MICROSOFT: "MICROSOFT" } as const;
registerEnumType(Vendor, { name: "Vendor", description: "The vendor a record comes from." });

export const VendorApi = {
  KEEPER_MSP: "keeper-msp",
  KEEPER_DISTRIBUTOR: "keeper-distributor",
  WEBEX_WHOLESALE: "webex-wholesale",
  MICROSOFT_MARKETPLACE: "microsoft-marketplace",
  MICROSOFT_PARTNER_BILLING: "microsoft-partner-billing",
} as const;
registerEnumType(VendorApi, { name: "VendorApi", description: "The vendor contract a connection speaks." });

export const PartnerRole = { DISTRIBUTOR: "DISTRIBUTOR", MSP: "MSP", RESELLER: "RESELLER", PUBLISHER: "PUBLISHER" } as const;
registerEnumType(PartnerRole, { name: "PartnerRole" });

export const SubscriptionStatus = {
  PENDING_FULFILLMENT_START: "PENDING_FULFILLMENT_START",
  SUBSCRIBED: "SUBSCRIBED",
  UNSUBSCRIBED: "UNSUBSCRIBED",
  PENDING: "PENDING",
  TRIAL: "TRIAL",
  ACTIVE: "ACTIVE",
  SUSPENDED: "SUSPENDED",
  EXPIRED: "EXPIRED",
  CANCELLED: "CANCELLED",
  REGION_CONFLICT: "REGION_CONFLICT",
  PRODUCT_CONFLICT: "PRODUCT_CONFLICT",
  UNKNOWN: "UNKNOWN",
} as const;
registerEnumType(SubscriptionStatus, {
  name: "SubscriptionStatus",
  description: "Normalised lifecycle status; a vendor value the gateway does not know is UNKNOWN (see rawStatus).",
});

export const ProductCategory = {
  BASE_PLAN: "BASE_PLAN",
  ADD_ON: "ADD_ON",
  STORAGE: "STORAGE",
  SERVICE: "SERVICE",
  USAGE: "USAGE",
  UNKNOWN: "UNKNOWN",
} as const;
registerEnumType(ProductCategory, { name: "ProductCategory" });

export const ReconciliationKind = {
  LINE_AMOUNT: "LINE_AMOUNT",
  LINE_TOTAL: "LINE_TOTAL",
  COMPANY_TOTAL: "COMPANY_TOTAL",
  SUBTOTAL: "SUBTOTAL",
  TOTAL: "TOTAL",
} as const;
registerEnumType(ReconciliationKind, {
  name: "ReconciliationKind",
  valuesConfig: {
    LINE_AMOUNT: { description: "A line's amount differs from unit price × quantity under the vendor's rounding rule." },
    LINE_TOTAL: { description: "A line's total differs from its subtotal + tax." },
    COMPANY_TOTAL: { description: "A company's reported total differs from the sum of its lines." },
    SUBTOTAL: { description: "The reported subtotal differs from the sum of all lines." },
    TOTAL: { description: "The reported total differs from subtotal + tax." },
  },
});

export const BillingReportStatus = {
  PENDING: "PENDING",
  IN_PROGRESS: "IN_PROGRESS",
  COMPLETED: "COMPLETED",
  FAILED: "FAILED",
  UNKNOWN: "UNKNOWN",
} as const;
registerEnumType(BillingReportStatus, {
  name: "BillingReportStatus",
  valuesConfig: {
    PENDING: { description: "Requested; the vendor has not accepted it yet." },
    IN_PROGRESS: { description: "The vendor is generating it: ask again shortly." },
    COMPLETED: { description: "Ready: its lines can be read." },
    FAILED: { description: "The vendor could not generate it; see errors. Request it again with regenerate." },
    UNKNOWN: { description: "A status the gateway does not know (see the vendor's errors)." },
  },
});

export const BillingReportType = { PARTNER: "PARTNER", CUSTOMER: "CUSTOMER", USER: "USER" } as const;
registerEnumType(BillingReportType, {
  name: "BillingReportType",
  description: "Level of detail: per partner, per customer, or per user (subscriber, workspace).",
});

export const OperationStatus = {
  NOT_STARTED: "NOT_STARTED",
  IN_PROGRESS: "IN_PROGRESS",
  SUCCEEDED: "SUCCEEDED",
  FAILED: "FAILED",
  CONFLICT: "CONFLICT",
  UNKNOWN: "UNKNOWN",
} as const;
registerEnumType(OperationStatus, { name: "OperationStatus", description: "A vendor operation's state; SUCCEEDED, FAILED and CONFLICT are final." });

export const MeteringStatus = {
  ACCEPTED: "ACCEPTED",
  DUPLICATE: "DUPLICATE",
  EXPIRED: "EXPIRED",
  ERROR: "ERROR",
  RESOURCE_NOT_FOUND: "RESOURCE_NOT_FOUND",
  RESOURCE_NOT_AUTHORIZED: "RESOURCE_NOT_AUTHORIZED",
  RESOURCE_NOT_ACTIVE: "RESOURCE_NOT_ACTIVE",
  INVALID_DIMENSION: "INVALID_DIMENSION",
  INVALID_QUANTITY: "INVALID_QUANTITY",
  BAD_ARGUMENT: "BAD_ARGUMENT",
  UNKNOWN: "UNKNOWN",
  UNCONFIRMED: "UNCONFIRMED",
  NOT_SENT: "NOT_SENT",
} as const;
registerEnumType(MeteringStatus, {
  name: "MeteringStatus",
  description:
    "What became of a metered usage event: ACCEPTED, or why not (DUPLICATE: that subscription and dimension already have an event for that hour). UNKNOWN: a status the vendor never documented (see rawStatus). UNCONFIRMED: the call carrying it failed (see errorCode), so the marketplace may or may not have it; sending it again is safe, a repeat comes back DUPLICATE. NOT_SENT: an earlier batch to the same connection failed.",
});

export const AggregateDimension = { COMPANY: "COMPANY", PRODUCT: "PRODUCT", CHARGE_TYPE: "CHARGE_TYPE" } as const;
registerEnumType(AggregateDimension, { name: "AggregateDimension" });

export const UnbilledPeriod = { CURRENT: "current", LAST: "last" } as const;
registerEnumType(UnbilledPeriod, { name: "UnbilledPeriod", description: "The running billing period, or the last one not billed yet." });
