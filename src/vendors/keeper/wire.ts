/**
 * Raw wire shapes of both Keeper billing APIs (keeper.md, sections A and B).
 * Numbers are kept as their JSON text (lossless-json `LosslessNumber`) so that money and
 * fractional quantities never pass through a JS float. No mapping happens here.
 */
import type { LosslessNumber } from "lossless-json";

export type WireNumber = LosslessNumber;

/** One product row of a usage item. Monthly usage adds `unitPrice` and `avgMonthlyCost`. */
export interface KeeperProductRow {
  productId: WireNumber;
  productName?: string;
  /** Inconsistent across endpoints: "bundles", "licenses", "GB", "KCM users", "", "user", or absent. */
  unit?: string;
  quantity: WireNumber;
  unitPrice?: WireNumber;
  avgMonthlyCost?: WireNumber;
  [extra: string]: unknown;
}

/** `mspItem` or one of `mcItems[]`. */
export interface KeeperCompanyItem {
  /** Opaque base64-like id, e.g. "NDU5OTk"; not a number. */
  companyId: string;
  companyName: string;
  plan?: string;
  invitedUsers?: WireNumber;
  maximumAllowedUsers?: WireNumber;
  /** Monthly usage only: company total (the schema sample sometimes omits it). */
  total?: WireNumber;
  totalCost?: WireNumber;
  products: KeeperProductRow[];
  [extra: string]: unknown;
}

export interface KeeperFailureBody {
  success: false;
  message?: string;
}

export interface KeeperCurrentUsageBody {
  success: boolean;
  message?: string;
  usage?: {
    mspItem?: KeeperCompanyItem;
    mcItems?: KeeperCompanyItem[];
    [extra: string]: unknown;
  };
}

export interface KeeperMonthlyUsageBody {
  success: boolean;
  message?: string;
  usage?: {
    mspItem?: KeeperCompanyItem;
    mcItems?: KeeperCompanyItem[];
    subTotal?: WireNumber;
    tax?: WireNumber;
    /** Seed 001's real sample says `total`; its schema sample says `totalCost`. Accept both. */
    total?: WireNumber;
    totalCost?: WireNumber;
    currency?: string;
    [extra: string]: unknown;
  };
}

/** Distributor `GET /accounts` row. Conflict statuses carry `accountRegion` / `productType`. */
export interface KeeperAccountRow {
  companyName: string;
  vendorInternalId: string;
  status: string;
  accountRegion?: string;
  productType?: string;
  [extra: string]: unknown;
}

export interface KeeperAccountsBody {
  success: boolean;
  message?: string;
  accounts?: KeeperAccountRow[];
}

export interface KeeperMspProductsBody {
  success: boolean;
  message?: string;
  products?: Array<{ productId: WireNumber; productName: string; [extra: string]: unknown }>;
}

export interface KeeperCreateTrialRequest {
  name: string;
  country: string;
  zipCode?: string;
  email: string;
  vendorInternalId: string;
  state?: string;
  city?: string;
  street?: string;
  phone?: string;
  showPricingInMSPConsole?: boolean;
}

export interface KeeperPartnerDetails {
  partnerId: string;
  "first name"?: string;
  "last name"?: string;
  country?: string;
  locale?: string;
  state?: string;
  city?: string;
  street?: string;
  zipCode?: string;
  phone?: string;
  email?: string;
  vendorInternalId: string;
  trial?: boolean;
  showPricingInMSPConsole?: boolean;
  [extra: string]: unknown;
}

export interface KeeperCreateTrialBody {
  success: boolean;
  message?: string;
  partnerDetails?: KeeperPartnerDetails;
}

/** convert-to-paid, cancel-paid-account, activate-expired, remove-account. */
export interface KeeperMessageBody {
  success: boolean;
  message?: string;
}

/** Fixed success messages (seed 001). */
export const KEEPER_SUCCESS_MESSAGES = {
  convertToPaid: "Converted Trial to Paid",
  cancelPaidAccount: "Cancelled paid account",
  activateExpired: "Activated Expired Account",
  removeAccount: "Deleted Pending/Conflict Account",
} as const;

/** Distributor API path prefix (keeper.md B). */
export const KEEPER_DISTRIBUTOR_PREFIX = "/bi_api/v1/services/mspvendor";
/** Admin REST API MSP billing prefix (keeper.md A). */
export const KEEPER_MSP_PREFIX = "/bi_api/rest/public/msp";
