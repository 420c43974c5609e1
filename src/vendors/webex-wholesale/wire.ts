/** Raw wire shapes of Webex Wholesale billing reports (webex.md). No mapping here. */

export const WEBEX_REPORTS_PATH = "/wholesale/billing/reports";

export type WebexReportType = "PARTNER" | "CUSTOMER" | "USER";
export type WebexReportStatus = "IN_PROGRESS" | "COMPLETED" | "FAILED";
export const WEBEX_REPORT_TYPES: readonly WebexReportType[] = ["PARTNER", "CUSTOMER", "USER"];

export interface WebexCreateReportRequest {
  billingStartDate: string;
  billingEndDate: string;
  type?: WebexReportType;
  subPartnerOrgId?: string;
  internal?: boolean;
}

export interface WebexReportError {
  code: number;
  description: string;
}

/** Get-by-id body; list items carry only id, dates, status, type, category. */
export interface WebexReport {
  id: string;
  billingStartDate: string;
  billingEndDate: string;
  type?: string;
  /** A doc slip in one spec example (webex.md): read `type`, fall back to this. */
  reportType?: string;
  category?: string;
  created?: string;
  createdBy?: string;
  status?: string;
  tempDownloadURL?: string;
  errors?: WebexReportError[];
  subPartnerOrgId?: string;
  [extra: string]: unknown;
}

export interface WebexReportList {
  items: WebexReport[];
}

/** Webex-wide error body (exact body for these endpoints unconfirmed). */
export interface WebexErrorBody {
  message?: string;
  errors?: Array<{ description?: string }>;
  trackingId?: string;
}

/** CSV columns (webex.md, CSV report columns); matched by name, case-insensitively, never by position. */
export const WEBEX_COLUMNS = {
  PARTNER: [
    "PARTNER_NAME",
    "PARTNER_ORG_ID",
    "SUBSCRIPTION_ID",
    "SERVICE_NAME",
    "SKU",
    "DESCRIPTION",
    "CONSUMPTION_START_DATE",
    "CONSUMPTION_END_DATE",
    "QUANTITY",
  ],
  CUSTOMER: [] as string[],
  USER: [] as string[],
};
WEBEX_COLUMNS.CUSTOMER = [...WEBEX_COLUMNS.PARTNER, "CUSTOMER_ORG_ID", "CUSTOMER_EXTERNAL_ID", "LOCATION_ID"];
WEBEX_COLUMNS.USER = [...WEBEX_COLUMNS.CUSTOMER, "SUBSCRIBER_ID", "USER_ID", "WORKSPACE_ID"];

/** One CSV row, by canonical column name. */
export type WebexCsvRow = Partial<Record<string, string>>;
