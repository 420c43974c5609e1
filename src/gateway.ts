/**
 * createGateway(deps): the HTTP server (GraphQL on POST/GET /graphql, the playground on GET with
 * text/html, /healthz, /readyz), Apollo Server, caller authentication, and one context per request: caller
 * scope, deadline, DataLoaders, and (tracing on) the request's span. Used by main.ts, the tests and the benchmarks.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { ApolloServer, HeaderMap } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import type { Logger } from "pino";
import type { Dispatcher } from "undici";
import { createCallerAuthenticator, makeScope } from "./auth/caller";
import { DEFAULT_STORE_GUARD, ResponseCache, type MemoryCacheBounds, type ResponseCacheOptions, type StoreGuardOptions } from "./cache/store";
import { createCallerRateLimiter } from "./http/rate-limit";
import type { GatewayConfig, MetricsAccessConfig } from "./config";
import type { CallContext, CallerScope } from "./domain/connector";
import type { VendorConnector } from "./domain/connector";
import { UnauthenticatedError } from "./domain/errors";
import { scrubSecrets } from "./domain/secret";
import type { GatewayContext } from "./graphql/context";
import { DocumentStore, type DocumentStoreBounds } from "./graphql/document-store";
import { createErrorFormatter } from "./graphql/errors";
import { Loaders } from "./graphql/loaders";
import { createPlaygroundHandler } from "./graphql/playground";
import { gatewayPluginInputCheck } from "./graphql/plugins/input-check";
import { SupportedOperationTypesRule } from "./graphql/rules/supported-operations";
import { gatewayPluginPartialErrors } from "./graphql/plugins/partial-errors";
import { gatewayPluginMetrics } from "./graphql/plugins/metrics";
import { gatewayPluginAudit } from "./graphql/plugins/audit";
import { gatewayPluginCompanyScope } from "./graphql/plugins/company-scope";
import { AuditLog } from "./audit/audit-log";
import { INVOICE_LINES_EXPORT_PATH, streamInvoiceLinesExport } from "./http/exports";
import { createPriceBook } from "./pricing/price-book";
import { CustomerDirectory } from "./customers/service";
import { FileDirectoryStore, RedisDirectoryStore } from "./customers/store";
import { gatewayPluginTracing } from "./graphql/plugins/tracing";
import { createTracing, type RequestSpan } from "./tracing";
import { GatewayMetrics } from "./metrics";
import { ConnectorRegistry } from "./graphql/registry";
import { buildGatewaySchema } from "./graphql/schema";
import { buildSubgraphGatewaySchema } from "./graphql/federation";
import { createDeadline } from "./http/deadline";
import type { Deadline } from "./domain/connector";
import { createDispatcher } from "./http/upstream";
import { createLogger } from "./logger";
import { createConnector } from "./vendors";
import type { MarketplaceConnector } from "./vendors/microsoft-marketplace";
import { MarketplaceWebhooks } from "./vendors/microsoft-marketplace/webhook";
import { exampleOperations, type ExampleOperation } from "./graphql/examples";
import { gatewayPluginQueryCost, limitValidationRules } from "./graphql/limits";
import { gatewayPluginTrustedDocuments } from "./graphql/trusted-documents";

export const GRAPHQL_PATH = "/graphql";

export interface GatewayOptions {
  config: GatewayConfig;
  logger?: Logger;
  /** A keyv store for the response cache (memory by default). */
  cacheStore?: ResponseCacheOptions["store"];
  /** How calls to `cacheStore` are bounded (timeout per call, probe interval while it is down). */
  storeGuard?: Partial<StoreGuardOptions>;
  /** Bounds of the in-memory response cache (when there is no `cacheStore`). */
  memoryCache?: Partial<MemoryCacheBounds>;
  /** Bounds of the cache of parsed GraphQL documents. */
  documentStore?: Partial<DocumentStoreBounds>;
  now?: () => number;
  random?: () => number;
  port?: number;
  host?: string;
  /** Sandbox mode: callers without a token get the full scope; the playground is pre-filled with this token. */
  sandbox?: { devToken: string };
  /** Operations shown in the playground. */
  examples?: ExampleOperation[];
  /** How long stop() lets requests in flight finish before it closes their connections (default 5 s). */
  shutdownGraceMs?: number;
  /** Also export prom-client's process metrics (CPU, memory, event loop); main.ts turns this on. */
  processMetrics?: boolean;
}

