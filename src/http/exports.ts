/**
 * GET /exports/invoice-lines?period=YYYY-MM&format=csv|ndjson[&customerId=..][&vendor=..][&connectionId=..]
 *
 * A month's invoice lines for a PSA import, streamed row by row: each statement's lines are read a page
 * at a time from wherever they are kept (memory, or the line store on disk for very large invoices) and
 * written with backpressure, so memory does not grow with the number of rows. Authorised like GraphQL:
 * the caller's token, its connections, the role `billing:read`; company-scoped callers are refused (the
 * export carries what the partner pays).
 *
 * Columns (CSV header row, NDJSON keys): see EXPORT_COLUMNS. Decimals are exact text, money at its
 * currency's minor unit as GraphQL writes it. Cost and resale are the price book's (pricing/), each with
 * its own currency column (a resale price may be in another currency than the cost); the margin is in
 * theirs when they share one, else empty; pricing_reason says why a figure is empty.
 *
 * A vendor that fails degrades only its own lines: the export still streams the others, and says so
 * before the first row, in the `x-export-complete: false` and `x-export-errors` (JSON) headers and, in
 * NDJSON, as `{"type":"error",...}` records ahead of the lines.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { stringify } from "csv-stringify/sync";
import type { GraphQLError } from "graphql";
import { denialOf } from "../auth/roles";
import { scopeAllows } from "../domain/connector";
import { linePages } from "../domain/line-source";
import type { InvoiceLineRecord, Vendor } from "../domain/model";
import { moneyText } from "../domain/money";
import { reasonsOf } from "../pricing/price-book";
import type { Decimal } from "decimal.js";
import { formatBillingPeriod, parseBillingPeriod, periodIndex, periodOf, type BillingPeriod } from "../domain/period";
import type { GatewayContext } from "../graphql/context";
import type { GatewayMetrics } from "../metrics";
import { globalId } from "../graphql/ids";
import { errorPathInfo } from "../graphql/resolvers/access";
import { lineSourcesAcross } from "../graphql/resolvers/query.resolver";
import type { InvoiceLineFilter } from "../graphql/types/inputs";

export const INVOICE_LINES_EXPORT_PATH = "/exports/invoice-lines";

/** The columns, in order: also the NDJSON keys. */
export const EXPORT_COLUMNS = [
  "period",
  "customer_id",
  "customer_name",
  "psa_company_id",
  "vendor",
  "connection_id",
  "partner_id",
  "company_id",
  "company_name",
  "product_id",
  "product_name",
  "sku",
  "description",
  "quantity",
  "unit",
  "cost",
  "cost_currency",
  "cost_source",
  "resale",
  "resale_currency",
  "margin",
  "pricing_rule",
  "pricing_reason",
  "charge_type",
  "charge_start",
  "charge_end",
  "subscription_id",
  "line_id",
  "source_document",
  "source_row",
] as const;
type Column = (typeof EXPORT_COLUMNS)[number];
type Row = Record<Column, string | null>;

/** Lines read from a statement at a time: the only rows held in memory at once. */
const PAGE = 1000;
const PARAMS = new Set(["period", "format", "customerId", "vendor", "connectionId"]);
const VENDORS = new Set<Vendor>(["KEEPER", "WEBEX", "MICROSOFT"]);
/** Where partial errors of an export are filed. */
const EXPORT_INFO = errorPathInfo("export");

export class ExportRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface ExportRequest {
  period: BillingPeriod;
  format: "csv" | "ndjson";
  filter: InvoiceLineFilter;
}

/** Checks every parameter before any vendor call: unknown names, the period, the format, ids in scope. */
export function parseExportRequest(ctx: GatewayContext, url: URL): ExportRequest {
  const bad = (message: string) => new ExportRequestError(400, "BAD_USER_INPUT", message);
  for (const name of new Set(url.searchParams.keys())) {
    if (!PARAMS.has(name)) throw bad(`Unknown parameter "${name.slice(0, 40)}" (expected ${[...PARAMS].join(", ")})`);
    if (url.searchParams.getAll(name).length > 1) throw bad(`Parameter "${name}" is given more than once`);
  }
  const period = parseBillingPeriod(url.searchParams.get("period") ?? "");
  if (typeof period === "string") throw bad(`period: ${period}`);
  if (periodIndex(period) > periodIndex(periodOf(new Date(ctx.now())))) throw bad(`period: ${formatBillingPeriod(period)} is in the future`);
  const format = url.searchParams.get("format") ?? "csv";
  if (format !== "csv" && format !== "ndjson") throw bad('format must be "csv" or "ndjson"');
  const customerId = url.searchParams.get("customerId");
  if (customerId !== null && !ctx.directory.get(customerId)) throw bad(`customerId: unknown customer "${customerId.slice(0, 64)}"`);
  const vendor = url.searchParams.get("vendor");
  if (vendor !== null && !VENDORS.has(vendor as Vendor)) throw bad(`vendor must be one of ${[...VENDORS].join(", ")}`);
  const connectionId = url.searchParams.get("connectionId");
  if (connectionId !== null && (!ctx.registry.get(connectionId) || !scopeAllows(ctx.scope, connectionId))) throw bad(`Unknown connection "${connectionId.slice(0, 64)}"`);
  return { period, format, filter: { customerId, vendor: vendor as Vendor | null, connectionId } as InvoiceLineFilter };
}

const moneyCell = (m: { amount: Decimal; currency: string } | null) => (m === null ? null : moneyText(m.amount, m.currency));

