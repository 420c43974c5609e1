/**
 * The one HTTP layer every connector uses (undici). Per attempt: connect/headers/body timeouts bounded
 * by the GraphQL request's deadline. Retries only for calls marked idempotent, on 429, 5xx, resets and
 * timeouts, with exponential backoff and full jitter, or the vendor's Retry-After (seconds or date) up
 * to a cap. A retry that cannot finish before the deadline is not started; backoff sleeps end with it.
 * Failures become typed VendorErrors. Headers (credentials) are never logged or put in errors.
 * Every attempt, retries included, first takes a slot from the connection's quota governor (governor.ts);
 * a 429 tells the governor to slow down, a success lets it recover.
 * With tracing on (the call's `trace`), every attempt is a CLIENT span, a child of the request's span,
 * labelled like the metrics (vendor, connection, route; never the URL), and the vendor gets a
 * `traceparent` naming it.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Readable } from "node:stream";
import { Agent, request, type Dispatcher } from "undici";
import type { Logger } from "pino";
import type { CallContext } from "../domain/connector";
import { VendorError, type VendorErrorCode } from "../domain/errors";
import type { Vendor } from "../domain/model";
import type { UpstreamMetrics } from "../metrics";
import { startUpstreamSpan, type UpstreamSpan } from "../tracing";
import type { Governor } from "./governor";

export interface HttpSettings {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  /** Attempts in all, first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the caller gets VENDOR_RATE_LIMITED at once. */
  maxRetryAfterMs: number;
  /** A retry is only started when at least this much of the deadline is left after its wait. */
  minAttemptMs: number;
}

export const DEFAULT_HTTP_SETTINGS: HttpSettings = {
  connectTimeoutMs: 5_000,
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 15_000,
  maxAttempts: 3,
  baseDelayMs: 250,
  maxDelayMs: 4_000,
  maxRetryAfterMs: 10_000,
  minAttemptMs: 100,
};

export function createDispatcher(settings: HttpSettings): Dispatcher {
  return new Agent({
    connect: { timeout: settings.connectTimeoutMs },
    headersTimeout: settings.headersTimeoutMs,
    bodyTimeout: settings.bodyTimeoutMs,
    keepAliveTimeout: 10_000,
  });
}

export interface UpstreamTarget {
  vendor: Vendor;
  connectionId: string;
  baseUrl: string;
  /** Extracts the vendor's own error code/message from an error body (vendor text only). */
  describeError?: (status: number, body: string) => string | undefined;
  /**
   * The vendor's header for a client-chosen request id, if its contract has one: every call carries the
   * gateway's request id there, so a vendor's support can find the calls of one GraphQL request.
   */
  requestIdHeader?: string;
}

export interface UpstreamRequest {
  /** Route name for logs and metrics, e.g. "monthly-usage". */
  route: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** A vendor path, joined to the connection's base URL. Build any path holding input or vendor data with `pathOf`. */
  path: string;
  /** An absolute URL the vendor handed out (a signed download link, a next-page link): used as is instead of `path`. */
  url?: string;
  query?: Record<string, string>;
  /** Built per attempt, so renewed credentials are picked up. */
  headers?: () => Promise<Record<string, string>> | Record<string, string>;
  body?: string;
  /** Safe to repeat (reads, even over POST). Only these are ever retried. */
  idempotent: boolean;
  /** Non-2xx statuses that are the vendor's answer, not a failure (a metering 409 Duplicate): returned with their body. */
  answers?: number[];
}

/** A path the upstream layer refuses to send: it would not reach the resource it names. */
export class UnsafePathError extends Error {
  constructor(what: string) {
    super(`Refused to call a vendor path: ${what}`);
    this.name = "UnsafePathError";
  }
}

/** One path segment, percent-encoded; "", "." and ".." are refused (a URL would drop or climb them). */
export function pathSegment(value: string): string {
  if (value === "" || value === "." || value === "..") throw new UnsafePathError(`"${value}" cannot be a path segment`);
  return encodeURIComponent(value);
}

/**
 * The one way to build a vendor path from values: `prefix` is a constant path kept as written, each of
 * `segments` becomes exactly one percent-encoded segment, so a `/`, `?`, `#`, `%` or `..` in an id can
 * never change which resource is called. `pathOf("/saas/subscriptions", id, "operations", operationId)`.
 */
export function pathOf(prefix: string, ...segments: string[]): string {
  return [prefix.endsWith("/") ? prefix.slice(0, -1) : prefix, ...segments.map(pathSegment)].join("/");
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  attempts: number;
}

/** A 2xx response whose body is left unread, to be streamed by the caller. */
export interface UpstreamStream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  attempts: number;
}

