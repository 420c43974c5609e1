/**
 * Simulator of Webex Wholesale billing reports (webex.md): bearer tokens with read/write scopes,
 * create validation, reports that move IN_PROGRESS → COMPLETED (or FAILED with errors) after a number
 * of polls, duplicate-period creates refused (409) until the report is deleted, list filters, sortBy,
 * max and Link paging, and a signed, expiring download link served here that dies with its report.
 */
import { createHmac, randomUUID } from "node:crypto";
import { startSimulator, type SimRequest, type SimResponse, type SimulatorHandle } from "../../../simulator-kit";
import { WEBEX_REPORT_TYPES, WEBEX_REPORTS_PATH, type WebexReportError, type WebexReportType } from "../wire";
import { defaultWebexWorld, reportCsv, webexId, type CsvQuirks, type WebexWorld } from "./fixtures";

export const WEBEX_SANDBOX_TOKEN = "sandbox-webex-partner-admin-token";
export const WEBEX_SANDBOX_READONLY_TOKEN = "sandbox-webex-readonly-token";

export interface SimReport {
  id: string;
  billingStartDate: string;
  billingEndDate: string;
  type: WebexReportType;
  subPartnerOrgId?: string;
  status: "IN_PROGRESS" | "COMPLETED" | "FAILED";
  created: string;
  polls: number;
  errors: WebexReportError[];
  failWith?: WebexReportError[];
  quirks: CsvQuirks;
}

export interface WebexSimulatorOptions {
  tokens?: Array<{ token: string; scopes: Array<"read" | "write"> }>;
  /** GETs of a report before it leaves IN_PROGRESS. */
  pollsToComplete?: number;
  /** Lifetime of a download link. */
  linkTtlSeconds?: number;
  /** Reproduce the reported quirk of next-links that drop the filters. */
  nextLinkDropsFilters?: boolean;
  world?: WebexWorld;
  now?: () => Date;
  host?: string;
  port?: number;
}