function rowOf(ctx: GatewayContext, line: InvoiceLineRecord): Row {
  const customer = ctx.directory.customerOfLine(line);
  const price = ctx.priceBook.price(line, customer);
  const product = ctx.registry.get(line.connectionId)?.productFor(line.productKey, line.description);
  return {
    period: formatBillingPeriod(line.period),
    customer_id: customer?.id ?? null,
    customer_name: customer?.name ?? null,
    psa_company_id: customer?.psaCompanyId ?? null,
    vendor: line.vendor,
    connection_id: line.connectionId,
    partner_id: globalId("partner", line.connectionId, line.partnerKey),
    company_id: line.companyKey === null ? null : globalId("company", line.connectionId, line.partnerKey, line.companyKey),
    company_name: line.companyName,
    product_id: globalId("product", line.connectionId, line.productKey),
    product_name: product?.name ?? null,
    sku: product?.sku ?? line.productKey,
    description: line.description,
    quantity: line.quantity.toFixed(),
    unit: line.unit,
    cost: moneyCell(price.cost),
    cost_currency: price.cost?.currency ?? null,
    cost_source: price.costSource,
    resale: moneyCell(price.resale),
    resale_currency: price.resale?.currency ?? null,
    margin: moneyCell(price.margin),
    pricing_rule: price.rule,
    pricing_reason: reasonsOf(price),
    charge_type: line.chargeType,
    charge_start: line.chargeStart,
    charge_end: line.chargeEnd,
    subscription_id: line.subscriptionId,
    line_id: globalId("line", line.connectionId, line.id),
    source_document: line.source.documentId,
    source_row: line.source.rowRef,
  };
}

function errorRecord(error: GraphQLError): Record<string, unknown> {
  const { code, vendor, connectionId } = error.extensions ?? {};
  return { code: code ?? "INTERNAL_SERVER_ERROR", vendor: vendor ?? null, connectionId: connectionId ?? null, message: error.message };
}

/** Writes a chunk; when the socket's buffer is full, waits for it to drain. False once the client is gone. */
function write(res: ServerResponse, chunk: string): Promise<boolean> | boolean {
  if (res.destroyed) return false;
  if (res.write(chunk)) return true;
  return new Promise((resolve) => {
    const done = (drained: boolean) => () => {
      res.off("drain", onDrain);
      res.off("close", onClose);
      resolve(drained);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.on("drain", onDrain);
    res.on("close", onClose);
  });
}

export async function streamInvoiceLinesExport(ctx: GatewayContext, url: URL, req: IncomingMessage, res: ServerResponse, metrics?: GatewayMetrics): Promise<void> {
  const refuse = (status: number, code: string, message: string, extra: Record<string, unknown> = {}) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
    res.end(JSON.stringify({ errors: [{ message, extensions: { code, ...extra } }] }));
  };
  const denial = denialOf(ctx.scope, { role: "billing:read" });
  if (denial) return refuse(403, "FORBIDDEN", denial.message, denial.extensions as Record<string, unknown>);
  let request: ExportRequest;
  try {
    request = parseExportRequest(ctx, url);
  } catch (err) {
    if (err instanceof ExportRequestError) return refuse(err.status, err.code, err.message);
    throw err;
  }

  // Every statement the export reads is found first: vendor failures are known before the first row.
  const sources = (await lineSourcesAcross(ctx, EXPORT_INFO, request.period, request.filter)) ?? [];
  const errors = ctx.partialErrors.map((p) => errorRecord(p.error));
  const name = `invoice-lines-${formatBillingPeriod(request.period)}${request.filter.customerId ? `-${request.filter.customerId}` : ""}.${request.format === "csv" ? "csv" : "ndjson"}`;
  res.writeHead(200, {
    "content-type": request.format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
    "content-disposition": `attachment; filename="${name}"`,
    "cache-control": "no-store",
    "x-export-complete": String(errors.length === 0),
    ...(errors.length ? { "x-export-errors": JSON.stringify(errors) } : {}),
  });
  if (req.method === "HEAD") return void res.end();
  const untrack = metrics?.exportStarted(res);
  try {
    await streamRows(ctx, request, sources, errors, res, metrics);
  } finally {
    untrack?.();
  }
}

async function streamRows(
  ctx: GatewayContext,
  request: ExportRequest,
  sources: NonNullable<Awaited<ReturnType<typeof lineSourcesAcross>>>,
  errors: Array<Record<string, unknown>>,
  res: ServerResponse,
  metrics: GatewayMetrics | undefined,
): Promise<void> {

  if (request.format === "csv") {
    if (!(await write(res, stringify([[...EXPORT_COLUMNS]])))) return;
  } else {
    for (const e of errors) if (!(await write(res, `${JSON.stringify({ type: "error", ...e })}\n`))) return;
  }
  for (const { invoice, filter } of sources) {
    for await (const page of linePages(invoice.lineSource(), filter, PAGE)) {
      const rows = page.map((line) => rowOf(ctx, line));
      const chunk =
        request.format === "csv"
          ? stringify(rows.map((r) => EXPORT_COLUMNS.map((c) => r[c] ?? "")))
          : rows.map((r) => `${JSON.stringify({ type: "line", ...r })}\n`).join("");
      metrics?.exportWrote(request.format, rows.length);
      // The client went away: stop reading.
      if (!(await write(res, chunk))) return;
    }
  }
  res.end();
}
