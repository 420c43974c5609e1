/**
 * OpenTelemetry tracing, on only when the configuration has a `tracing` section. Spans are made by
 * hand, here and in http/upstream.ts, never by auto-instrumentation: we choose every attribute that
 * leaves, and none is a variable, a query text, a header, a token or a vendor URL (a SAS download
 * link carries its signature in the query string; some vendors put keys in paths).
 *
 * One tracer provider per gateway, never the global one: several gateways share a process in tests
 * and benchmarks, each exporting to its own collector and shut down on its own. The tracer travels
 * with the request instead of through AsyncLocalStorage: the GraphQL request's span is put in its
 * CallContext (`trace`), which the connectors hand to Upstream, whose vendor calls become its children.
 *
 * Export: OTLP/HTTP with JSON bodies, batched; the sampler follows the caller's sampling decision
 * when a `traceparent` came in, else keeps `sampleRatio` of the traces. The collector's headers are
 * Secrets, revealed only when an export is sent.
 */
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { IncomingHttpHeaders } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from "@opentelemetry/api";
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from "@opentelemetry/semantic-conventions";
import type { Logger } from "pino";
import type { Secret } from "./domain/secret";
import { scrubSecrets } from "./domain/secret";

export const DEFAULT_SERVICE_NAME = "billing-gateway";

/** The `tracing` section of the configuration, defaults applied. */
export interface TracingConfig {
  /** An OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces. */
  otlpUrl: string;
  serviceName: string;
  /** Share of new traces kept (0..1); a caller's sampled flag wins for the traces it started. */
  sampleRatio: number;
  /** Sent to the collector with every export (an API key). */
  headers: Record<string, Secret>;
}

/** What a CallContext carries when tracing is on: the tracer, and the context whose span is the parent. */
export interface TraceContext {
  tracer: Tracer;
  context: Context;
}

/** Caller-chosen operation names are cut to this length in span names and attributes. */
const OPERATION_NAME_LENGTH = 64;
/** How long stop() waits for the last spans to reach the collector. */
const SHUTDOWN_TIMEOUT_MS = 2_000;
const EXPORT_TIMEOUT_MS = 5_000;

const propagator = new W3CTraceContextPropagator();

/** True for error codes that mean the gateway or a vendor failed (not the caller's request). */
export function isFailureCode(code: string): boolean {
  return code.startsWith("VENDOR_") || code.startsWith("INTERNAL");
}

/**
 * The SERVER span of one GraphQL HTTP request. The gateway fills it in as it learns things (the
 * operation once it validated, the response's error codes) and ends it when the response is done.
 */
export class RequestSpan {
  private readonly codes = new Set<string>();
  private ended = false;

  constructor(
    private readonly span: Span,
    /** For the request's CallContext: vendor calls become children of this span. */
    readonly trace: TraceContext,
  ) {}

  /** The operation, once it parsed and validated (its name is caller-chosen: cut to a bounded length). */
  operation(name: string | null | undefined, type: string): void {
    const label = name ? name.slice(0, OPERATION_NAME_LENGTH) : "anonymous";
    this.span.updateName(`graphql ${label}`);
    if (name) this.span.setAttribute("graphql.operation.name", label);
    this.span.setAttribute("graphql.operation.type", type);
  }

  /** Codes (`extensions.code`) of the errors in the response. */
  errorCodes(codes: Iterable<string>): void {
    for (const code of codes) this.codes.add(code.slice(0, OPERATION_NAME_LENGTH));
  }

  /** Ends the span with the HTTP status sent (0: the client went away before the answer). */
  end(status: number): void {
    if (this.ended) return;
    this.ended = true;
    const codes = [...this.codes];
    if (status > 0) this.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    else this.span.setAttribute(ATTR_ERROR_TYPE, "client_closed");
    if (codes.length) this.span.setAttribute("graphql.error.codes", codes);
    const failed = codes.filter(isFailureCode);
    if (status >= 500) this.span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
    else if (failed.length) this.span.setStatus({ code: SpanStatusCode.ERROR, message: failed.join(", ") });
    this.span.end();
  }
}

/** The CLIENT span of one attempt at a vendor call (retries are spans of their own, `http.request.resend_count`). */
export class UpstreamSpan {
  private ended = false;

  constructor(
    private readonly span: Span,
    private readonly context: Context,
  ) {}

  /** Puts `traceparent` (and `tracestate`) into the outgoing headers, naming this span as the parent. */
  inject(headers: Record<string, string>): void {
    propagator.inject(this.context, headers, defaultTextMapSetter);
  }

  set(attributes: Attributes): void {
    this.span.setAttributes(attributes);
  }

