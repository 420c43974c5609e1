/**
 * Webex Wholesale billing (webex.md). Usage comes as asynchronous CSV reports; the connector drives
 * their lifecycle for the user: reuse a report that exists, create one only when none does, poll with
 * backoff within the request's budget, fetch a fresh download link by id, refetch an expired link,
 * and stream the CSV. Jobs are tracked in the shared store so a second request, or a second gateway
 * instance on the same store, joins the report instead of creating a duplicate.
 */
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type { BillingReports, CallContext, ReportRecord, ReportType, VendorConnector } from "../../domain/connector";
import { BadUserInputError, VendorError } from "../../domain/errors";
import { Dec } from "../../domain/money";
import type {
  CompanyRecord,
  ConnectionInfo,
  InvoiceLineRecord,
  PartnerRecord,
  ProductRecord,
  Sourced,
  StatementRecord,
  UsageSnapshot,
} from "../../domain/model";
import { formatBillingPeriod, periodBounds, periodOf, previousPeriod, type BillingPeriod } from "../../domain/period";
import type { Secret } from "../../domain/secret";
import { pathOf, type UpstreamRequest } from "../../http/upstream";
import { createUpstream, listOf, localProvenance, provenance, rootPartnerRecord, warnUnknown, type ConnectorDeps } from "../connector-kit";
import { streamCsvRows } from "./csv";
import { describeWebexError, mapReport, REQUIRED_COLUMNS, rowToLine } from "./mapper";
import { WEBEX_REPORTS_PATH, type WebexReport, type WebexReportList } from "./wire";

export interface WebexConnectionConfig {
  id: string;
  name?: string;
  baseUrl: string;
  accessToken: Secret;
  /** Sub-partner orgs to expose as sub-partners (the API has no endpoint that lists them). */
  subPartners: Array<{ orgId: string; name?: string }>;
  /** How long one request may wait for a report, and the polling backoff. */
  reportWait: { maxWaitMs: number; pollBaseMs: number; pollMaxMs: number };
}

export const WEBEX_PARTNER_SELF = "self";
const DAY_MS = 86_400_000;
const JOB_TTL_MS = 35 * DAY_MS;
const MEMO_MAX = 50;

function parseJson<T>(info: ConnectionInfo, text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new VendorError("VENDOR_BAD_RESPONSE", { vendor: info.vendor, connectionId: info.id }, `The vendor's ${what} is not JSON`);
  }
}

/** The `rel="next"` target of an RFC 5988 Link header. */
export function nextLink(header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header.join(",") : header;
  if (!text) return undefined;
  for (const part of text.split(/,(?=\s*<)/)) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part);
    if (m) return m[1];
  }
  return undefined;
}

interface ReportSpec {
  partnerKey: string;
  type: ReportType;
  billingStartDate: string;
  billingEndDate: string;
  subPartnerOrgId?: string;
}

