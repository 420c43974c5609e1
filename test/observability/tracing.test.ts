/**
 * OpenTelemetry tracing end to end: a collector of our own (an HTTP server taking OTLP/HTTP JSON) ←
 * real HTTP ← gateway → real HTTP → sandbox simulators. Requests are made first, then the gateway is
 * stopped, which must flush its spans; the assertions read what the collector received, raw.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";
import { lastMonth } from "../../src/graphql/examples";
import { createLogger } from "../../src/logger";
import { createTracing, startUpstreamSpan } from "../../src/tracing";
import { startTestGateway, type TestGateway } from "../helpers/gateway";
import version from "../../package.json";

interface Collector {
  url: string;
  /** Each export request: its headers and its raw body. */
  posts: Array<{ path: string; headers: IncomingHttpHeaders; body: string }>;
  close(): Promise<void>;
}

async function startCollector(): Promise<Collector> {
  const posts: Collector["posts"] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      posts.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    posts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type AnyValue = { stringValue?: string; intValue?: number | string; boolValue?: boolean; doubleValue?: number; arrayValue?: { values?: AnyValue[] } };
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: Array<{ key: string; value: AnyValue }>;
  status?: { code?: number; message?: string };
}
const SERVER = 2;
const CLIENT = 3;
const STATUS_ERROR = 2;

function valueOf(v: AnyValue): unknown {
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(valueOf);
  if (v.intValue !== undefined) return Number(v.intValue);
  return v.stringValue ?? v.boolValue ?? v.doubleValue;
}

function attrs(span: OtlpSpan): Record<string, unknown> {
  return Object.fromEntries((span.attributes ?? []).map((a) => [a.key, valueOf(a.value)]));
}

function spansOf(collector: Collector): { spans: OtlpSpan[]; resources: Array<Record<string, unknown>> } {
  const spans: OtlpSpan[] = [];
  const resources: Array<Record<string, unknown>> = [];
  for (const post of collector.posts) {
    const payload = JSON.parse(post.body) as {
      resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: AnyValue }> }; scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
    };
    for (const rs of payload.resourceSpans) {
      resources.push(Object.fromEntries(rs.resource.attributes.map((a) => [a.key, valueOf(a.value)])));
      for (const ss of rs.scopeSpans) spans.push(...ss.spans);
    }
  }
  return { spans, resources };
}

/** Every string in a span's attributes, arrays included. */
function attributeStrings(span: OtlpSpan): string[] {
  return Object.values(attrs(span)).flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v): v is string => typeof v === "string");
}

async function post(t: TestGateway, query: string, variables: Record<string, unknown>, token: string, extra: Record<string, string> = {}) {
  const res = await request(t.gateway.graphqlUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...extra },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.statusCode, requestId: String(res.headers["x-request-id"]), body: (await res.body.json()) as { data?: any; errors?: Array<{ extensions?: { code?: string } }> } };
}

const MSP_SELF = "partner:keeper-msp:self";
const PARTNER_CENTER = "partner:microsoft-partner-billing:partner";
const COLLECTOR_KEY = "collector-api-key-5f1e0c9a7b";
const CALLER_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_PARENT = `00-${CALLER_TRACE_ID}-00f067aa0ba902b7-01`;
// Keeper usage and a Partner Center invoice's lines: the latter downloads blobs through SAS URLs.
const TRACED = `query TracedBilling($p: BillingPeriod!) {
  msp: partner(id: "${MSP_SELF}") { managedCompanies { nodes { currentUsage { quantity } } } }
  invoice(partnerId: "${PARTNER_CENTER}", period: $p) { lines(first: 5) { totalCount } }
}`;
const USAGE = `{ partner(id: "${MSP_SELF}") { managedCompanies { nodes { currentUsage { quantity } } } } }`;