export interface Clock {
  now(): number;
  random(): number;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

/** Retry-After in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === "") return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

interface Failure {
  code: VendorErrorCode;
  message: string;
  status?: number;
  upstreamCode?: string;
  retryAfterMs?: number;
  retryable: boolean;
  cause?: unknown;
}

export class Upstream {
  constructor(
    private readonly target: UpstreamTarget,
    private readonly settings: HttpSettings,
    private readonly dispatcher: Dispatcher,
    private readonly logger: Logger,
    private readonly clock: Clock = { now: Date.now, random: Math.random },
    private readonly metrics?: UpstreamMetrics,
    private readonly governor?: Governor,
  ) {}

  /** Sends the request; resolves with a 2xx response read whole, throws a VendorError otherwise. */
  async send(call: CallContext, req: UpstreamRequest): Promise<UpstreamResponse> {
    return this.exchange(call, req, async (res) => ({ status: res.status, headers: res.headers, text: await res.body.text(), attempts: res.attempts }));
  }

  /**
   * Like send, but hands over the 2xx body unread. Retries happen only before a body is handed over;
   * a failure while the caller reads it is the caller's to report.
   */
  async open(call: CallContext, req: UpstreamRequest): Promise<UpstreamStream> {
    return this.exchange(call, req, async (res) => res);
  }

  private async exchange<T>(
    call: CallContext,
    req: UpstreamRequest,
    consume: (res: { status: number; headers: Record<string, string | string[] | undefined>; body: Readable & { text(): Promise<string> }; attempts: number }) => Promise<T>,
  ): Promise<T> {
    let url: URL;
    if (req.url) {
      url = new URL(req.url);
    } else {
      // Paths are absolute vendor paths; any path prefix of the base URL is kept in front of them.
      url = new URL(this.target.baseUrl);
      const path = joinPath(url.pathname, req.path);
      url.pathname = path;
      // The URL parser resolves dot segments and rewrites some characters: a path it changed is not the
      // one the connector meant, so it is not sent.
      if (url.pathname !== path) throw new UnsafePathError(`${req.route} path is not a plain path`);
    }
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    const log = call.logger.child({
      vendor: this.target.vendor,
      connectionId: this.target.connectionId,
      route: req.route,
      requestId: call.requestId,
    });

    const labels = { vendor: this.target.vendor, connection: this.target.connectionId, route: req.route };
    let failure: Failure | undefined;
    for (let attempt = 1; attempt <= this.settings.maxAttempts; attempt++) {
      const remaining = call.deadline.remainingMs();
      if (remaining <= 0 || call.deadline.signal.aborted) {
        failure = { code: "VENDOR_UNAVAILABLE", message: "The request's deadline passed before the vendor answered", retryable: false };
        break;
      }
      failure = undefined;
      // Headers first, outside the governor's slot: building them may itself call this connection (a
      // token request), which must not wait for a slot its own caller holds.
      let headers: Record<string, string> = {};
      let headersFailed: { error: unknown } | undefined;
      try {
        headers = { accept: "application/json", ...(req.headers ? await req.headers() : {}) };
        if (req.body !== undefined) headers["content-type"] = headers["content-type"] ?? "application/json";
        if (this.target.requestIdHeader) headers[this.target.requestIdHeader] = call.requestId;
      } catch (err) {
        headersFailed = { error: err };
      }
      const span: UpstreamSpan | undefined = call.trace
        ? startUpstreamSpan(call.trace, { vendor: this.target.vendor, connectionId: this.target.connectionId, route: req.route, method: req.method, attempt })
        : undefined;
      if (span && !headersFailed) span.inject(headers);
      const queuedAt = performance.now();
      // The attempt's outcome: the consumed answer, or a failure to classify (governor refusals throw).
      const attemptOnce = async (): Promise<{ value: T } | { failure: Failure }> => {
        // Timed from when the governor let it start: time queued is not the vendor's.
        const left = call.deadline.remainingMs();
        const started = this.clock.now();
        // Metrics use the real monotonic clock: the injected one may be a test's fixed time.
        const startedMono = performance.now();
        if (this.governor) span?.set({ "gateway.governor.wait_ms": Math.round((startedMono - queuedAt) * 10) / 10 });
        let answered = false;
        try {
          if (headersFailed) throw headersFailed.error;
          const res = await request(url, {
            dispatcher: this.dispatcher,
            method: req.method,
            headers,
            body: req.body,
            signal: call.deadline.signal,
            headersTimeout: Math.min(this.settings.headersTimeoutMs, left),
            bodyTimeout: Math.min(this.settings.bodyTimeoutMs, left),
          });
          answered = true;
          span?.answered(res.statusCode);
          this.metrics?.attempt(labels, res.statusCode, (performance.now() - startedMono) / 1000);
          log.debug({ method: req.method, status: res.statusCode, attempt, ms: this.clock.now() - started }, "upstream call");
          if ((res.statusCode >= 200 && res.statusCode < 300) || req.answers?.includes(res.statusCode)) {
            const value = await consume({ status: res.statusCode, headers: res.headers, body: res.body, attempts: attempt });
            this.governor?.recover();
            return { value };
          }
          const text = await res.body.text();
          if (res.statusCode === 429) this.governor?.slowDown(parseRetryAfter(res.headers["retry-after"], this.clock.now()));
          return { failure: this.classifyStatus(res.statusCode, res.headers, text, req.idempotent) };
        } catch (err) {
          // A failure while reading an answer's body was already counted with its status.
          if (!answered) this.metrics?.attempt(labels, "error", (performance.now() - startedMono) / 1000);
          span?.failed(headersFailed ? "headers_failed" : (errorName(err) ?? "error"));
          log.debug({ method: req.method, attempt, error: errorName(err) }, "upstream call failed");
          return {
            failure: {
              code: "VENDOR_UNAVAILABLE",
              message: call.deadline.signal.aborted
                ? "The request's deadline passed before the vendor answered"
                : "The vendor could not be reached or did not answer in time",
              retryable: req.idempotent && !call.deadline.signal.aborted,
              cause: err,
            },
          };
        }
      };
      let outcome: Awaited<ReturnType<typeof attemptOnce>>;
      try {
        outcome = this.governor && !headersFailed ? await this.governor.run(call, attemptOnce) : await attemptOnce();
      } catch (err) {
        // The governor refused the attempt: it never reached the vendor.
        span?.failed(err instanceof VendorError ? err.code : (errorName(err) ?? "error"));
        throw err;
      } finally {
        span?.end();
      }
      if ("value" in outcome) return outcome.value;
      failure = outcome.failure;

      if (!failure.retryable || attempt === this.settings.maxAttempts) break;
      const wait = this.retryDelay(attempt, failure.retryAfterMs);
      if (wait === undefined) break; // Retry-After beyond the cap: say so now rather than wait
      if (wait + this.settings.minAttemptMs >= call.deadline.remainingMs()) break; // could not finish in time
      log.warn({ attempt, status: failure.status, waitMs: Math.round(wait), code: failure.code }, "retrying upstream call");
      this.metrics?.retry(labels, failure.status !== undefined ? String(failure.status) : "error");
      try {
        await sleep(wait, undefined, { signal: call.deadline.signal });
      } catch {
        break; // the deadline passed while waiting
      }
    }

    const f = failure ?? { code: "VENDOR_UNAVAILABLE" as const, message: "The vendor did not answer", retryable: false };
    log.warn({ code: f.code, status: f.status, error: errorName(f.cause) }, "upstream call gave up");
    throw new VendorError(
      f.code,
      {
        vendor: this.target.vendor,
        connectionId: this.target.connectionId,
        upstreamStatus: f.status,
        upstreamCode: f.upstreamCode,
        requestId: call.requestId,
        retryAfterSeconds: f.retryAfterMs !== undefined ? Math.ceil(f.retryAfterMs / 1000) : undefined,
        cause: f.cause,
      },
      f.message,
    );
  }