export function createWebexConnector(
  config: WebexConnectionConfig,
  deps: ConnectorDeps,
): VendorConnector & { reports: BillingReports } {
  const info: ConnectionInfo = { id: config.id, vendor: "WEBEX", api: "webex-wholesale", name: config.name ?? null };
  const upstream = createUpstream(info, config.baseUrl, deps, describeWebexError);
  const auth = () => ({ authorization: `Bearer ${config.accessToken.reveal()}` });
  const onUnknown = warnUnknown(deps.logger, info);
  const inflight = new Map<string, Promise<ReportRecord>>();
  const parsedMemo = new Map<string, Sourced<{ lines: InvoiceLineRecord[]; problems: string[] }>>();

  const rootPartner = rootPartnerRecord(info, WEBEX_PARTNER_SELF, "RESELLER", config.name ?? null, []);
  const subPartners: PartnerRecord[] = config.subPartners.map((s) => ({
    connectionId: info.id,
    vendor: info.vendor,
    key: s.orgId,
    parentKey: WEBEX_PARTNER_SELF,
    role: "RESELLER",
    name: s.name ?? null,
    externalIds: [{ kind: "webex.orgId", value: s.orgId }],
    subscription: null,
  }));

  function requirePartner(partnerKey: string): string | undefined {
    if (partnerKey === WEBEX_PARTNER_SELF) return undefined;
    if (config.subPartners.some((s) => s.orgId === partnerKey)) return partnerKey;
    throw new BadUserInputError(`Unknown partner for connection ${info.id}`);
  }

  /** webex.md: any date within the last five years, but not today; the running month ends yesterday. */
  function specFor(partnerKey: string, period: BillingPeriod, type: ReportType): ReportSpec {
    const { start, end } = periodBounds(period);
    const now = new Date(deps.now());
    const yesterday = new Date(now.getTime() - DAY_MS).toISOString().slice(0, 10);
    const fiveYearsAgo = new Date(now);
    fiveYearsAgo.setUTCFullYear(fiveYearsAgo.getUTCFullYear() - 5);
    if (start > yesterday) throw new BadUserInputError(`Webex has no complete day of usage in ${formatBillingPeriod(period)} yet`);
    if (start < fiveYearsAgo.toISOString().slice(0, 10)) throw new BadUserInputError("Webex keeps billing reports for the last five years only");
    return { partnerKey, type, billingStartDate: start, billingEndDate: end < yesterday ? end : yesterday, subPartnerOrgId: requirePartner(partnerKey) };
  }

  const jobKey = (s: ReportSpec) => `webex-job|${info.id}|${s.type}|${s.billingStartDate}|${s.billingEndDate}|${s.subPartnerOrgId ?? ""}`;

  // ---- client: one method per documented endpoint -------------------------------------------
  const client = {
    async create(call: CallContext, s: ReportSpec): Promise<WebexReport> {
      const body = { billingStartDate: s.billingStartDate, billingEndDate: s.billingEndDate, type: s.type, ...(s.subPartnerOrgId ? { subPartnerOrgId: s.subPartnerOrgId } : {}) };
      // Creating is not idempotent at Webex (a second create may 409): never retried blindly.
      const res = await upstream.send(call, { route: "create-report", method: "POST", path: WEBEX_REPORTS_PATH, headers: auth, body: JSON.stringify(body), idempotent: false });
      return parseJson<WebexReport>(info, res.text, "create-report answer");
    },
    async get(call: CallContext, id: string): Promise<WebexReport> {
      const res = await upstream.send(call, { route: "get-report", method: "GET", path: pathOf(WEBEX_REPORTS_PATH, id), headers: auth, idempotent: true });
      return parseJson<WebexReport>(info, res.text, "report");
    },
    /** Every page, following Link rel="next" to the last; filters re-added where a next link dropped them. */
    async list(call: CallContext, filters: Record<string, string>): Promise<WebexReport[]> {
      const items: WebexReport[] = [];
      let request: UpstreamRequest | undefined = { route: "list-reports", method: "GET", path: WEBEX_REPORTS_PATH, query: { ...filters, max: "100" }, headers: auth, idempotent: true };
      for (let page = 0; request && page < 1000; page++) {
        const res = await upstream.send(call, request);
        items.push(...listOf<WebexReport>(info, parseJson<WebexReportList>(info, res.text, "report list"), "items", "report list"));
        const next = nextLink(res.headers.link);
        if (next) {
          const url = new URL(next);
          for (const [k, v] of Object.entries(filters)) if (!url.searchParams.has(k)) url.searchParams.set(k, v);
          request = { route: "list-reports", method: "GET", path: WEBEX_REPORTS_PATH, url: url.toString(), headers: auth, idempotent: true };
        } else {
          request = undefined;
        }
      }
      // Filters are exact matches at Webex; check them here too, in case a page came back unfiltered.
      return items.filter((r) => Object.entries(filters).every(([k, v]) => (r as Record<string, unknown>)[k] === undefined || (r as Record<string, unknown>)[k] === v));
    },
    async remove(call: CallContext, id: string): Promise<void> {
      await upstream.send(call, { route: "delete-report", method: "DELETE", path: pathOf(WEBEX_REPORTS_PATH, id), headers: auth, idempotent: true });
    },
  };

  // ---- report lifecycle ----------------------------------------------------------------------
  const record = (r: WebexReport, partnerKey: string) => mapReport(info, partnerKey, r, onUnknown);

  async function findExisting(call: CallContext, s: ReportSpec): Promise<WebexReport | undefined> {
    const filters: Record<string, string> = { billingStartDate: s.billingStartDate, billingEndDate: s.billingEndDate, type: s.type };
    if (s.subPartnerOrgId) filters.subPartnerOrgId = s.subPartnerOrgId;
    const found = await client.list(call, filters);
    const matching = found.filter((r) => (r.subPartnerOrgId ?? undefined) === s.subPartnerOrgId || (!s.subPartnerOrgId && r.subPartnerOrgId === undefined));
    return matching.find((r) => r.status === "COMPLETED") ?? matching.reverse().find((r) => r.status === "IN_PROGRESS");
  }

  async function waitFor(call: CallContext, report: ReportRecord): Promise<ReportRecord> {
    const { maxWaitMs, pollBaseMs, pollMaxMs } = config.reportWait;
    // Waiting is measured on the monotonic clock: the injected clock is business time (which month it is).
    const started = performance.now();
    let current = report;
    for (let attempt = 0; current.status === "IN_PROGRESS" && current.key; attempt++) {
      const delay = Math.min(pollMaxMs, pollBaseMs * 2 ** attempt) * (0.75 + 0.5 * (deps.random ?? Math.random)());
      // Never wait past the request's own deadline (less a margin to answer), nor past maxWaitMs.
      const budget = Math.min(maxWaitMs - (performance.now() - started), call.deadline.remainingMs() - 500);
      if (delay > budget) break;
      try {
        await sleep(delay, undefined, { signal: call.deadline.signal });
      } catch {
        break;
      }
      current = record(await client.get(call, current.key), report.partnerKey);
    }
    return current;
  }

  /** Waits (within the deadline) for the instance that claimed the creation to record its report. */
  async function joinCreated(call: CallContext, key: string): Promise<WebexReport> {
    for (;;) {
      const tracked = await deps.cache.getRecord<{ reportId: string }>(key);
      if (tracked) return client.get(call, tracked.reportId);
      if (call.deadline.remainingMs() < 1_000) {
        throw new VendorError("VENDOR_REPORT_PENDING", { vendor: info.vendor, connectionId: info.id, reportStatus: "PENDING" });
      }
      await sleep(100, undefined, { signal: call.deadline.signal });
    }
  }

  async function ensureReport(call: CallContext, s: ReportSpec, regenerate: boolean, wait = true): Promise<ReportRecord> {
    const key = jobKey(s);
    const running = inflight.get(key);
    if (running && !regenerate) return wait ? running.then((r) => waitFor(call, r)) : running;
    const job = (async (): Promise<ReportRecord> => {
      let report: WebexReport | undefined;
      const tracked = await deps.cache.getRecord<{ reportId: string; completed?: WebexReport }>(key);
      // A completed report never changes: no need to ask Webex again (the download path gets a fresh link).
      if (tracked?.completed && !regenerate) return record(tracked.completed, s.partnerKey);
      if (tracked) {
        try {
          report = await client.get(call, tracked.reportId);
        } catch (err) {
          if (!(err instanceof VendorError && err.details.upstreamStatus === 404)) throw err;
          await deps.cache.deleteRecord(key); // deleted at Webex meanwhile
        }
      }
      report ??= await findExisting(call, s);
      if (report && regenerate && report.status === "COMPLETED") {
        // webex.md: to regenerate a period, the old report must be deleted first.
        await client.remove(call, report.id);
        await deps.cache.deleteRecord(key);
        report = undefined;
      }
      if (report?.status === "FAILED" && !regenerate) {
        return record(report, s.partnerKey);
      }
      if (!report || report.status === "FAILED") {
        // Creating is claimed atomically in the store: of two instances missing at once, one creates
        // and the other joins the report it records.
        if (await deps.cache.claim(key, 30_000)) {
          try {
            report = await client.create(call, s);
            report.status ??= "IN_PROGRESS";
            await deps.cache.setRecord(key, { reportId: report.id }, JOB_TTL_MS);
          } finally {
            await deps.cache.releaseClaim(key);
          }
        } else {
          report = await joinCreated(call, key);
        }
      }
      await deps.cache.setRecord(key, { reportId: report.id }, JOB_TTL_MS);
      const result = wait ? await waitFor(call, record(report, s.partnerKey)) : record(report, s.partnerKey);
      if (result.status === "COMPLETED") await rememberCompleted(key, result);
      return result;
    })();
    inflight.set(key, job);
    try {
      return await job;
    } finally {
      if (inflight.get(key) === job) inflight.delete(key);
    }
  }

  async function rememberCompleted(key: string, r: ReportRecord): Promise<void> {
    const completed: WebexReport = { id: r.key!, billingStartDate: r.periodStart, billingEndDate: r.periodEnd, type: r.type, status: "COMPLETED", ...(r.subPartnerId ? { subPartnerOrgId: r.subPartnerId } : {}) };
    await deps.cache.setRecord(key, { reportId: r.key, completed }, JOB_TTL_MS);
  }

  /**
   * Opens a completed report's CSV. The link comes from a fresh GET by id (list items carry none); an
   * expired or revoked link (403/404/410) is fetched again once, not reported as an error (webex.md quirk 6).
   * The link is unauthenticated: the bearer token is never sent to it.
   */
  async function openCsv(call: CallContext, reportId: string): Promise<Readable> {
    for (let attempt = 0; ; attempt++) {
      const report = await client.get(call, reportId);
      if (report.status !== "COMPLETED" || !report.tempDownloadURL) throw failedOrPending(record(report, WEBEX_PARTNER_SELF));
      try {
        return (await upstream.open(call, { route: "download", method: "GET", path: "", url: report.tempDownloadURL, idempotent: true })).body;
      } catch (err) {
        const status = err instanceof VendorError ? err.details.upstreamStatus : undefined;
        if (attempt === 0 && (status === 403 || status === 404 || status === 410)) continue;
        throw err;
      }
    }
  }

  /** Streams and parses a completed report; the result is kept per caller scope (a report never changes). */
  async function parseReport(call: CallContext, reportId: string, partnerKey: string, period: BillingPeriod): Promise<Sourced<{ lines: InvoiceLineRecord[]; problems: string[] }>> {
    const memoKey = `${call.scope.key}|${reportId}`;
    const memo = parsedMemo.get(memoKey);
    if (memo) return { value: memo.value, source: provenance(info, memo.source.fetchedAt.getTime(), true, deps.now()) };

    const lines: InvoiceLineRecord[] = [];
    const problems: string[] = [];
    const summary = await streamCsvRows(await openCsv(call, reportId), (row, n) => {
      const line = rowToLine(info, partnerKey, period, reportId, row, n);
      if (typeof line === "string") problems.push(line);
      else lines.push(line);
    });
    const missing = REQUIRED_COLUMNS.filter((c) => !summary.columns.includes(c));
    if (missing.length) {
      throw new VendorError("VENDOR_BAD_RESPONSE", { vendor: info.vendor, connectionId: info.id, reportId }, `The report has no ${missing.join(", ")} column`);
    }
    problems.unshift(...summary.problems.map((p) => `row ${p.row}: ${p.reason}`));
    const fetchedAt = deps.now();
    const parsed = { value: { lines, problems }, source: provenance(info, fetchedAt, false, fetchedAt) };
    if (parsedMemo.size >= MEMO_MAX) parsedMemo.delete(parsedMemo.keys().next().value as string);
    parsedMemo.set(memoKey, parsed);
    return parsed;
  }

  function failedOrPending(r: ReportRecord): VendorError {
    if (r.status === "FAILED") {
      return new VendorError(
        "VENDOR_REPORT_FAILED",
        { vendor: info.vendor, connectionId: info.id, reportId: r.key ?? undefined, reportStatus: r.status, upstreamCode: r.errors.map((e) => e.code).join(",") || undefined, problems: r.errors.map((e) => `${e.code}: ${e.message}`) },
        `The vendor could not generate the report: ${r.errors.map((e) => e.message).join("; ") || "no reason given"}`,
      );
    }
    return new VendorError("VENDOR_REPORT_PENDING", { vendor: info.vendor, connectionId: info.id, reportId: r.key ?? undefined, reportStatus: r.status });
  }

  async function statementLines(call: CallContext, partnerKey: string, period: BillingPeriod, type: ReportType) {
    const spec = specFor(partnerKey, period, type);
    for (let attempt = 0; ; attempt++) {
      const report = await ensureReport(call, spec, false);
      if (report.status !== "COMPLETED" || !report.key) throw failedOrPending(report);
      try {
        return { report, parsed: await parseReport(call, report.key, partnerKey, period) };
      } catch (err) {
        // The tracked report was deleted at Webex meanwhile: forget it and find or create another, once.
        if (attempt === 0 && err instanceof VendorError && err.details.upstreamStatus === 404) {
          await deps.cache.deleteRecord(jobKey(spec));
          continue;
        }
        throw err;
      }
    }
  }

  const reports: BillingReports = {
    async list(call, partnerKey) {
      const sub = requirePartner(partnerKey);
      const items = await client.list(call, sub ? { subPartnerOrgId: sub } : {});
      const fetchedAt = deps.now();
      return {
        value: items.filter((r) => (sub ? r.subPartnerOrgId === sub : !r.subPartnerOrgId)).map((r) => record(r, partnerKey)),
        source: provenance(info, fetchedAt, false, fetchedAt),
      };
    },
    async get(call, reportKey) {
      const r = await client.get(call, reportKey);
      const fetchedAt = deps.now();
      return { value: record(r, r.subPartnerOrgId ?? WEBEX_PARTNER_SELF), source: provenance(info, fetchedAt, false, fetchedAt) };
    },
    request: (call, partnerKey, period, type, options) =>
      ensureReport(call, specFor(partnerKey, period, type), options?.regenerate ?? false, options?.wait ?? false),
    async remove(call, reportKey) {
      await client.remove(call, reportKey);
      for (const k of [...parsedMemo.keys()]) if (k.endsWith(`|${reportKey}`)) parsedMemo.delete(k);
    },
    async reportLines(call, reportKey) {
      const r = await client.get(call, reportKey);
      const mapped = record(r, r.subPartnerOrgId ?? WEBEX_PARTNER_SELF);
      if (mapped.status !== "COMPLETED") throw failedOrPending(mapped);
      const period = periodOf(new Date(`${mapped.periodStart}T00:00:00Z`));
      const parsed = await parseReport(call, reportKey, mapped.partnerKey, period);
      return { value: parsed.value.lines, source: parsed.source };
    },
    async userLines(call, partnerKey, companyKey, period, offset, limit) {
      const report = await ensureReport(call, specFor(partnerKey, period, "USER"), false);
      if (report.status !== "COMPLETED" || !report.key) throw failedOrPending(report);
      // User reports can be large: stream, and keep only the requested page of this company's rows.
      const reportKey = report.key;
      const lines: InvoiceLineRecord[] = [];
      let total = 0;
      await streamCsvRows(await openCsv(call, reportKey), (row, n) => {
        if (row.CUSTOMER_ORG_ID !== companyKey) return;
        total++;
        if (total > offset && lines.length < limit) {
          const line = rowToLine(info, partnerKey, period, reportKey, row, n);
          if (typeof line !== "string") lines.push(line);
        }
      });
      const fetchedAt = deps.now();
      return { value: { total, lines }, source: provenance(info, fetchedAt, false, fetchedAt) };
    },
  };

  return {
    info,
    rootPartner,
    reports,
    async listSubPartners(_call, partnerKey) {
      return { value: partnerKey === WEBEX_PARTNER_SELF ? subPartners : [], source: localProvenance(info, deps) };
    },

    /** Webex has no current-usage endpoint: companies and quantities come from last month's customer report. */
    async getCurrentUsage(call, partnerKey): Promise<Sourced<UsageSnapshot>> {
      const period = previousPeriod(periodOf(new Date(deps.now())));
      const { parsed } = await statementLines(call, partnerKey, period, "CUSTOMER");
      const companies = new Map<string, CompanyRecord>();
      const quantities = new Map<string, Map<string, { q: Dec; name: string | null }>>();
      for (const line of parsed.value.lines) {
        if (!line.companyKey) continue;
        if (!companies.has(line.companyKey)) {
          companies.set(line.companyKey, {
            connectionId: info.id,
            vendor: info.vendor,
            partnerKey,
            key: line.companyKey,
            name: line.companyName,
            plan: null,
            externalIds: line.companyExternalIds,
            invitedUsers: null,
            maximumAllowedUsers: null,
            usage: [],
          });
          quantities.set(line.companyKey, new Map());
        }
        const bySku = quantities.get(line.companyKey)!;
        const entry = bySku.get(line.productKey) ?? { q: new Dec(0), name: line.description };
        entry.q = entry.q.plus(line.quantity);
        bySku.set(line.productKey, entry);
      }
      for (const [companyKey, bySku] of quantities) {
        companies.get(companyKey)!.usage = [...bySku].map(([productKey, e]) => ({ productKey, reportedName: e.name, quantity: e.q, unit: "day" }));
      }
      return { value: { partnerKey, partnerName: null, partnerUsage: [], companies: [...companies.values()] }, source: parsed.source };
    },

    async getStatement(call, partnerKey, period): Promise<Sourced<StatementRecord | null>> {
      const { report, parsed } = await statementLines(call, partnerKey, period, "CUSTOMER");
      return {
        value: {
          connectionId: info.id,
          vendor: info.vendor,
          partnerKey,
          period,
          currency: null,
          documentId: `webex-report:${report.key}`,
          lines: parsed.value.lines,
          // Webex reports carry quantities only: nothing reported to reconcile against.
          reported: { byCurrency: [], groups: [] },
          lineAmountRule: null,
          problems: parsed.value.problems,
        },
        source: parsed.source,
      };
    },

    async listProducts(): Promise<Sourced<ProductRecord[]>> {
      // No catalogue endpoint: products are met on report rows (SKU + service name).
      return { value: [], source: localProvenance(info, deps) };
    },

    productFor(productKey: string, reportedName: string | null): ProductRecord {
      return { connectionId: info.id, vendor: info.vendor, key: productKey, sku: productKey, name: reportedName ?? productKey, aliases: [], unit: "day", category: "USAGE", known: true };
    },

    async invalidate(): Promise<void> {
      parsedMemo.clear();
    },
  };
}
