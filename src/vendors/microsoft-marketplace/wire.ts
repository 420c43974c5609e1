/** Raw wire shapes of the Microsoft commercial marketplace SaaS Fulfillment API v2 (microsoft-marketplace.md). */

export const MARKETPLACE_API_VERSION = "2018-08-31";
/** The fixed Marketplace SaaS API application id: the token's resource / audience. */
export const MARKETPLACE_RESOURCE = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7";

export interface MsParty {
  emailId?: string;
  objectId?: string;
  tenantId?: string;
  puid?: string;
}

export interface MsTerm {
  startDate?: string | null;
  endDate?: string | null;
  termUnit?: string | null;
  chargeDuration?: unknown;
}

export interface MsSubscription {
  id: string;
  name?: string;
  publisherId?: string;
  offerId?: string;
  planId?: string;
  /** A number here, a string elsewhere, "" or null when not per seat (quirk 1). */
  quantity?: number | string | null;
  beneficiary?: MsParty;
  purchaser?: MsParty;
  allowedCustomerOperations?: string[];
  sessionMode?: string;
  isFreeTrial?: boolean;
  isTest?: boolean;
  sandboxType?: string;
  autoRenew?: boolean;
  created?: string;
  lastModified?: string;
  saasSubscriptionStatus?: string;
  term?: MsTerm;
  [extra: string]: unknown;
}

export interface MsSubscriptionPage {
  subscriptions?: MsSubscription[];
  "@nextLink"?: string | null;
}

export interface MsResolved {
  id: string;
  subscriptionName?: string;
  offerId?: string;
  planId?: string;
  quantity?: number | string | null;
  subscription?: MsSubscription;
}

export interface MsPlan {
  planId: string;
  displayName?: string;
  isPrivate?: boolean;
  description?: string;
  minQuantity?: number;
  maxQuantity?: number;
  hasFreeTrials?: boolean;
  isPricePerSeat?: boolean;
  isStopSell?: boolean;
  market?: string;
}

export interface MsOperation {
  id: string;
  activityId?: string;
  subscriptionId: string;
  offerId?: string;
  publisherId?: string;
  planId?: string;
  quantity?: number | string | null;
  action?: string;
  timeStamp?: string;
  status?: string;
  errorStatusCode?: string;
  errorMessage?: string;
  [extra: string]: unknown;
}

export interface MsTokenResponse {
  token_type?: string;
  /** Strings on the v1 endpoint (quirk), numbers on v2. */
  expires_in?: string | number;
  expires_on?: string | number;
  access_token?: string;
  resource?: string;
}

/** A metered usage event as sent (usageEvent, and each item of batchUsageEvent). */
export interface MsUsageEvent {
  resourceId: string;
  /** A JSON number: the quantity's decimal text, unquoted. */
  quantity: number;
  dimension: string;
  /** UTC, ISO 8601. */
  effectiveStartTime: string;
  planId: string;
}

/** An accepted (or duplicate) event as the service describes it. */
export interface MsUsageEventResult extends Partial<MsUsageEvent> {
  usageEventId?: string;
  status?: string;
  messageTime?: string;
  error?: MsMeteringError;
}

export interface MsMeteringError {
  code?: string;
  message?: string;
  target?: string;
  details?: Array<{ code?: string; message?: string; target?: string }>;
  /** 409 Duplicate: the event accepted before. */
  additionalInfo?: { acceptedMessage?: MsUsageEventResult };
}

export interface MsBatchUsageResult {
  count?: number;
  result?: MsUsageEventResult[];
}

/** Most events one batchUsageEvent takes. */
export const MAX_USAGE_BATCH = 25;
