/**
 * Microsoft Partner Center billed invoice reconciliation through Graph's asynchronous export
 * (microsoft-partner-billing.md): request (202 + Location), poll honouring Retry-After and capped by
 * time, read the manifest (inline or behind a link), download the gzip JSON-lines blobs with the SAS
 * token (a few at a time; the token is never logged nor put in an error), stream and map the lines.
 * A 410 anywhere is answered by one new export. A billed invoice never changes: its parsed lines are
 * kept per caller scope and manifest eTag, and a running export is joined (also across instances,
 * through the store). An invoice of more than `memoryLineLimit` lines stays in a line store on disk
 * (src/cache/line-store.ts), its totals, aggregates and reconciliation computed while it streamed.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { CallContext, VendorConnector } from "../../domain/connector";
import { singleCurrency } from "../../domain/currency-totals";
import { BadUserInputError, VendorError } from "../../domain/errors";
import type { StoredLines } from "../../domain/line-source";
import type { ConnectionInfo, InvoiceLineRecord, ReportedTotals, Sourced, StatementRecord, UsageSnapshot } from "../../domain/model";
import { formatBillingPeriod, periodOf, previousPeriod, type BillingPeriod } from "../../domain/period";
import type { Secret } from "../../domain/secret";
import { pathSegment } from "../../http/upstream";
import { createUpstream, listOf, localProvenance, provenance, rootPartnerRecord, type ConnectorDeps } from "../connector-kit";
import { EntraTokenSource } from "../microsoft-marketplace/auth";
import { partnerLineCodec, readInvoiceBlobs } from "./lines";
import { BILLING_PATH, type ExportManifest, type ExportOperation, type GraphErrorBody } from "./wire";

export interface PartnerBillingConnectionConfig {
  id: string;
  name?: string;
  /** Graph base, e.g. https://graph.microsoft.com/v1.0 */
  baseUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: Secret;
  tokenUrl: string;
  /** The invoice id of each billed month (Graph exports by invoice id). */
  invoices: Record<string, string>;
  attributeSet: "full" | "basic";
  /** Longest wait for an export within one request; polling follows Retry-After. */
  maxWaitMs: number;
  /** Blobs downloaded at the same time. */
  blobConcurrency: number;
  /** Above this many lines an invoice stays in a line store on disk, not in memory. */
  memoryLineLimit: number;
}

export const PARTNER_SELF = "partner";
const MEMO_MAX = 20;