export interface WebexSimulator extends SimulatorHandle {
  reports: SimReport[];
  world: WebexWorld;
  /** The next created report fails with these vendor errors. */
  failNextReport(errors?: WebexReportError[]): void;
  /** CSV quirks for the next created report. */
  quirksForNextReport(quirks: CsvQuirks): void;
  /** CSV quirks for every report created from now on (the next report's own quirks are added to them). */
  setDefaultQuirks(quirks: CsvQuirks): void;
  /** Expires every download link handed out so far. */
  expireLinks(): void;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const fail = (status: number, message: string): SimResponse => ({
  status,
  body: { message, errors: [{ description: message }], trackingId: `ROUTER_${randomUUID()}` },
});

export async function createWebexSimulator(options: WebexSimulatorOptions = {}): Promise<WebexSimulator> {
  const tokens = new Map(
    (options.tokens ?? [
      { token: WEBEX_SANDBOX_TOKEN, scopes: ["read", "write"] as Array<"read" | "write"> },
      { token: WEBEX_SANDBOX_READONLY_TOKEN, scopes: ["read"] as Array<"read" | "write"> },
    ]).map((t) => [t.token, new Set(t.scopes)]),
  );
  const pollsToComplete = options.pollsToComplete ?? 2;
  const linkTtl = options.linkTtlSeconds ?? 300;
  const now = options.now ?? (() => new Date());
  const world = options.world ?? defaultWebexWorld();
  const reports: SimReport[] = [];
  const linkSecret = randomUUID();
  /** Bumped by expireLinks(): links signed under an older generation no longer verify. */
  let linkGeneration = 0;
  let nextFailure: WebexReportError[] | undefined;
  let nextQuirks: CsvQuirks = {};
  let defaultQuirks: CsvQuirks = {};
  let selfUrl = "";

  function authorize(req: SimRequest, scope: "read" | "write"): SimResponse | undefined {
    const match = /^Bearer (\S+)$/.exec(req.header("authorization") ?? "");
    const scopes = match ? tokens.get(match[1]) : undefined;
    if (!scopes) return fail(401, "The request requires a valid access token set in the Authorization request header.");
    if (!scopes.has(scope)) return fail(403, `Missing scope spark-admin:wholesale_billing_reports_${scope}`);
    return undefined;
  }

  function advance(report: SimReport): void {
    if (report.status !== "IN_PROGRESS") return;
    report.polls++;
    if (report.polls >= pollsToComplete) {
      if (report.failWith) {
        report.status = "FAILED";
        report.errors = report.failWith;
      } else {
        report.status = "COMPLETED";
      }
    }
  }

  function sign(path: string, expires: number): string {
    return createHmac("sha256", linkSecret).update(`${path}|${expires}|${linkGeneration}`).digest("base64url");
  }

  function downloadUrl(report: SimReport): string {
    const path = `/downloads/${encodeURIComponent(report.id)}.csv`;
    const expires = Math.floor(now().getTime() / 1000) + linkTtl;
    return `${selfUrl}${path}?Expires=${expires}&Signature=${sign(path, expires)}&Key-Pair-Id=SIMKEY`;
  }

  function view(report: SimReport, full: boolean) {
    const base = {
      id: report.id,
      billingStartDate: report.billingStartDate,
      billingEndDate: report.billingEndDate,
      status: report.status,
      type: report.type,
      category: "RECONCILIATION",
      ...(report.subPartnerOrgId ? { subPartnerOrgId: report.subPartnerOrgId } : {}),
    };
    if (!full) return base;
    return {
      ...base,
      created: report.created,
      createdBy: webexId("PEOPLE", "partner-admin"),
      ...(report.status === "COMPLETED" ? { tempDownloadURL: downloadUrl(report) } : {}),
      errors: report.errors,
    };
  }

  const byId = (req: SimRequest) => {
    const id = decodeURIComponent(req.path.slice(WEBEX_REPORTS_PATH.length + 1));
    return reports.find((r) => r.id === id);
  };

  const handle = await startSimulator({
    name: "webex-wholesale",
    host: options.host,
    port: options.port,
    faultBody: (status) => ({ message: `Injected ${status}`, errors: [{ description: `Injected ${status}` }], trackingId: `ROUTER_${randomUUID()}` }),
    routes: [
      {
        name: "create-report",
        method: "POST",
        path: WEBEX_REPORTS_PATH,
        handle(req) {
          const denied = authorize(req, "write");
          if (denied) return denied;
          const body = req.json<Record<string, unknown>>();
          if (!body || typeof body !== "object") return fail(400, "Request body must be JSON");
          const start = body.billingStartDate;
          const end = body.billingEndDate;
          const type = (body.type ?? "PARTNER") as WebexReportType;
          if (typeof start !== "string" || !DATE.test(start) || Number.isNaN(Date.parse(start))) return fail(400, "billingStartDate must be YYYY-MM-DD");
          if (typeof end !== "string" || !DATE.test(end) || Number.isNaN(Date.parse(end))) return fail(400, "billingEndDate must be YYYY-MM-DD");
          if (end < start) return fail(400, "billingEndDate must not be before billingStartDate");
          const today = isoDay(now());
          if (end >= today) return fail(400, "billingEndDate must be before today");
          const fiveYearsAgo = new Date(now());
          fiveYearsAgo.setUTCFullYear(fiveYearsAgo.getUTCFullYear() - 5);
          if (start < isoDay(fiveYearsAgo)) return fail(400, "billingStartDate must be within the last 5 years");
          if (!WEBEX_REPORT_TYPES.includes(type)) return fail(400, `type must be one of ${WEBEX_REPORT_TYPES.join(", ")}`);
          const sub = typeof body.subPartnerOrgId === "string" ? body.subPartnerOrgId : undefined;
          if (sub && !world.subPartners.some((s) => s.orgId === sub)) return fail(400, "Unknown subPartnerOrgId");
          const duplicate = reports.find(
            (r) => r.billingStartDate === start && r.billingEndDate === end && r.type === type && r.subPartnerOrgId === sub && r.status === "COMPLETED",
          );
          // webex.md: to regenerate a period, delete the old report first (409 assumed).
          if (duplicate) return fail(409, "A report already exists for this period; delete it to regenerate");
          const report: SimReport = {
            id: webexId("BILLING_REPORT", randomUUID()),
            billingStartDate: start,
            billingEndDate: end,
            type,
            subPartnerOrgId: sub,
            status: "IN_PROGRESS",
            created: now().toISOString(),
            polls: 0,
            errors: [],
            failWith: nextFailure,
            quirks: { ...defaultQuirks, ...nextQuirks },
          };
          nextFailure = undefined;
          nextQuirks = {};
          reports.push(report);
          return { status: 200, body: { id: report.id, billingStartDate: start, billingEndDate: end, type, category: "RECONCILIATION" } };
        },
      },
      {
        name: "list-reports",
        method: "GET",
        path: WEBEX_REPORTS_PATH,
        handle(req) {
          const denied = authorize(req, "read");
          if (denied) return denied;
          const q = req.query;
          const max = q.has("max") ? Number(q.get("max")) : 100;
          if (!Number.isInteger(max) || max < 1 || max > 100) return fail(400, "max must be 1-100");
          const sortBy = q.get("sortBy") ?? "billingStartDate";
          if (!["id", "billingStartDate", "billingEndDate", "status"].includes(sortBy)) return fail(400, "Invalid sortBy");
          const filters: Array<[string, string | null]> = [
            ["billingStartDate", q.get("billingStartDate")],
            ["billingEndDate", q.get("billingEndDate")],
            ["type", q.get("type")],
            ["status", q.get("status")],
            ["subPartnerOrgId", q.get("subPartnerOrgId")],
          ];
          const matching = reports
            .filter((r) => filters.every(([k, v]) => v === null || (r as unknown as Record<string, unknown>)[k] === v))
            .sort((a, b) => String((a as unknown as Record<string, unknown>)[sortBy]).localeCompare(String((b as unknown as Record<string, unknown>)[sortBy])));
          const offset = Number(q.get("cursor") ?? 0);
          const page = matching.slice(offset, offset + max);
          const headers: Record<string, string> = {};
          if (offset + max < matching.length) {
            const next = new URLSearchParams(options.nextLinkDropsFilters ? {} : Object.fromEntries(filters.filter(([, v]) => v !== null) as Array<[string, string]>));
            next.set("max", String(max));
            next.set("sortBy", sortBy);
            next.set("cursor", String(offset + max));
            headers.link = `<${selfUrl}${WEBEX_REPORTS_PATH}?${next}>; rel="next"`;
          }
          return { status: 200, headers, body: { items: page.map((r) => view(r, false)) } };
        },
      },
      {
        name: "get-report",
        method: "GET",
        path: `${WEBEX_REPORTS_PATH}/*`,
        handle(req) {
          const denied = authorize(req, "read");
          if (denied) return denied;
          const report = byId(req);
          if (!report) return fail(404, "Billing Report not found.");
          advance(report);
          return { status: 200, body: view(report, true) };
        },
      },
      {
        name: "delete-report",
        method: "DELETE",
        path: `${WEBEX_REPORTS_PATH}/*`,
        handle(req) {
          const denied = authorize(req, "write");
          if (denied) return denied;
          const report = byId(req);
          if (!report) return fail(404, "Billing Report not found.");
          reports.splice(reports.indexOf(report), 1);
          return { status: 204 };
        },
      },
      {
        // The pre-signed link: no bearer token, CloudFront-style Expires/Signature (webex.md quirk 6).
        name: "download",
        method: "GET",
        path: "/downloads/*",
        handle(req) {
          const expires = Number(req.query.get("Expires"));
          const signature = req.query.get("Signature") ?? "";
          if (!Number.isInteger(expires) || signature !== sign(req.path, expires)) {
            return { status: 403, headers: { "content-type": "application/xml" }, body: "<Error><Code>AccessDenied</Code></Error>" };
          }
          if (expires < Math.floor(now().getTime() / 1000)) {
            return { status: 403, headers: { "content-type": "application/xml" }, body: "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>" };
          }
          const id = decodeURIComponent(req.path.slice("/downloads/".length).replace(/\.csv$/, ""));
          const report = reports.find((r) => r.id === id && r.status === "COMPLETED");
          // A deleted report's link dies with it.
          if (!report) return { status: 404, headers: { "content-type": "application/xml" }, body: "<Error><Code>NoSuchKey</Code></Error>" };
          return {
            status: 200,
            headers: { "content-type": "text/csv; charset=utf-8" },
            body: reportCsv(world, report, report.quirks),
          };
        },
      },
    ],
  });
  selfUrl = handle.url;

  return {
    ...handle,
    reports,
    world,
    failNextReport(errors = [{ code: 2024, description: "Billing Report generation failed." }]) {
      nextFailure = errors;
    },
    setDefaultQuirks(quirks: CsvQuirks) {
      defaultQuirks = quirks;
    },
    quirksForNextReport(quirks: CsvQuirks) {
      nextQuirks = quirks;
    },
    expireLinks() {
      linkGeneration++;
    },
  };
}