  private classifyStatus(
    status: number,
    headers: Record<string, string | string[] | undefined>,
    text: string,
    idempotent: boolean,
  ): Failure {
    const upstreamCode = this.target.describeError?.(status, text);
    if (status === 401 || status === 403) {
      return { code: "VENDOR_AUTH_FAILED", message: `The vendor refused the gateway's credentials (HTTP ${status})`, status, upstreamCode, retryable: false };
    }
    if (status === 429) {
      return {
        code: "VENDOR_RATE_LIMITED",
        message: "The vendor is rate limiting requests",
        status,
        upstreamCode,
        retryAfterMs: parseRetryAfter(headers["retry-after"], this.clock.now()),
        retryable: idempotent,
      };
    }
    if (status >= 500) {
      return {
        code: "VENDOR_UNAVAILABLE",
        message: `The vendor failed (HTTP ${status})`,
        status,
        upstreamCode,
        retryAfterMs: parseRetryAfter(headers["retry-after"], this.clock.now()),
        retryable: idempotent && RETRYABLE_STATUS.has(status),
      };
    }
    return { code: "VENDOR_REJECTED", message: `The vendor rejected the request (HTTP ${status})`, status, upstreamCode, retryable: false };
  }

  /** Backoff before attempt+1: the vendor's Retry-After when given (undefined if over the cap), else full jitter. */
  private retryDelay(attempt: number, retryAfterMs: number | undefined): number | undefined {
    if (retryAfterMs !== undefined) {
      return retryAfterMs > this.settings.maxRetryAfterMs ? undefined : retryAfterMs;
    }
    const ceiling = Math.min(this.settings.maxDelayMs, this.settings.baseDelayMs * 2 ** (attempt - 1));
    return this.clock.random() * ceiling;
  }
}

function joinPath(base: string, path: string): string {
  const left = base.endsWith("/") ? base.slice(0, -1) : base;
  return `${left}${path.startsWith("/") ? path : `/${path}`}`;
}

function errorName(err: unknown): string | undefined {
  if (err === undefined) return undefined;
  if (err instanceof Error) return (err as Error & { code?: string }).code ?? err.name;
  return typeof err;
}