  /** The vendor answered: 5xx is an error; a 4xx is the vendor's answer, told by its status. */
  answered(status: number): void {
    this.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    if (status >= 500) {
      this.span.setAttribute(ATTR_ERROR_TYPE, String(status));
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
    }
  }

  /** No answer: reset, timeout, refused before sending. `kind` is an error code or name, never a message. */
  failed(kind: string): void {
    this.span.setAttribute(ATTR_ERROR_TYPE, kind);
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: kind });
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.span.end();
  }
}

export interface UpstreamSpanLabels {
  vendor: string;
  connectionId: string;
  /** The route name, as in the metrics: a fixed label, never the URL. */
  route: string;
  method: string;
  attempt: number;
}

/** Starts the span of one vendor call attempt, a child of the request's span. */
export function startUpstreamSpan(traceContext: TraceContext, labels: UpstreamSpanLabels): UpstreamSpan {
  const span = traceContext.tracer.startSpan(
    `${labels.method} ${labels.route}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        "gateway.vendor": labels.vendor,
        "gateway.connection_id": labels.connectionId,
        "gateway.route": labels.route,
        [ATTR_HTTP_REQUEST_METHOD]: labels.method,
        "gateway.attempt": labels.attempt,
        ...(labels.attempt > 1 && { [ATTR_HTTP_REQUEST_RESEND_COUNT]: labels.attempt - 1 }),
      },
    },
    traceContext.context,
  );
  return new UpstreamSpan(span, trace.setSpan(traceContext.context, span));
}

export interface GatewayTracing {
  /** Starts the span of one GraphQL HTTP request, continuing the caller's `traceparent` if it sent one. */
  startRequest(headers: IncomingHttpHeaders, method: string, requestId: string): RequestSpan;
  /** Sends the spans still buffered, then stops exporting. Bounded: a collector that is down does not hold stop(). */
  shutdown(): Promise<void>;
}

/** The gateway's package.json version: found from this file up, so it works from src/ (jest) and dist/src/. */
function serviceVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === DEFAULT_SERVICE_NAME && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  return "unknown";
}

/** Says when an export fails (the SDK itself stays silent): the error's name only, scrubbed. */
class LoggingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly logger: Logger,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) {
        const err = result.error as (Error & { code?: string }) | undefined;
        this.logger.warn({ spans: spans.length, error: scrubSecrets(err?.code ?? err?.name ?? "unknown") }, "trace export failed");
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** Tracing for one gateway, or undefined when it is not configured (then no span is ever made). */
export function createTracing(config: TracingConfig | undefined, logger: Logger): GatewayTracing | undefined {
  if (!config) return undefined;
  // Our own agents, so shutdown can close their keep-alive sockets (the exporter leaves them open).
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  const exporter = new OTLPTraceExporter({
    url: config.otlpUrl,
    headers: async () => Object.fromEntries(Object.entries(config.headers).map(([name, value]) => [name, value.reveal()])),
    timeoutMillis: EXPORT_TIMEOUT_MS,
    httpAgentOptions: (protocol: string) => (protocol === "https:" ? agents.https : agents.http),
  });
  const version = serviceVersion();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName, [ATTR_SERVICE_VERSION]: version }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(new LoggingExporter(exporter, logger), { exportTimeoutMillis: EXPORT_TIMEOUT_MS })],
  });
  const tracer = provider.getTracer(DEFAULT_SERVICE_NAME, version);
  let stopped: Promise<void> | undefined;

  return {
    startRequest(headers, method, requestId) {
      // Only the W3C headers are read from the caller's request; nothing else of it goes into the span.
      const parent = propagator.extract(ROOT_CONTEXT, { traceparent: headers.traceparent, tracestate: headers.tracestate }, defaultTextMapGetter);
      const span = tracer.startSpan(
        "graphql",
        {
          kind: SpanKind.SERVER,
          attributes: { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_HTTP_ROUTE]: "/graphql", "gateway.request_id": requestId },
        },
        parent,
      );
      return new RequestSpan(span, { tracer, context: trace.setSpan(parent, span) });
    },
    shutdown() {
      stopped ??= (async () => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<"timeout">((resolve) => {
          timer = setTimeout(() => resolve("timeout"), SHUTDOWN_TIMEOUT_MS);
        });
        const outcome = await Promise.race([provider.shutdown().then(() => "done" as const), timeout]);
        clearTimeout(timer);
        if (outcome === "timeout") logger.warn({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, "trace export did not finish before stop");
        agents.http.destroy();
        agents.https.destroy();
      })();
      return stopped;
    },
  };
}