export interface Gateway {
  url: string;
  graphqlUrl: string;
  cache: ResponseCache;
  /** Parsed and validated documents kept by Apollo. */
  documents: DocumentStore;
  registry: ConnectorRegistry;
  connectors: VendorConnector[];
  metrics: GatewayMetrics;
  /** Where /metrics is served: the gateway's own URL, a separate port's, or undefined when it is off. */
  metricsUrl: string | undefined;
  stop(): Promise<void>;
}

/** What the access log line of one request says, filled in as the request is handled. */
interface AccessRecord {
  requestId: string;
  subject?: string;
  /** The GraphQL request's span, when tracing is on; ended with the response. */
  span?: RequestSpan;
}

const ACCESS_PATH_MAX = 200;

/** The endpoint label of a request path: a fixed set, so a caller cannot grow the metric's series. */
function endpointOf(pathname: string): string {
  if (pathname === GRAPHQL_PATH || pathname === "/healthz" || pathname === "/metrics") return pathname;
  if (pathname.startsWith("/webhooks/microsoft-marketplace/")) return "/webhooks/microsoft-marketplace";
  if (pathname === INVOICE_LINES_EXPORT_PATH) return pathname;
  return "(other)";
}

/** Compares digests, so the check takes the same time however much of a wrong token matches. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  if (!m) return false;
  const digest = (v: string) => createHash("sha256").update(v).digest();
  return timingSafeEqual(digest(m[1]), digest(token));
}

/** True when a POST body or a GET's `extensions` parameter carries `extensions.persistedQuery`. */
function namesPersistedQuery(body: unknown, url: URL): boolean {
  let extensions: unknown = body !== null && typeof body === "object" && !Array.isArray(body) ? (body as { extensions?: unknown }).extensions : undefined;
  const param = url.searchParams.get("extensions");
  if (extensions === undefined && param !== null) {
    try {
      extensions = JSON.parse(param);
    } catch {
      return false; // Apollo refuses the malformed parameter itself (400)
    }
  }
  return extensions !== null && typeof extensions === "object" && "persistedQuery" in extensions;
}

/** `application/json`, with no charset or a UTF-8 one (the body is decoded as UTF-8). */
export function isJsonMediaType(header: string | undefined): boolean {
  if (!header) return false;
  const [type, ...params] = header.split(";").map((p) => p.trim().toLowerCase());
  if (type !== "application/json") return false;
  return params.every((p) => !p.startsWith("charset=") || /^charset="?utf-?8"?$/.test(p));
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
}

class BodyTooLargeError extends Error {
  constructor() {
    super("body too large");
    this.name = "BodyTooLargeError";
  }
}

/**
 * The body as text, at most `maxBytes`. A larger one is read to its end but not kept, so the
 * client gets its 413 instead of a reset connection; past 16 times that the connection is dropped.
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const MAX_BODY_BYTES = maxBytes;
  const DRAIN_LIMIT_BYTES = 16 * maxBytes;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > DRAIN_LIMIT_BYTES) {
        req.destroy();
        return;
      }
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on("end", () => (size > MAX_BODY_BYTES ? reject(new BodyTooLargeError()) : resolve(Buffer.concat(chunks).toString("utf8"))));
    req.on("error", reject);
    req.on("close", () => reject(new BodyTooLargeError())); // dropped past the drain limit; a no-op after "end"
  });
}

/**
 * Stops accepting connections and lets the responses in flight finish within `graceMs`; then closes
 * whatever is left. Keep-alive sockets are closed as soon as their response is done, rather than
 * idling until keepAliveTimeout.
 */
