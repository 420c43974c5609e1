/**
 * Pure mapping of Webex report CSV rows and report bodies to the domain model (webex.md). Quantities
 * go from the CSV text to Decimal; Webex reports carry no prices, so amounts and currency stay null:
 * `amount` is the vendor's own figure. The price book prices these lines above the connector, as their
 * cost (src/pricing/price-book.ts, InvoiceLine.cost).
 */
import { decimalFromText, isDecimalText } from "../../domain/money";
import type { ReportRecord, ReportStatus, ReportType } from "../../domain/connector";
import type { ConnectionInfo, ExternalId, InvoiceLineRecord } from "../../domain/model";
import type { BillingPeriod } from "../../domain/period";
import { listOf } from "../connector-kit";
import type { WebexReport, WebexReportError } from "./wire";

const MODEL_COLUMNS = new Set([
  "SUBSCRIPTION_ID",
  "SKU",
  "DESCRIPTION",
  "CONSUMPTION_START_DATE",
  "CONSUMPTION_END_DATE",
  "QUANTITY",
  "CUSTOMER_ORG_ID",
  "CUSTOMER_EXTERNAL_ID",
  "LOCATION_ID",
  "CUSTOMER_NAME",
]);

export const REQUIRED_COLUMNS = ["SKU", "QUANTITY", "CONSUMPTION_START_DATE", "CONSUMPTION_END_DATE"];

export function companyExternalIds(row: Record<string, string>): ExternalId[] {
  const ids: ExternalId[] = [];
  if (row.CUSTOMER_ORG_ID) ids.push({ kind: "webex.orgId", value: row.CUSTOMER_ORG_ID });
  if (row.CUSTOMER_EXTERNAL_ID) ids.push({ kind: "webex.customerExternalId", value: row.CUSTOMER_EXTERNAL_ID });
  return ids;
}

function day(text: string): string | null {
  const d = text.trim().slice(0, 10);
  return /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(d)) ? d : null;
}

/** A CSV row as a usage line, or the reason it cannot be one. */
export function rowToLine(
  info: ConnectionInfo,
  partnerKey: string,
  period: BillingPeriod,
  reportId: string,
  row: Record<string, string>,
  rowNumber: number,
): InvoiceLineRecord | string {
  const quantity = row.QUANTITY?.trim() ?? "";
  if (!isDecimalText(quantity)) return `row ${rowNumber}: QUANTITY "${quantity.slice(0, 20)}" is not a number`;
  const start = day(row.CONSUMPTION_START_DATE ?? "");
  const end = day(row.CONSUMPTION_END_DATE ?? "");
  if (!start || !end) return `row ${rowNumber}: consumption dates are not dates`;
  if (!row.SKU) return `row ${rowNumber}: SKU is empty`;
  const attributes = Object.entries(row)
    .filter(([name, value]) => !MODEL_COLUMNS.has(name) && value !== "")
    .map(([name, value]) => ({ name, value }));
  const companyKey = row.CUSTOMER_ORG_ID || null;
  const rowRef = `row ${rowNumber}`;
  return {
    id: `${info.id}|${reportId}|${rowRef}`,
    connectionId: info.id,
    vendor: info.vendor,
    period,
    partnerKey,
    companyKey,
    // webex.md lists no customer name column; some reports carry one (CUSTOMER_NAME): used where present.
    // Without it the ids join the customer (CUSTOMER_EXTERNAL_ID) and the directory names it.
    companyName: (companyKey && row.CUSTOMER_NAME?.trim()) || null,
    companyExternalIds: companyKey ? companyExternalIds(row) : [],
    productKey: row.SKU,
    description: row.DESCRIPTION || row.SERVICE_NAME || null,
    quantity: decimalFromText(quantity),
    unit: "day",
    unitPrice: null,
    amount: null,
    currency: null,
    chargeStart: start,
    chargeEnd: end,
    chargeType: "USAGE",
    subscriptionId: row.SUBSCRIPTION_ID || null,
    locationId: row.LOCATION_ID || null,
    attributes,
    source: { documentId: `webex-report:${reportId}`, rowRef },
  };
}

const STATUSES: Record<string, ReportStatus> = { IN_PROGRESS: "IN_PROGRESS", COMPLETED: "COMPLETED", FAILED: "FAILED" };

export function mapReport(
  info: ConnectionInfo,
  partnerKey: string,
  report: WebexReport,
  onUnknown?: (field: string, value: string) => void,
): ReportRecord {
  const rawStatus = String(report.status ?? "");
  const status = STATUSES[rawStatus.toUpperCase()];
  if (!status && rawStatus) onUnknown?.("report.status", rawStatus);
  const type = String(report.type ?? report.reportType ?? "PARTNER").toUpperCase();
  return {
    connectionId: info.id,
    vendor: info.vendor,
    key: report.id,
    partnerKey,
    type: (["PARTNER", "CUSTOMER", "USER"].includes(type) ? type : "PARTNER") as ReportType,
    periodStart: report.billingStartDate,
    periodEnd: report.billingEndDate,
    // List items may omit nothing but tempDownloadURL; a missing status means the vendor has not said.
    status: status ?? (rawStatus ? "UNKNOWN" : "IN_PROGRESS"),
    // List items leave errors out (webex.md); when present it is a list.
    errors: listOf<WebexReportError>(info, report, "errors", "report's errors", { absent: true }).map((e) => ({ code: String(e.code), message: String(e.description ?? "") })),
    createdAt: report.created ? new Date(report.created) : null,
    subPartnerId: typeof report.subPartnerOrgId === "string" ? report.subPartnerOrgId : null,
  };
}

/** Webex-wide error bodies: `{message, errors:[{description}], trackingId}`. */
export function describeWebexError(_status: number, body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; errors?: Array<{ description?: unknown }> };
    const text = typeof parsed.message === "string" ? parsed.message : parsed.errors?.[0]?.description;
    return typeof text === "string" ? text.slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}