describe("tracing on", () => {
  let collector: Collector;
  let t: TestGateway;
  let traced: Awaited<ReturnType<typeof post>>;
  let failing: Awaited<ReturnType<typeof post>>;
  let bearer: string;
  let postsBeforeStop: number;
  /** Every credential the gateway holds or sent: configured secrets, tokens it obtained, SAS tokens. */
  const secrets: string[] = [];
  /** traceparent headers the vendors received, per route. */
  const vendorTraceparents: Array<{ route: string; traceparent: string | undefined }> = [];

  beforeAll(async () => {
    collector = await startCollector();
    t = await startTestGateway({ overrides: { tracing: { otlpUrl: collector.url, headers: { "x-collector-key": COLLECTOR_KEY }, sampleRatio: 1 } } });
    bearer = await t.token(["keeper-msp", "microsoft-partner-billing"], "tracing-traced");
    traced = await post(t, TRACED, { p: lastMonth() }, bearer, { traceparent: CALLER_PARENT });
    // Its own caller scope (no cached answer), and a vendor that keeps failing: VENDOR_UNAVAILABLE after the retries.
    t.sandbox.keeperMsp.faults.next("current-usage", { status: 503 }).times(3);
    failing = await post(t, USAGE, {}, await t.token(["keeper-msp"], "tracing-failing"));

    const s = t.sandbox;
    secrets.push(s.callerSecret, s.devToken, bearer, COLLECTOR_KEY);
    for (const c of s.config.connections) {
      for (const value of Object.values(c)) if (value && typeof value === "object" && "reveal" in value) secrets.push((value as { reveal(): string }).reveal());
    }
    for (const e of s.partnerBilling.exports) {
      const sas = s.partnerBilling.sasTokenOf(e.id);
      secrets.push(sas, sas.split("sig=")[1]);
    }
    for (const sim of s.simulators) {
      for (const call of sim.calls.list()) {
        vendorTraceparents.push({ route: `${sim.name}:${call.route}`, traceparent: call.headers.traceparent as string | undefined });
        for (const [name, value] of Object.entries(call.headers)) {
          if (/authorization|token|key|secret|signature/i.test(name) && typeof value === "string") secrets.push(value, value.replace(/^Bearer\s+/i, ""));
        }
      }
    }
    postsBeforeStop = collector.posts.length;
    await t.close(); // stops the gateway: its spans are flushed now
  });
  afterAll(() => collector.close());

  const requestSpans = () => spansOf(collector).spans.filter((s) => s.kind === SERVER);
  const requestSpanOf = (requestId: string) => requestSpans().find((s) => attrs(s)["gateway.request_id"] === requestId)!;
  const childrenOf = (parent: OtlpSpan) => spansOf(collector).spans.filter((s) => s.kind === CLIENT && s.parentSpanId === parent.spanId);

  it("exports when the gateway stops, to the configured URL with the configured headers", () => {
    expect(traced.status).toBe(200);
    expect(traced.body.errors).toBeUndefined();
    expect(postsBeforeStop).toBe(0); // batched: nothing went out before stop flushed it
    expect(collector.posts.length).toBeGreaterThan(0);
    for (const p of collector.posts) {
      expect(p.path).toBe("/v1/traces");
      expect(p.headers["content-type"]).toMatch(/^application\/json/);
      expect(p.headers["x-collector-key"]).toBe(COLLECTOR_KEY);
    }
    const { resources } = spansOf(collector);
    expect(resources[0]).toMatchObject({ "service.name": "billing-gateway", "service.version": version.version });
    // The collector's key is a secret: never logged.
    expect(t.logs.join("\n")).not.toContain(COLLECTOR_KEY);
  });

  it("makes one SERVER span per GraphQL request, named by its operation, continuing the caller's traceparent", () => {
    expect(requestSpans()).toHaveLength(2);
    const span = requestSpanOf(traced.requestId);
    expect(span.name).toBe("graphql TracedBilling");
    expect(span.traceId).toBe(CALLER_TRACE_ID);
    expect(span.parentSpanId).toBe("00f067aa0ba902b7");
    expect(attrs(span)).toMatchObject({
      "graphql.operation.name": "TracedBilling",
      "graphql.operation.type": "query",
      "gateway.request_id": traced.requestId,
      "http.response.status_code": 200,
      "http.request.method": "POST",
    });
    expect(attrs(span)["graphql.error.codes"]).toBeUndefined();
    expect(span.status?.code ?? 0).not.toBe(STATUS_ERROR);
  });

  it("makes a CLIENT span per vendor attempt, a child of the request's span, labelled by route and never by URL", () => {
    const request = requestSpanOf(traced.requestId);
    const children = childrenOf(request);
    expect(children.every((c) => c.traceId === CALLER_TRACE_ID)).toBe(true);
    const routes = children.map((c) => attrs(c)["gateway.route"]);
    expect(routes).toEqual(expect.arrayContaining(["current-usage", "billed-export", "blob"]));
    const usage = children.find((c) => attrs(c)["gateway.route"] === "current-usage")!;
    expect(usage.name).toBe("GET current-usage");
    expect(attrs(usage)).toMatchObject({
      "gateway.vendor": "KEEPER",
      "gateway.connection_id": "keeper-msp",
      "http.request.method": "GET",
      "http.response.status_code": 200,
      "gateway.attempt": 1,
    });
    expect(typeof attrs(usage)["gateway.governor.wait_ms"]).toBe("number");
    // Every vendor call the simulators saw for this request is a span (the MSP and Partner Center ones).
    const sawn = vendorTraceparents.filter((v) => v.traceparent?.includes(CALLER_TRACE_ID));
    expect(children.length).toBe(sawn.length);
  });

  it("sends each vendor a traceparent naming the span of its attempt", () => {
    const spanIds = new Set(spansOf(collector).spans.filter((s) => s.kind === CLIENT).map((s) => s.spanId));
    expect(vendorTraceparents.length).toBeGreaterThan(3);
    for (const v of vendorTraceparents) {
      expect(v.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(spanIds.has(v.traceparent!.split("-")[2])).toBe(true);
    }
    // The blob downloads (SAS URLs) carry it too.
    expect(vendorTraceparents.filter((v) => v.route.endsWith(":blob")).length).toBeGreaterThan(0);
  });

  it("marks a vendor failure: ERROR on the 5xx attempts, the retries counted, VENDOR_UNAVAILABLE on the request", () => {
    expect(failing.body.errors?.map((e) => e.extensions?.code)).toContain("VENDOR_UNAVAILABLE");
    const span = requestSpanOf(failing.requestId);
    expect(span.name).toBe("graphql anonymous");
    expect(span.traceId).not.toBe(CALLER_TRACE_ID); // a trace of its own: no traceparent came in
    expect(attrs(span)["graphql.error.codes"]).toEqual(["VENDOR_UNAVAILABLE"]);
    expect(attrs(span)["graphql.operation.name"]).toBeUndefined();
    expect(span.status?.code).toBe(STATUS_ERROR);
    const attempts = childrenOf(span).filter((c) => attrs(c)["gateway.route"] === "current-usage");
    expect(attempts.map((a) => attrs(a)["gateway.attempt"]).sort()).toEqual([1, 2, 3]);
    expect(attempts.map((a) => attrs(a)["http.request.resend_count"] ?? 0).sort()).toEqual([0, 1, 2]);
    for (const a of attempts) {
      expect(attrs(a)["http.response.status_code"]).toBe(503);
      expect(a.status?.code).toBe(STATUS_ERROR);
    }
  });

  it("puts no secret, token, URL query string or variable into any span", () => {
    const raw = collector.posts.map((p) => p.body).join("\n");
    const known = [...new Set(secrets.filter((s) => s && s.length >= 8))];
    expect(known.length).toBeGreaterThan(8);
    expect(known.filter((s) => raw.includes(s))).toEqual([]);
    expect(raw).not.toContain("sig=");
    expect(raw).not.toContain(lastMonth()); // the request's variable
    const strings = spansOf(collector).spans.flatMap(attributeStrings);
    expect(strings.length).toBeGreaterThan(20);
    expect(strings.filter((s) => s.includes("?") || s.includes("://"))).toEqual([]);
  });
});

describe("tracing off", () => {
  it("exports nothing and sends vendors no traceparent when there is no tracing section", async () => {
    const collector = await startCollector();
    // The SDK's own variable names a collector: without a tracing section it must be ignored all the same.
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = collector.url;
    const t = await startTestGateway();
    try {
      expect(t.sandbox.config.tracing).toBeUndefined();
      const res = await post(t, USAGE, {}, await t.token(["keeper-msp"], "tracing-off"), { traceparent: CALLER_PARENT });
      expect(res.body.errors).toBeUndefined();
      const calls = t.sandbox.keeperMsp.calls.list();
      expect(calls.length).toBeGreaterThan(0);
      expect(calls.filter((c) => c.headers.traceparent !== undefined)).toEqual([]);
    } finally {
      await t.close();
      delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    }
    // Stopped (where a configured gateway flushes): still nothing reached a collector.
    expect(collector.posts).toEqual([]);
    await collector.close();
  });
});

describe("sampling", () => {
  it("keeps sampleRatio of new traces, and follows a caller's sampled flag (ParentBased)", async () => {
    const collector = await startCollector();
    const tracing = createTracing({ otlpUrl: collector.url, serviceName: "sampling-test", sampleRatio: 0, headers: {} }, createLogger({ level: "silent" }))!;
    const unsampledRoot = tracing.startRequest({}, "POST", "root-request");
    unsampledRoot.end(200);
    const followed = tracing.startRequest({ traceparent: CALLER_PARENT }, "POST", "caller-sampled");
    followed.end(200);
    const declined = tracing.startRequest({ traceparent: CALLER_PARENT.replace(/-01$/, "-00") }, "POST", "caller-declined");
    // Not recorded, yet still propagated: the vendor learns the caller's trace, unsampled.
    const headers: Record<string, string> = {};
    startUpstreamSpan(declined.trace, { vendor: "KEEPER", connectionId: "c", route: "r", method: "GET", attempt: 1 }).inject(headers);
    expect(headers.traceparent).toMatch(new RegExp(`^00-${CALLER_TRACE_ID}-[0-9a-f]{16}-00$`));
    declined.end(200);
    await tracing.shutdown();
    const ids = spansOf(collector).spans.map((s) => attrs(s)["gateway.request_id"]);
    expect(ids).toEqual(["caller-sampled"]);
    expect(spansOf(collector).resources[0]["service.name"]).toBe("sampling-test");
    await collector.close();
  });
});
