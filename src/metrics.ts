/**
 * The gateway's Prometheus metrics, one Registry per gateway (not prom-client's global one), so
 * several gateways in one process (tests, benchmarks) keep their own counts.
 *
 * Every label value is bounded: vendors, connection ids and route names come from configuration and
 * code; statuses are HTTP status numbers; operation names and error codes are caller-influenced and go
 * through `BoundedLabel`. The quota governor's gauges (queue length, calls in flight) are read from each
 * connection's governor at scrape time.
 */
import type { Writable } from "node:stream";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

function exportBuffered(streams: Iterable<Writable>): number {
  let bytes = 0;
  for (const s of streams) bytes += s.writableLength;
  return bytes;
}
import type { ResponseCache } from "./cache/store";

/** Keeps at most `max` distinct values; later new ones become `overflow`. */
export class BoundedLabel {
  private readonly seen = new Set<string>();
  constructor(
    private readonly max: number,
    private readonly maxLength: number,
    private readonly overflow = "(other)",
  ) {}

  of(value: string): string {
    const v = value.slice(0, this.maxLength);
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return this.overflow;
    this.seen.add(v);
    return v;
  }
}

/** What the upstream layer reports; optional there, so a connector built without metrics still works. */
export interface UpstreamMetrics {
  /** One per attempt: `status` is the HTTP status, or "error" when no answer came (reset, timeout). */
  attempt(labels: { vendor: string; connection: string; route: string }, status: number | "error", seconds: number): void;
  retry(labels: { vendor: string; connection: string; route: string }, reason: string): void;
  /** A connection's quota governor: its queue length and calls in flight, read at scrape time. */
  governor?(labels: GovernorLabels, read: () => { queued: number; inFlight: number }): void;
  /** Time a call waited in the governor's queue before it could start. */
  governorWait?(labels: GovernorLabels, seconds: number): void;
  /** The governor lowered its rate after a 429 ("429"), pausing until a Retry-After ("retry-after"). */
  governorSlowdown?(labels: GovernorLabels, reason: "429" | "retry-after"): void;
}

export interface GovernorLabels {
  vendor: string;
  connection: string;
}

export interface GraphqlMetrics {
  operation(name: string, type: string, seconds: number): void;
  error(name: string, code: string): void;
}

/** Operation names: caller-chosen, so truncated and capped (the rest counted as "(other)"). */
const OPERATION_NAMES_MAX = 100;
const OPERATION_NAME_LENGTH = 64;
/** Error codes are ours or Apollo's (a fixed set), capped all the same. */
const ERROR_CODES_MAX = 40;

export class GatewayMetrics implements UpstreamMetrics, GraphqlMetrics {
  readonly registry = new Registry();
  private readonly upstreamRequests: Counter<"vendor" | "connection" | "route" | "status">;
  private readonly upstreamDuration: Histogram<"vendor" | "connection" | "route">;
  private readonly upstreamRetries: Counter<"vendor" | "connection" | "route" | "reason">;
  private readonly operations: Counter<"operation" | "type">;
  private readonly operationDuration: Histogram<"operation">;
  private readonly errors: Counter<"operation" | "code">;
  private readonly httpRequests: Counter<"path" | "method" | "status">;
  private readonly governorWaits: Histogram<"vendor" | "connection">;
  private readonly governorSlowdowns: Counter<"vendor" | "connection" | "reason">;
  /** One reader per connection (connections come from configuration: bounded). */
  /** Export responses being streamed (their buffered bytes are read at scrape time). */
  private readonly exportStreams = new Set<Writable>();
  private readonly exportRows: Counter<"format">;
  private readonly governors = new Map<string, { labels: GovernorLabels; read: () => { queued: number; inFlight: number } }>();
  private readonly operationNames = new BoundedLabel(OPERATION_NAMES_MAX, OPERATION_NAME_LENGTH);
  private readonly errorCodes = new BoundedLabel(ERROR_CODES_MAX, 40);

