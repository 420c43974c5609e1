/**
 * Simulator of Partner Center billing reconciliation exports through Microsoft Graph
 * (microsoft-partner-billing.md): an Entra-like token endpoint (client credentials, Graph scope),
 * Graph's 401/403 envelopes, export requests answered 202 + Location, operations that move
 * notStarted → running → succeeded | failed with Retry-After, both success shapes (inline manifest or
 * navigation link), manifests and links that expire (410), and a blob store that checks the SAS token
 * and serves gzip JSON-lines split over several blobs, generated lazily (1,000,000 lines stream).
 */
import { createHmac, randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { createGzip } from "node:zlib";
import { jwtVerify, SignJWT } from "jose";
import { startSimulator, type SimRequest, type SimResponse, type SimulatorHandle } from "../../../simulator-kit";
import { GRAPH_SCOPE } from "../wire";
import { billingCustomers, invoiceLines, type BillingCustomer, type InvoiceSpec } from "./fixtures";

export const PARTNER_BILLING_SANDBOX = {
  tenantId: "0e195b37-4574-4539-bc42-0e539b9684c0",
  clientId: "c0ffee00-1234-4a5b-8c9d-0123456789ab",
  clientSecret: "sandbox-partner-billing-client-secret",
  /** An app without PartnerBilling.Read.All: Graph answers 403. */
  unprivilegedClientId: "deadbeef-0000-4000-8000-000000000001",
} as const;

export interface SimInvoice {
  invoiceId: string;
  periodStart: string;
  lines: number;
}

interface SimExport {
  id: string;
  kind: "billed" | "unbilled";
  spec: InvoiceSpec;
  polls: number;
  fail?: { code: string; message: string };
  eTag: string;
  expires: number;
  nextPollAt: number;
  corrupt?: "truncated" | "malformed-line";
  lowerCaseKeys?: boolean;
}

export interface PartnerBillingSimulatorOptions {
  invoices?: SimInvoice[];
  customers?: BillingCustomer[];
  /** Polls before an export succeeds. */
  pollsToComplete?: number;
  retryAfterSeconds?: number;
  manifestShape?: "inline" | "link";
  linesPerBlob?: number;
  /** How long manifests and blob links live. */
  exportTtlSeconds?: number;
  now?: () => Date;
  host?: string;
  port?: number;
}

export interface PartnerBillingSimulator extends SimulatorHandle {
  invoices: SimInvoice[];
  exports: SimExport[];
  /** Polls that came before the Retry-After the simulator had asked for. */
  earlyPolls: number;
  failNextExport(error?: { code: string; message: string }): void;
  corruptNextExport(kind: "truncated" | "malformed-line"): void;
  lowerCaseKeysInNextExport(): void;
  /** Expires every manifest and blob link handed out so far (410 from then on). */
  expireExports(): void;
  setManifestShape(shape: "inline" | "link"): void;
  /** The SAS token of an export (tests: it must never appear in logs or errors). */
  sasTokenOf(exportId: string): string;
}

const graphError = (status: number, code: string, message: string): SimResponse => ({
  status,
  body: { error: { code, message, innerError: { date: new Date().toISOString(), "request-id": randomUUID() } } },
});

export async function createPartnerBillingSimulator(options: PartnerBillingSimulatorOptions = {}): Promise<PartnerBillingSimulator> {
  const now = options.now ?? (() => new Date());
  const customers = options.customers ?? billingCustomers();
  const invoices = options.invoices ?? [];
  // Not named `exports`: in CommonJS output that would shadow the module's own exports object.
  const exportJobs: SimExport[] = [];
  const pollsToComplete = options.pollsToComplete ?? 2;
  const retryAfter = options.retryAfterSeconds ?? 1;
  const linesPerBlob = options.linesPerBlob ?? 100;
  const ttl = (options.exportTtlSeconds ?? 3600) * 1000;
  let shape = options.manifestShape ?? "inline";
  const tokenKey = new TextEncoder().encode(randomUUID());
  const sasKey = randomUUID();
  let nextFail: SimExport["fail"];
  let nextCorrupt: SimExport["corrupt"];
  let nextLower = false;
  let selfUrl = "";
  const state = { earlyPolls: 0 };

  async function authorize(req: SimRequest): Promise<SimResponse | undefined> {
    const m = /^Bearer (\S+)$/.exec(req.header("authorization") ?? "");
    if (!m) return graphError(401, "InvalidAuthenticationToken", "Access token is empty.");
    try {
      const { payload } = await jwtVerify(m[1], tokenKey, { audience: "https://graph.microsoft.com", currentDate: now() });
      const roles = Array.isArray(payload.roles) ? payload.roles : [];
      if (!roles.includes("PartnerBilling.Read.All")) return graphError(403, "Forbidden", "Missing role PartnerBilling.Read.All");
    } catch {
      return graphError(401, "InvalidAuthenticationToken", "Access token validation failure.");
    }
    return undefined;
  }

  const sign = (exp: SimExport, se: number) => createHmac("sha256", sasKey).update(`${exp.id}|${se}`).digest("base64url");
  const sasToken = (exp: SimExport) => {
    const se = exp.expires;
    return `sv=2021-08-06&sr=d&sp=rl&se=${se}&sig=${sign(exp, se)}`;
  };
  const blobCount = (exp: SimExport) => Math.max(1, Math.ceil(exp.spec.lines / linesPerBlob));
  const manifest = (exp: SimExport) => ({
    id: exp.id,
    createdDateTime: new Date(exp.expires - ttl).toISOString(),
    schemaVersion: "2",
    dataFormat: "compressedJSON",
    partitionType: "default",
    eTag: exp.eTag,
    partnerTenantId: PARTNER_BILLING_SANDBOX.tenantId,
    rootDirectory: `${selfUrl}/blobs/${exp.id}`,
    sasToken: sasToken(exp),
    blobCount: blobCount(exp),
    blobs: Array.from({ length: blobCount(exp) }, (_, i) => ({ name: `part-${String(i).padStart(5, "0")}-${exp.id}.c000.json.gz`, partitionValue: "default" })),
  });

  function startExport(kind: "billed" | "unbilled", spec: InvoiceSpec): SimResponse {
    const exp: SimExport = {
      id: randomUUID(),
      kind,
      spec,
      polls: 0,
      fail: nextFail,
      eTag: randomUUID().replace(/-/g, "").slice(0, 17),
      expires: now().getTime() + ttl,
      nextPollAt: now().getTime(),
      corrupt: nextCorrupt,
      lowerCaseKeys: nextLower,
    };
    nextFail = undefined;
    nextCorrupt = undefined;
    nextLower = false;
    exportJobs.push(exp);
    return { status: 202, headers: { location: `${selfUrl}/v1.0/reports/partners/billing/operations/${exp.id}` } };
  }

  const OP = /^\/v1\.0\/reports\/partners\/billing\/operations\/([^/]+)$/;
  const MANIFEST = /^\/v1\.0\/reports\/partners\/billing\/manifests\/([^/]+)$/;
  const BLOB = /^\/blobs\/([^/]+)\/([^/]+)$/;
  const graph = (name: string, method: "GET" | "POST", path: string | RegExp, handler: (req: SimRequest) => SimResponse) => ({
    name,
    method,
    path,
    handle: async (req: SimRequest) => (await authorize(req)) ?? handler(req),
  });

  const handle = await startSimulator({
    name: "microsoft-partner-billing",
    host: options.host,
    port: options.port,
    faultBody: (status) => ({ error: { code: status === 429 ? "TooManyRequests" : "ServiceUnavailable", message: `Injected ${status}` } }),
    routes: [
      {
        name: "token",
        method: "POST",
        path: /^\/[^/]+\/oauth2\/v2\.0\/token$/,
        async handle(req) {
          const form = new URLSearchParams(req.rawBody);
          const client = form.get("client_id");
          if (form.get("grant_type") !== "client_credentials" || form.get("client_secret") !== PARTNER_BILLING_SANDBOX.clientSecret) {
            return { status: 401, body: { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided." } };
          }
          if (form.get("scope") !== GRAPH_SCOPE) return { status: 400, body: { error: "invalid_scope" } };
          const roles = client === PARTNER_BILLING_SANDBOX.clientId ? ["PartnerBilling.Read.All"] : [];
          const token = await new SignJWT({ roles, tid: PARTNER_BILLING_SANDBOX.tenantId })
            .setProtectedHeader({ alg: "HS256" })
            .setAudience("https://graph.microsoft.com")
            .setIssuedAt(Math.floor(now().getTime() / 1000))
            .setExpirationTime(Math.floor(now().getTime() / 1000) + 3599)
            .sign(tokenKey);
          return { status: 200, body: { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: token } };
        },
      },
      graph("billed-export", "POST", "/v1.0/reports/partners/billing/reconciliation/billed/export", (req) => {
        const body = req.json<{ invoiceId?: string; attributeSet?: string }>() ?? {};
        if (!body.invoiceId) return graphError(400, "BadRequest", "invoiceId is required");
        const attributeSet = body.attributeSet ?? "full";
        if (attributeSet !== "full" && attributeSet !== "basic") return graphError(400, "BadRequest", "attributeSet must be full or basic");
        const invoice = invoices.find((i) => i.invoiceId === body.invoiceId);
        if (!invoice) return graphError(404, "NotFound", "No data for the given invoiceId");
        return startExport("billed", { invoiceId: invoice.invoiceId, partnerId: PARTNER_BILLING_SANDBOX.tenantId, periodStart: invoice.periodStart, lines: invoice.lines, customers, attributeSet });
      }),
      graph("unbilled-export", "POST", "/v1.0/reports/partners/billing/reconciliation/unbilled/export", (req) => {
        const body = req.json<{ currencyCode?: string; billingPeriod?: string; attributeSet?: string }>() ?? {};
        if (!body.currencyCode) return graphError(400, "BadRequest", "currencyCode is required");
        if (body.billingPeriod !== "current" && body.billingPeriod !== "last") return graphError(400, "BadRequest", "billingPeriod must be current or last");
        const d = now();
        const month = body.billingPeriod === "current" ? d.getUTCMonth() : d.getUTCMonth() - 1;
        const periodStart = new Date(Date.UTC(d.getUTCFullYear(), month, 1)).toISOString().slice(0, 10);
        // Unbilled lines are exported per billing currency: only the customers billed in it.
        const currency = body.currencyCode.toUpperCase();
        const billedIn = customers.filter((c) => c.billingCurrency === currency);
        return startExport("unbilled", {
          invoiceId: `unbilled-${body.billingPeriod}-${currency}-${periodStart}`,
          partnerId: PARTNER_BILLING_SANDBOX.tenantId,
          periodStart,
          lines: billedIn.length > 0 ? 120 : 0,
          customers: billedIn,
          attributeSet: body.attributeSet === "basic" ? "basic" : "full",
        });
      }),
      graph("get-operation", "GET", OP, (req) => {
        const exp = exportJobs.find((e) => e.id === decodeURIComponent(OP.exec(req.path)![1]));
        if (!exp) return graphError(404, "NotFound", "Operation not found");
        const t = now().getTime();
        if (t > exp.expires) return graphError(410, "Gone", "The operation has expired; request a new export");
        if (t < exp.nextPollAt) state.earlyPolls++;
        exp.polls++;
        const base = { id: exp.id, createdDateTime: new Date(exp.expires - ttl).toISOString(), lastActionDateTime: new Date(t).toISOString() };
        if (exp.polls <= pollsToComplete) {
          exp.nextPollAt = t + retryAfter * 1000;
          return {
            status: 200,
            headers: { "retry-after": String(retryAfter) },
            body: { "@odata.type": "#microsoft.graph.partners.billing.runningOperation", ...base, status: exp.polls === 1 ? "notstarted" : "running" },
          };
        }
        if (exp.fail) return { status: 200, body: { "@odata.type": "#microsoft.graph.partners.billing.failedOperation", ...base, status: "failed", error: exp.fail } };
        const success = { "@odata.type": "#microsoft.graph.partners.billing.exportSuccessOperation", ...base, status: "succeeded" };
        return {
          status: 200,
          body:
            shape === "inline"
              ? { ...success, resourceLocation: manifest(exp) }
              : { ...success, "resourceLocation@odata.navigationLink": `${selfUrl}/v1.0/reports/partners/billing/manifests/${exp.id}` },
        };
      }),
      graph("get-manifest", "GET", MANIFEST, (req) => {
        const exp = exportJobs.find((e) => e.id === decodeURIComponent(MANIFEST.exec(req.path)![1]));
        if (!exp) return graphError(404, "NotFound", "Manifest not found");
        if (now().getTime() > exp.expires) return graphError(410, "Gone", "The manifest has expired");
        return { status: 200, body: manifest(exp) };
      }),
      {
        // Azure Blob storage: no Graph token, the directory's SAS token instead.
        name: "blob",
        method: "GET",
        path: BLOB,
        handle(req) {
          const [, id, name] = BLOB.exec(req.path)!;
          const exp = exportJobs.find((e) => e.id === id);
          const se = Number(req.query.get("se"));
          if (!exp || req.query.get("sig") !== sign(exp, se)) {
            return { status: 403, headers: { "content-type": "application/xml" }, body: "<Error><Code>AuthenticationFailed</Code></Error>" };
          }
          if (now().getTime() > se || now().getTime() > exp.expires) {
            return { status: 410, headers: { "content-type": "application/xml" }, body: "<Error><Code>Gone</Code></Error>" };
          }
          const index = Number(/^part-(\d+)-/.exec(name)?.[1] ?? "-1");
          if (!(index >= 0 && index < blobCount(exp))) return { status: 404, headers: { "content-type": "application/xml" }, body: "<Error><Code>BlobNotFound</Code></Error>" };
          const from = index * linesPerBlob;
          const lower = exp.lowerCaseKeys;
          const corrupt = index === 0 ? exp.corrupt : undefined;
          const text = Readable.from(
            (function* () {
              let chunk = "";
              let n = 0;
              for (const line of invoiceLines(exp.spec, from, from + linesPerBlob)) {
                n++;
                const obj = lower ? Object.fromEntries(Object.entries(line).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), v])) : line;
                chunk += corrupt === "malformed-line" && n === 2 ? '{"CustomerId": "broken", \n' : `${JSON.stringify(obj)}\n`;
                if (chunk.length > 64 * 1024) {
                  yield chunk;
                  chunk = "";
                }
              }
              if (chunk) yield chunk;
            })(),
          );
          const gz = text.pipe(createGzip());
          if (corrupt === "truncated") {
            // Cut the gzip stream short: the client must notice, not parse half a file as whole.
            const cut = new Readable({ read() {} });
            let sent = 0;
            gz.on("data", (c: Buffer) => {
              if (sent < 64) cut.push(c.subarray(0, Math.max(0, 64 - sent)));
              sent += c.length;
            });
            gz.on("end", () => cut.push(null));
            return { status: 200, headers: { "content-type": "application/octet-stream" }, body: cut };
          }
          return { status: 200, headers: { "content-type": "application/octet-stream" }, body: gz };
        },
      },
    ],
  });
  selfUrl = handle.url;

  return {
    ...handle,
    invoices,
    exports: exportJobs,
    get earlyPolls() {
      return state.earlyPolls;
    },
    failNextExport(error = { code: "5000", message: "No data available" }) {
      nextFail = error;
    },
    corruptNextExport(kind) {
      nextCorrupt = kind;
    },
    lowerCaseKeysInNextExport() {
      nextLower = true;
    },
    expireExports() {
      for (const e of exportJobs) e.expires = now().getTime() - 1;
    },
    setManifestShape(s) {
      shape = s;
    },
    sasTokenOf(exportId: string) {
      const exp = exportJobs.find((e) => e.id === exportId);
      if (!exp) throw new Error(`no export ${exportId}`);
      return sasToken(exp);
    },
  };
}