function describeGraphError(_status: number, body: string): string | undefined {
  try {
    const e = (JSON.parse(body) as GraphErrorBody).error;
    return e ? `${e.code ?? "error"}: ${e.message ?? ""}`.slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}

interface Parsed {
  eTag: string;
  exportId: string;
  /** All the lines, or none when they went to `store`. */
  lines: InvoiceLineRecord[];
  store?: StoredLines;
  problems: string[];
  /** The vendor's own per-line figures added up: the invoice's totals. */
  reported: ReportedTotals;
}

export function createPartnerBillingConnector(config: PartnerBillingConnectionConfig, deps: ConnectorDeps): VendorConnector {
  const info: ConnectionInfo = { id: config.id, vendor: "MICROSOFT", api: "microsoft-partner-billing", name: config.name ?? null };
  const upstream = createUpstream(info, config.baseUrl, deps, describeGraphError);
  const tokens = new EntraTokenSource(info, upstream, {
    tokenUrl: config.tokenUrl,
    version: "v2",
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    resource: "https://graph.microsoft.com",
    now: deps.now,
  });
  const memo = new Map<string, Sourced<Parsed>>();
  const unbilledMemo = new Map<string, Sourced<Parsed>>();

  /** Keeps a parsed export; an evicted one's file is deleted once no other caller's entry uses it. */
  function remember(map: Map<string, Sourced<Parsed>>, key: string, value: Sourced<Parsed>): void {
    if (map.size >= MEMO_MAX) {
      const [oldKey, old] = map.entries().next().value as [string, Sourced<Parsed>];
      map.delete(oldKey);
      const store = old.value.store;
      if (store && ![...memo.values(), ...unbilledMemo.values()].some((v) => v.value.store === store)) store.dispose();
    }
    map.set(key, value);
  }
  const inflight = new Map<string, Promise<Sourced<Parsed>>>();

  const graphHeaders = async (call: CallContext) => {
    const token = await tokens.token(call);
    return () => ({ authorization: `Bearer ${token}` }); // client-request-id: added by the upstream layer
  };

  function bad(message: string, extra: Partial<ConstructorParameters<typeof VendorError>[1]> = {}): VendorError {
    return new VendorError("VENDOR_BAD_RESPONSE", { vendor: info.vendor, connectionId: info.id, ...extra }, message);
  }

  /** A JSON object body, or VENDOR_BAD_RESPONSE (never a TypeError on a `null` or a list). */
  function jsonObject<T>(text: string, what: string): T {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw bad(`The ${what} is not JSON`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw bad(`The ${what} is not a JSON object`);
    return value as T;
  }

  function is410(err: unknown): boolean {
    return err instanceof VendorError && err.details.upstreamStatus === 410;
  }

  type ExportRequest = { kind: "billed"; invoiceId: string } | { kind: "unbilled"; currencyCode: string; billingPeriod: "current" | "last" };

  async function requestExport(call: CallContext, req: ExportRequest): Promise<string> {
    const body = req.kind === "billed" ? { invoiceId: req.invoiceId, attributeSet: config.attributeSet } : { currencyCode: req.currencyCode, billingPeriod: req.billingPeriod, attributeSet: config.attributeSet };
    const res = await upstream.send(call, {
      route: `${req.kind}-export`,
      method: "POST",
      path: `${BILLING_PATH}/reconciliation/${req.kind}/export`,
      headers: await graphHeaders(call),
      body: JSON.stringify(body),
      // A new export each time it is sent: not repeated blindly.
      idempotent: false,
    });
    const location = res.headers.location;
    const url = Array.isArray(location) ? location[0] : location;
    if (!url) throw bad("The export was accepted without a Location");
    return url;
  }

  /** Polls until the export ends, sleeping what Retry-After asks; capped by time (and the request's deadline), not by a count. */
  async function awaitManifest(call: CallContext, operationUrl: string): Promise<ExportManifest> {
    const started = performance.now();
    for (;;) {
      const res = await upstream.send(call, { route: "get-operation", method: "GET", path: "", url: operationUrl, headers: await graphHeaders(call), idempotent: true });
      const op = jsonObject<ExportOperation>(res.text, "export operation");
      const status = String(op.status ?? "").trim().toLowerCase();
      if (status === "succeeded" || status === "completed") {
        if (op.resourceLocation) return op.resourceLocation;
        const link = op["resourceLocation@odata.navigationLink"];
        if (!link) throw bad("The export succeeded without a manifest");
        const m = await upstream.send(call, { route: "get-manifest", method: "GET", path: "", url: link, headers: await graphHeaders(call), idempotent: true });
        return jsonObject<ExportManifest>(m.text, "export manifest");
      }
      if (status === "failed") {
        throw new VendorError(
          "VENDOR_REPORT_FAILED",
          { vendor: info.vendor, connectionId: info.id, upstreamCode: op.error?.code, reportId: op.id, reportStatus: "failed", problems: [`${op.error?.code ?? "?"}: ${op.error?.message ?? ""}`] },
          `The export failed: ${op.error?.message ?? "no reason given"}`,
        );
      }
      const retryAfter = Number(String(res.headers["retry-after"] ?? "").trim());
      const wait = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 1000;
      const budget = Math.min(config.maxWaitMs - (performance.now() - started), call.deadline.remainingMs() - 500);
      if (wait > budget) {
        throw new VendorError("VENDOR_REPORT_PENDING", { vendor: info.vendor, connectionId: info.id, reportId: op.id, reportStatus: status || "running" });
      }
      await sleep(wait, undefined, { signal: call.deadline.signal });
    }
  }

  async function download(call: CallContext, manifest: ExportManifest, documentId: string, period: BillingPeriod) {
    if (typeof manifest.rootDirectory !== "string" || manifest.rootDirectory === "" || typeof manifest.sasToken !== "string" || manifest.sasToken === "") {
      throw bad("The manifest names no blob directory or SAS token");
    }
    // microsoft-partner-billing.md, manifest: blobCount and blobs[] {name, partitionValue}.
    const listed = listOf<ExportManifest["blobs"][number]>(info, manifest, "blobs", "manifest's blob list");
    const unnamed = listed.findIndex((b) => typeof b.name !== "string" || b.name === "" || b.name === "." || b.name === "..");
    if (unnamed >= 0) throw bad(`The manifest's blob ${unnamed} has no name`);
    // A manifest that lists fewer blobs than it counts would pass for a smaller invoice.
    if (typeof manifest.blobCount === "number" && manifest.blobCount !== listed.length) {
      throw bad(`The manifest counts ${manifest.blobCount} blob(s) but lists ${listed.length}`);
    }
    const root = manifest.rootDirectory.replace(/\/$/, "");
    const sas = manifest.sasToken.replace(/^\?/, "");
    // Each blob is streamed, never held whole; a few at a time.
    const blobs = listed.map((blob) => ({
      name: blob.name,
      open: async () =>
        (await upstream.open(call, { route: "blob", method: "GET", path: "", url: `${root}/${pathSegment(blob.name)}?${sas}`, idempotent: true })).body,
    }));
    return readInvoiceBlobs(blobs, { codec: partnerLineCodec(info, PARTNER_SELF, period, documentId), memoryLimit: config.memoryLineLimit, concurrency: config.blobConcurrency });
  }

  /**
   * The export's operation URL: the one another request or gateway instance started (from the store),
   * or a new one. Starting is claimed atomically in the store, so concurrent misses start one export.
   */
  async function trackedExport(call: CallContext, jobKey: string, req: ExportRequest): Promise<string> {
    const ttl = req.kind === "billed" ? 6 * 3_600_000 : 10 * 60_000;
    for (;;) {
      const tracked = await deps.cache.getRecord<{ operationUrl: string }>(jobKey);
      if (tracked) return tracked.operationUrl;
      if (await deps.cache.claim(jobKey, 30_000)) {
        try {
          const operationUrl = await requestExport(call, req);
          await deps.cache.setRecord(jobKey, { operationUrl }, ttl);
          return operationUrl;
        } finally {
          // The record now says where the export is (or starting it failed): the claim has done its work.
          await deps.cache.releaseClaim(jobKey);
        }
      }
      // Someone else is starting it: wait for its record, within the request's deadline.
      if (call.deadline.remainingMs() < 1_000) {
        throw new VendorError("VENDOR_REPORT_PENDING", { vendor: info.vendor, connectionId: info.id, reportStatus: "notStarted" });
      }
      await sleep(100, undefined, { signal: call.deadline.signal });
    }
  }

  async function exportLines(call: CallContext, req: ExportRequest, period: BillingPeriod): Promise<Sourced<Parsed>> {
    const what = req.kind === "billed" ? req.invoiceId : `${req.billingPeriod}-${req.currencyCode}-${formatBillingPeriod(period)}`;
    const jobKey = `pcb-job|${info.id}|${req.kind}|${what}|${config.attributeSet}`;
    const documentId = req.kind === "billed" ? `microsoft-invoice:${req.invoiceId}` : `microsoft-unbilled:${what}`;
    for (let attempt = 0; ; attempt++) {
      try {
        const operationUrl = await trackedExport(call, jobKey, req);
        const manifest = await awaitManifest(call, operationUrl);
        const downloaded = await download(call, manifest, documentId, period);
        const fetchedAt = deps.now();
        return { value: { eTag: manifest.eTag ?? "", exportId: manifest.id ?? "", ...downloaded }, source: provenance(info, fetchedAt, false, fetchedAt) };
      } catch (err) {
        if (err instanceof VendorError && (err.code === "VENDOR_REPORT_FAILED" || is410(err))) await deps.cache.deleteRecord(jobKey);
        // An expired manifest or blob link: one new export, not an error.
        if (attempt === 0 && is410(err)) continue;
        throw err;
      }
    }
  }

  async function invoiceFor(call: CallContext, period: BillingPeriod): Promise<Sourced<Parsed> | null> {
    const invoiceId = config.invoices[formatBillingPeriod(period)];
    if (!invoiceId) return null;
    const key = `${call.scope.key}|${invoiceId}`;
    const cached = memo.get(key);
    if (cached) return { value: cached.value, source: provenance(info, cached.source.fetchedAt.getTime(), true, deps.now()) };
    let running = inflight.get(invoiceId);
    if (!running) {
      running = exportLines(call, { kind: "billed", invoiceId }, period).finally(() => inflight.delete(invoiceId));
      inflight.set(invoiceId, running);
    }
    const result = await running;
    remember(memo, key, result);
    return result;
  }

  const rootPartner = rootPartnerRecord(info, PARTNER_SELF, "RESELLER", config.name ?? null, [{ kind: "microsoft.tenantId", value: config.tenantId }]);

  return {
    info,
    rootPartner,
    async listSubPartners() {
      return { value: [], source: localProvenance(info, deps) };
    },
    async getCurrentUsage(_call, partnerKey): Promise<Sourced<UsageSnapshot>> {
      // Billing exports say what was billed, not what is in use now: no usage snapshot here.
      return { value: { partnerKey, partnerName: null, partnerUsage: [], companies: [] }, source: localProvenance(info, deps) };
    },
    async getStatement(call, partnerKey, period): Promise<Sourced<StatementRecord | null>> {
      if (partnerKey !== PARTNER_SELF) throw new BadUserInputError(`Unknown partner for connection ${info.id}`);
      const parsed = await invoiceFor(call, period);
      if (!parsed) return { value: null, source: localProvenance(info, deps) };
      const { lines, problems, eTag, store, reported } = parsed.value;
      // Customers may be billed in different currencies: the invoice has one currency only when all its lines do.
      const currency = singleCurrency(reported.byCurrency.map((c) => c.currency));
      return {
        value: {
          connectionId: info.id,
          vendor: info.vendor,
          partnerKey,
          period,
          currency,
          documentId: `microsoft-invoice:${config.invoices[formatBillingPeriod(period)]}${eTag ? `@${eTag}` : ""}`,
          lines,
          store,
          // The export carries no invoice-level figures: the invoice's totals are the vendor's own per-line
          // totals added up, checked against subtotal + tax, and each line's total against its parts.
          reported,
          lineAmountRule: null,
          lineTotals: true,
          problems,
        },
        source: parsed.source,
      };
    },
    async listProducts() {
      return { value: [], source: localProvenance(info, deps) };
    },
    /** Unbilled lines change until billed: exported afresh, joined while running, kept a few minutes. */
    async unbilledLines(call, billingPeriod, currency) {
      if (!/^[A-Z]{3}$/.test(currency)) throw new BadUserInputError("currency must be an ISO 4217 code such as USD");
      const now = periodOf(new Date(deps.now()));
      const period = billingPeriod === "current" ? now : previousPeriod(now);
      const key = `${call.scope.key}|unbilled|${billingPeriod}|${currency}`;
      const cached = unbilledMemo.get(key);
      if (cached && deps.now() - cached.source.fetchedAt.getTime() < 5 * 60_000) return { value: cached.value, source: provenance(info, cached.source.fetchedAt.getTime(), true, deps.now()) };
      const flightKey = `unbilled|${billingPeriod}|${currency}`;
      let running = inflight.get(flightKey);
      if (!running) {
        running = exportLines(call, { kind: "unbilled", currencyCode: currency, billingPeriod }, period).finally(() => inflight.delete(flightKey));
        inflight.set(flightKey, running);
      }
      const result = await running;
      remember(unbilledMemo, key, result);
      if (result.value.store) {
        // Unbilled lines are read whole here; a store this large is read back once.
        const lines = await result.value.store.page({}, 0, result.value.store.size);
        return { value: { lines, problems: result.value.problems }, source: result.source };
      }
      return { value: { lines: result.value.lines, problems: result.value.problems }, source: result.source };
    },
    productFor(productKey, reportedName) {
      return { connectionId: info.id, vendor: info.vendor, key: productKey, sku: productKey.split(":")[1] ?? null, name: reportedName ?? productKey, aliases: [], unit: "license", category: "BASE_PLAN", known: true };
    },
    async invalidate() {
      const stores = new Set([...memo.values(), ...unbilledMemo.values()].flatMap((v) => (v.value.store ? [v.value.store] : [])));
      memo.clear();
      unbilledMemo.clear();
      for (const s of stores) s.dispose();
    },
  };
}