async function drainHttp(server: Server, inFlight: Set<ServerResponse>, graceMs: number): Promise<"drained" | "cut"> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const release = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader("connection", "close");
    res.once("finish", () => setImmediate(() => server.closeIdleConnections()));
  };
  for (const res of inFlight) release(res);
  // A request that still arrives on an open keep-alive socket is served, and its socket closed after.
  server.on("request", (_req: IncomingMessage, res: ServerResponse) => release(res));
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<"grace over">((resolve) => {
    timer = setTimeout(() => resolve("grace over"), graceMs);
  });
  const outcome = await Promise.race([closed, graceOver]);
  clearTimeout(timer);
  if (outcome !== "grace over") return "drained";
  server.closeAllConnections();
  await closed;
  return "cut";
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config } = options;
  const logger = options.logger ?? createLogger();
  const now = options.now ?? Date.now;
  const cache = new ResponseCache({ store: options.cacheStore, memory: options.memoryCache, now, guard: options.storeGuard, logger });
  // Counted in Redis when Redis is the store (one count per caller across instances), else in memory.
  const redisClient = (options.cacheStore as { client?: unknown } | undefined)?.client;
  // Connects a shared store now (it would connect on first use): the rate limiter counts in it from the start.
  if (redisClient) await cache.checkStore();
  const rateLimiter = config.rateLimit
    ? createCallerRateLimiter(config.rateLimit, redisClient ? { client: redisClient, timeoutMs: options.storeGuard?.timeoutMs ?? DEFAULT_STORE_GUARD.timeoutMs } : undefined)
    : null;
  const documents = new DocumentStore(options.documentStore);
  const dispatcher: Dispatcher = createDispatcher(config.http);
  const metrics = new GatewayMetrics({ cache, processMetrics: options.processMetrics });
  const connectors = config.connections.map((c) =>
    createConnector(c, { dispatcher, http: config.http, cache, ttls: config.ttls, logger, now, random: options.random, metrics, governors: config.governors }),
  );
  const registry = new ConnectorRegistry(connectors);
  const priceBook = createPriceBook(config.priceBook);
  // The customer directory's edits live in Redis when it is the store (shared by every instance), else in the data directory.
  const directoryStore = cache.sharedClient ? new RedisDirectoryStore(cache, config.customerDirectory.name) : new FileDirectoryStore(config.customerDirectory.dataDir, logger);
  const customerDirectory = new CustomerDirectory(config.customerDirectory.customers, directoryStore, logger);
  await customerDirectory.start();
  const authenticate = createCallerAuthenticator(config.auth, logger);
  const formatError = createErrorFormatter(logger);
  const webhooks = new MarketplaceWebhooks({ store: cache, logger, now });
  const audit = new AuditLog(cache, logger, config.audit.maxEntries);
  const tracing = createTracing(config.tracing, logger);

  const apollo = new ApolloServer<GatewayContext>({
    schema: config.subgraph ? await buildSubgraphGatewaySchema() : await buildGatewaySchema(),
    introspection: config.introspection,
    // limits.ts: bounds checked before execution. The token bound stops the parser itself.
    parseOptions: { maxTokens: config.limits.maxTokens },
    documentStore: documents,
    // No client of ours sends persisted queries; off, a caller cannot fill a cache with its own hashes.
    persistedQueries: false,
    validationRules: [SupportedOperationTypesRule, ...limitValidationRules(config.limits)],
    // A JSON array body (several operations) is refused, 400: one request is one operation, within the limits.
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGINT/SIGTERM: Apollo's own handlers would race it and stop Apollo under requests in flight.
    stopOnTerminationSignals: false,
    formatError,
    plugins: [
      // Our own playground replaces Apollo's landing page (which loads from a CDN); HTTP cache hints are not used.
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      // Apollo adds inline traces to a subgraph's answers on a router's request; they would carry
      // unmasked error details and timings past formatError. Not used.
      ApolloServerPluginInlineTraceDisabled(),
      // Safelist first: an operation not allowed is refused before its cost or input is looked at.
      gatewayPluginTrustedDocuments(config.trustedDocuments),
      // A company-scoped caller's operation may not touch the partner's fields: refused (403) before anything runs.
      gatewayPluginCompanyScope(),
      gatewayPluginQueryCost(config.limits),
      gatewayPluginInputCheck(),
      gatewayPluginPartialErrors(formatError),
      gatewayPluginMetrics(metrics),
      gatewayPluginAudit(audit, now),
      gatewayPluginTracing(),
    ],
  });
  await apollo.start();

  const playground = createPlaygroundHandler({ endpoint: GRAPHQL_PATH, token: options.sandbox?.devToken, examples: options.examples ?? exampleOperations(now(), null) });

  async function callerScope(req: IncomingMessage): Promise<CallerScope> {
    const header = req.headers.authorization;
    if (options.sandbox && !header) return makeScope("sandbox", null, "*", { roles: ["admin"] });
    return authenticate(header);
  }

  // /metrics: off unless configured; open in the sandbox; on its own port when one is configured.
  const metricsAccess: MetricsAccessConfig | undefined = config.metrics ?? (options.sandbox ? {} : undefined);
  const metricsOnMainPort = metricsAccess !== undefined && metricsAccess.port === undefined;

  async function serveMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const token = metricsAccess?.token;
    if (token && !bearerMatches(req.headers.authorization, token.reveal())) {
      return sendJson(res, 401, { error: "a valid metrics bearer token is required" }, { "www-authenticate": "Bearer" });
    }
    if (req.method !== "GET" && req.method !== "HEAD") return sendJson(res, 405, { error: "GET only" }, { allow: "GET, HEAD" });
    const text = await metrics.text();
    res.writeHead(200, { "content-type": metrics.contentType });
    res.end(req.method === "HEAD" ? undefined : text);
  }

  /** What every resolver (and the export) gets, built per request. */
  async function requestContext(scope: CallerScope, requestId: string, deadline: Deadline, span: RequestSpan | undefined): Promise<GatewayContext> {
    const requestLogger = logger.child({ requestId });
    const call: CallContext = { scope, deadline, requestId, logger: requestLogger, trace: span?.trace };
    return {
      requestId,
      scope,
      call,
      registry,
      loaders: new Loaders(registry, call),
      logger: requestLogger,
      now,
      partialErrors: [],
      maxPageSize: config.limits.maxPageSize,
      cache,
      directory: await customerDirectory.snapshot(),
      customerDirectory,
      priceBook,
      audit,
      span,
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse, access: AccessRecord): Promise<void> {
    const url = new URL(req.url ?? "/", "http://gateway.local");
    // Liveness: the process answers. Readiness (/readyz) is about what requests depend on.
    if (url.pathname === "/healthz") return sendJson(res, 200, { status: "ok" });
    if (url.pathname === "/readyz") return readiness(res);
    if (url.pathname === "/metrics" && metricsOnMainPort) return serveMetrics(req, res);
    const webhook = /^\/webhooks\/microsoft-marketplace\/([^/]+)$/.exec(url.pathname);
    if (webhook && req.method === "POST") return marketplaceWebhook(req, res, decodeURIComponent(webhook[1]));
    if (config.playground && req.method === "GET" && playground(req, res)) return;
    const isExport = url.pathname === INVOICE_LINES_EXPORT_PATH;
    if (url.pathname !== GRAPHQL_PATH && !isExport) return sendJson(res, 404, { errors: [{ message: "Not found", extensions: { code: "NOT_FOUND" } }] });
    const span = (access.span = tracing?.startRequest(req.headers, req.method ?? "GET", access.requestId));
    // A request refused before Apollo: its error code goes on the span too.
    const refuse = (status: number, code: string, message: string, headers?: Record<string, string>, extensions: Record<string, unknown> = {}) => {
      span?.errorCodes([code]);
      sendJson(res, status, { errors: [{ message, extensions: { code, ...extensions } }] }, headers);
    };

    let scope: CallerScope;
    try {
      scope = await callerScope(req);
    } catch (err) {
      const message = err instanceof UnauthenticatedError ? err.message : "A valid bearer token is required";
      return refuse(401, "UNAUTHENTICATED", message, { "www-authenticate": "Bearer" });
    }
    access.subject = scope.subject;
    if (rateLimiter) {
      const decision = await rateLimiter.consume(scope);
      if (!decision.allowed) {
        const { requests, windowSeconds } = rateLimiter.config;
        return refuse(429, "RATE_LIMITED", `Too many requests: at most ${requests} per ${windowSeconds} s for this caller`, { "retry-after": String(decision.retryAfterSeconds) }, {
          retryAfterSeconds: decision.retryAfterSeconds,
        });
      }
    }

    if (isExport) {
      if (req.method !== "GET" && req.method !== "HEAD") return refuse(405, "BAD_REQUEST", "Exports are read with GET", { allow: "GET, HEAD" });
      const deadline = createDeadline(config.requestDeadlineMs, now);
      try {
        return await streamInvoiceLinesExport(await requestContext(scope, access.requestId, deadline, span), url, req, res, metrics);
      } finally {
        deadline.cancel();
      }
    }

    let body: unknown;
    if (req.method === "POST") {
      let text: string;
      try {
        text = await readBody(req, config.limits.maxBodyBytes);
      } catch (err) {
        if (!(err instanceof BodyTooLargeError)) throw err;
        return refuse(413, "BAD_REQUEST", `Request body too large (at most ${config.limits.maxBodyBytes} bytes)`, undefined, { limit: "body" });
      }
      // GraphQL over HTTP: a POST body is application/json, read as UTF-8; anything else is not guessed at.
      if (!isJsonMediaType(req.headers["content-type"])) {
        return refuse(415, "BAD_REQUEST", "A POST body must be application/json (UTF-8)", { accept: "application/json" });
      }
      try {
        body = text === "" ? undefined : JSON.parse(text);
      } catch {
        return refuse(400, "BAD_REQUEST", "The request body is not valid JSON");
      }
    }

    // Persisted queries are off: a request naming one is refused as a request error (400), not the 200
    // Apollo gives it, so every refused request is a 4xx for both response media types.
    if (namesPersistedQuery(body, url)) {
      return refuse(400, "PERSISTED_QUERY_NOT_SUPPORTED", "Persisted queries are not supported: send the query");
    }

    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    const requestId = access.requestId;
    const deadline = createDeadline(config.requestDeadlineMs, now);
    try {
      const result = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? "GET", headers, search: url.search, body },
        context: async () => requestContext(scope, requestId, deadline, span),
      });
      res.statusCode = result.status ?? 200;
      for (const [name, value] of result.headers) res.setHeader(name, value);
      if (result.body.kind === "complete") {
        res.end(result.body.string);
      } else {
        for await (const chunk of result.body.asyncIterator) res.write(chunk);
        res.end();
      }
    } finally {
      deadline.cancel();
    }
  }

  /**
   * Ready when the store answers and every configured connection has its connector (its configuration
   * loaded). A store that is down makes it 503: the gateway still answers (from the vendors), but a
   * load balancer may prefer an instance whose cache works.
   */
  async function readiness(res: ServerResponse): Promise<void> {
    const store = await cache.checkStore();
    const connections = config.connections.map((c) => ({ id: c.id, vendor: c.vendor, ready: registry.get(c.id) !== undefined }));
    const ready = store.status === "up" && connections.every((c) => c.ready);
    sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "not ready", store, connections }, { "cache-control": "no-store" });
  }

  /** Microsoft's calls: authenticated by their own JWT (not a caller token), answered within its 10 s window. */
  async function marketplaceWebhook(req: IncomingMessage, res: ServerResponse, connectionId: string): Promise<void> {
    const connector = registry.get(connectionId);
    if (!connector || connector.info.api !== "microsoft-marketplace") return sendJson(res, 404, { error: "unknown connection" });
    let body: string;
    try {
      body = await readBody(req, config.limits.maxBodyBytes);
    } catch (err) {
      if (!(err instanceof BodyTooLargeError)) throw err;
      return sendJson(res, 413, { error: "body too large" });
    }
    try {
      // Answered once verified and recorded; confirming and acting on it go on in the background.
      const result = await webhooks.handle(connector as MarketplaceConnector, req.headers.authorization, body);
      logger.info({ connectionId, status: result.status, outcome: result.body.outcome }, "marketplace webhook");
      sendJson(res, result.status, result.body);
    } catch (err) {
      logger.warn({ connectionId, err: err instanceof Error ? scrubSecrets(err.message) : String(err) }, "marketplace webhook failed");
      sendJson(res, 503, { error: "could not take the event now; deliver it again" });
    }
  }

  const inFlight = new Set<ServerResponse>();
  /** One line per request, when its response is done (or its connection dropped): no headers, no query string. */
  function logAccess(req: IncomingMessage, res: ServerResponse, access: AccessRecord, started: number): void {
    const path = new URL(req.url ?? "/", "http://gateway.local").pathname.slice(0, ACCESS_PATH_MAX);
    const status = res.writableFinished ? res.statusCode : 0; // 0: the client went away before the answer
    metrics.http(endpointOf(path), req.method ?? "GET", status);
    access.span?.end(status);
    logger.info(
      { requestId: access.requestId, method: req.method, path, status, durationMs: Math.round((performance.now() - started) * 10) / 10, subject: access.subject },
      "request",
    );
  }

  const server: Server = createServer((req, res) => {
    inFlight.add(res);
    const started = performance.now();
    // Every response carries its request id, the one in the access log and sent to vendors.
    const access: AccessRecord = { requestId: randomUUID() };
    res.setHeader("x-request-id", access.requestId);
    res.once("close", () => {
      inFlight.delete(res);
      logAccess(req, res, access, started);
    });
    handle(req, res, access).catch((err: unknown) => {
      access.span?.errorCodes(["INTERNAL_SERVER_ERROR"]);
      logger.error({ err: err instanceof Error ? scrubSecrets(err.message) : String(err) }, "request failed");
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }] });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const url = urlOf(server);

  let metricsServer: Server | undefined;
  if (metricsAccess?.port !== undefined) {
    metricsServer = createServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://gateway.local").pathname;
      const served = path === "/metrics" ? serveMetrics(req, res) : Promise.resolve(sendJson(res, 404, { error: "not found" }));
      served.catch(() => {
        if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      metricsServer!.once("error", reject);
      metricsServer!.listen(metricsAccess.port, options.host ?? "127.0.0.1", () => resolve());
    });
  }
  const metricsUrl = metricsServer ? `${urlOf(metricsServer)}/metrics` : metricsOnMainPort ? `${url}/metrics` : undefined;

  return {
    url,
    graphqlUrl: `${url}${GRAPHQL_PATH}`,
    cache,
    documents,
    registry,
    connectors,
    metrics,
    metricsUrl,
    async stop() {
      // In order: nothing new comes in and what is in flight finishes, then what those requests used.
      let http: "drained" | "cut" = "cut";
      // One grace for requests and webhook work together, so stopping stays within it (plus the closes).
      const graceEnds = performance.now() + (options.shutdownGraceMs ?? 5_000);
      const graceLeft = () => Math.max(0, graceEnds - performance.now());
      const steps: Array<[name: string, run: () => Promise<void>]> = [
        ["http", async () => void (http = await drainHttp(server, inFlight, graceLeft()))],
        // Webhook events answered but still being acted on use the upstream and the store.
        ["webhooks", async () => void (await webhooks.drain(graceLeft()))],
        ["apollo", () => apollo.stop()],
        // Requests cut at the end of the grace may still wait on a vendor: their calls are abandoned.
        ["upstream", () => (http === "drained" ? dispatcher.close() : dispatcher.destroy())],
        ["cache", () => cache.disconnect()],
        [
          "metrics",
          async () => {
            if (!metricsServer) return;
            const closed = new Promise<void>((resolve) => metricsServer!.close(() => resolve()));
            metricsServer.closeAllConnections(); // a scraper's keep-alive socket would hold close() open
            await closed;
          },
        ],
        // Last: the spans of everything above (vendor calls cut at the end included) are flushed.
        ["tracing", async () => void (await tracing?.shutdown())],
      ];
      for (const [name, run] of steps) {
        try {
          await run();
        } catch (err) {
          logger.warn({ step: name, err: err instanceof Error ? scrubSecrets(err.message) : String(err) }, "stop step failed");
        }
      }
    },
  };
}

function urlOf(server: Server): string {
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