  constructor(options: { cache?: ResponseCache; processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.upstreamRequests = new Counter({
      name: "gateway_upstream_requests_total",
      help: "Vendor HTTP attempts (retries included), by vendor, connection, route and HTTP status ('error': no answer)",
      labelNames: ["vendor", "connection", "route", "status"],
      registers,
    });
    this.upstreamDuration = new Histogram({
      name: "gateway_upstream_request_duration_seconds",
      help: "Time to a vendor's response headers, per attempt",
      labelNames: ["vendor", "connection", "route"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
      registers,
    });
    this.upstreamRetries = new Counter({
      name: "gateway_upstream_retries_total",
      help: "Vendor calls retried, by reason (HTTP status or 'error')",
      labelNames: ["vendor", "connection", "route", "reason"],
      registers,
    });
    this.operations = new Counter({
      name: "gateway_graphql_operations_total",
      help: "GraphQL operations that parsed and validated, by name ('(anonymous)', '(other)' past the cap)",
      labelNames: ["operation", "type"],
      registers,
    });
    this.operationDuration = new Histogram({
      name: "gateway_graphql_operation_duration_seconds",
      help: "GraphQL operation time, from request start to response",
      labelNames: ["operation"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
      registers,
    });
    this.errors = new Counter({
      name: "gateway_graphql_errors_total",
      help: "GraphQL errors by extensions.code; operation '(invalid)' for requests refused before execution",
      labelNames: ["operation", "code"],
      registers,
    });
    this.httpRequests = new Counter({
      name: "gateway_http_requests_total",
      help: "HTTP requests to the gateway, by endpoint, method and status",
      labelNames: ["path", "method", "status"],
      registers,
    });
    const governors = this.governors;
    new Gauge({
      name: "gateway_governor_queue_length",
      help: "Vendor calls waiting for a slot in the connection's quota governor",
      labelNames: ["vendor", "connection"],
      registers,
      collect() {
        for (const g of governors.values()) this.set(g.labels, g.read().queued);
      },
    });
    new Gauge({
      name: "gateway_governor_in_flight",
      help: "Vendor calls in flight through the connection's quota governor",
      labelNames: ["vendor", "connection"],
      registers,
      collect() {
        for (const g of governors.values()) this.set(g.labels, g.read().inFlight);
      },
    });
    this.governorWaits = new Histogram({
      name: "gateway_governor_wait_seconds",
      help: "Time a vendor call (each attempt) waited in the quota governor before it started",
      labelNames: ["vendor", "connection"],
      buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.governorSlowdowns = new Counter({
      name: "gateway_governor_slowdowns_total",
      help: "Times the quota governor lowered a connection's rate after a 429, by reason ('429', 'retry-after': also paused until then)",
      labelNames: ["vendor", "connection", "reason"],
      registers,
    });
    const exports = this.exportStreams;
    new Gauge({
      name: "gateway_export_streams",
      help: "Exports being streamed to clients now",
      registers,
      collect() {
        this.set(exports.size);
      },
    });
    new Gauge({
      name: "gateway_export_buffered_bytes",
      help: "Bytes of exports written but not yet taken by their clients (bounded by backpressure)",
      registers,
      collect() {
        this.set(exportBuffered(exports));
      },
    });
    this.exportRows = new Counter({ name: "gateway_export_rows_total", help: "Rows written by exports", labelNames: ["format"], registers });
    const cache = options.cache;
    if (cache) {
      // Read from ResponseCache.stats at scrape time: the cache keeps counting without knowing of metrics.
      cacheCounter(registers, "gateway_cache_hits_total", "Response cache hits", () => cache.stats.hits);
      cacheCounter(registers, "gateway_cache_misses_total", "Response cache misses (a vendor call was made)", () => cache.stats.misses);
      cacheCounter(registers, "gateway_cache_joined_total", "Cache misses that joined a load already in flight (single-flight)", () => cache.stats.joined);
    }
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  attempt(labels: { vendor: string; connection: string; route: string }, status: number | "error", seconds: number): void {
    this.upstreamRequests.inc({ ...labels, status: String(status) });
    this.upstreamDuration.observe(labels, seconds);
  }

  retry(labels: { vendor: string; connection: string; route: string }, reason: string): void {
    this.upstreamRetries.inc({ ...labels, reason });
  }

  governor(labels: GovernorLabels, read: () => { queued: number; inFlight: number }): void {
    this.governors.set(`${labels.vendor}\u0000${labels.connection}`, { labels, read });
  }

  governorWait(labels: GovernorLabels, seconds: number): void {
    this.governorWaits.observe(labels, seconds);
  }

  governorSlowdown(labels: GovernorLabels, reason: "429" | "retry-after"): void {
    this.governorSlowdowns.inc({ ...labels, reason });
  }

  /** The label for an operation name: only call it for operations that parsed and validated. */
  operationLabel(name: string | null | undefined): string {
    return name ? this.operationNames.of(name) : "(anonymous)";
  }

  operation(label: string, type: string, seconds: number): void {
    this.operations.inc({ operation: label, type });
    this.operationDuration.observe({ operation: label }, seconds);
  }

  error(label: string, code: string): void {
    this.errors.inc({ operation: label, code: /^[A-Z][A-Z0-9_]*$/.test(code) ? this.errorCodes.of(code) : "(other)" });
  }

  http(path: string, method: string, status: number): void {
    this.httpRequests.inc({ path, method: HTTP_METHODS.has(method) ? method : "OTHER", status: String(status) });
  }

  /** An export starts streaming to `res`; the returned function ends its tracking. */
  exportStarted(res: Writable): () => void {
    this.exportStreams.add(res);
    return () => this.exportStreams.delete(res);
  }

  exportWrote(format: string, rows: number): void {
    this.exportRows.inc({ format }, rows);
  }

  /** Bytes written by exports that their clients have not taken yet. */
  exportBufferedBytes(): number {
    return exportBuffered(this.exportStreams);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

const HTTP_METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);

function cacheCounter(registers: Registry[], name: string, help: string, read: () => number): void {
  let reported = 0;
  new Counter({
    name,
    help,
    registers,
    collect() {
      const value = read();
      if (value > reported) this.inc(value - reported);
      reported = value;
    },
  });
}
