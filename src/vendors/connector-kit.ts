/**
 * Plumbing shared by every connector: a read through the scoped cache (single-flight) to the upstream
 * layer, and the provenance every vendor-backed object carries.
 */
import type { Logger } from "pino";
import type { Dispatcher } from "undici";
import { cacheKey } from "../cache/keys";
import type { ResponseCache } from "../cache/store";
import type { CallContext } from "../domain/connector";
import { VendorError } from "../domain/errors";
import type { ConnectionInfo, PartnerRecord, Provenance, Sourced } from "../domain/model";
import { isClosedPeriod, type BillingPeriod } from "../domain/period";
import { DEFAULT_GOVERNOR, Governor, type GovernorSettings } from "../http/governor";
import { Upstream, type HttpSettings, type UpstreamRequest, type UpstreamTarget } from "../http/upstream";
import type { UpstreamMetrics } from "../metrics";
import type { VendorApi } from "../domain/model";

/** How long each kind of data may be served from cache: by how final it is (DOMAIN.md, Rules). */
export interface CacheTtls {
  /** Current usage: changes any time. */
  currentUsageMs: number;
  /** Account lists and statuses. */
  accountsMs: number;
  /** The running month's statement: still moving. */
  openPeriodMs: number;
  /** A closed month's statement: can no longer change. */
  closedPeriodMs: number;
  /** Product catalogues. */
  catalogueMs: number;
}

export const DEFAULT_TTLS: CacheTtls = {
  currentUsageMs: 60_000,
  accountsMs: 60_000,
  openPeriodMs: 5 * 60_000,
  closedPeriodMs: 24 * 3_600_000,
  catalogueMs: 24 * 3_600_000,
};

/** Everything a connector factory is given; no globals (STYLE.md, A vendor connector). */
export interface ConnectorDeps {
  dispatcher: Dispatcher;
  http: HttpSettings;
  cache: ResponseCache;
  ttls: CacheTtls;
  logger: Logger;
  now: () => number;
  random?: () => number;
  /** Upstream attempts, latencies and retries, by vendor, connection and route. */
  metrics?: UpstreamMetrics;
  /** Quota governor settings by connection id (config.ts); a connection not listed gets its vendor's DEFAULT_GOVERNOR. */
  governors?: ReadonlyMap<string, GovernorSettings>;
}

/**
 * Where each contract takes a client-chosen request id (the gateway's request id goes there):
 * microsoft-partner-billing.md `client-request-id`; microsoft-marketplace.md `x-ms-correlationid` (the
 * per-call `x-ms-requestid` stays the connector's); Webex's REST APIs take `TrackingID` (webex.md only
 * names the trackingId in error bodies: not confirmed for these endpoints, and harmless if ignored).
 * keeper.md names no such header.
 */
export const REQUEST_ID_HEADERS: Record<VendorApi, string | undefined> = {
  "keeper-msp": undefined,
  "keeper-distributor": undefined,
  "webex-wholesale": "trackingid",
  "microsoft-marketplace": "x-ms-correlationid",
  "microsoft-partner-billing": "client-request-id",
};

/**
 * The connection's upstream client: the one HTTP layer, with the connector's clock, the vendor's error
 * reader and the connection's quota governor (one per connection: every call of it shares the bound).
 */
export function createUpstream(info: ConnectionInfo, baseUrl: string, deps: ConnectorDeps, describeError?: UpstreamTarget["describeError"]): Upstream {
  const governor = new Governor(
    { vendor: info.vendor, connectionId: info.id },
    deps.governors?.get(info.id) ?? DEFAULT_GOVERNOR[info.api],
    deps.metrics,
    deps.http.minAttemptMs,
    deps.http.maxRetryAfterMs,
  );
  return new Upstream(
    { vendor: info.vendor, connectionId: info.id, baseUrl, describeError, requestIdHeader: REQUEST_ID_HEADERS[info.api] },
    deps.http,
    deps.dispatcher,
    deps.logger,
    { now: deps.now, random: deps.random ?? Math.random },
    deps.metrics,
    governor,
  );
}

export type InvalidationKind = "accounts" | "usage" | "catalogue";

export function statementTtl(ttls: CacheTtls, period: BillingPeriod, now: number): number {
  return isClosedPeriod(period, new Date(now)) ? ttls.closedPeriodMs : ttls.openPeriodMs;
}

export interface CachedRead {
  op: string;
  kind: InvalidationKind;
  args: unknown;
  ttlMs: number;
  request: UpstreamRequest;
}

/**
 * Reads through the scoped cache and decodes the body. A body that fails to decode is not kept: the
 * next request fetches again rather than serving the same bad answer for a whole TTL.
 */
export async function cachedRead<T>(
  info: ConnectionInfo,
  deps: Pick<ConnectorDeps, "cache" | "now">,
  upstream: Upstream,
  call: CallContext,
  read: CachedRead,
  decode: (payload: string) => T,
): Promise<Sourced<T>> {
  const generation = await deps.cache.generation(info.id, read.kind);
  const key = cacheKey({ connectionId: info.id, scope: call.scope.key, op: read.op, args: read.args, generation });
  let fresh: { value: T } | undefined;
  const result = await deps.cache.getOrLoad(key, read.ttlMs, async () => {
    const text = (await upstream.send(call, read.request)).text;
    fresh = { value: decode(text) }; // throws before anything is stored
    return text;
  });
  const value = fresh ? deps.cache.decoded(result, () => fresh!.value) : deps.cache.decoded(result, decode);
  return { value, source: provenance(info, result.fetchedAt, result.fromCache, deps.now()) };
}

export function provenance(info: ConnectionInfo, fetchedAt: number, fromCache: boolean, now: number): Provenance {
  return {
    connectionId: info.id,
    vendor: info.vendor,
    fetchedAt: new Date(fetchedAt),
    fromCache,
    ageSeconds: Math.max(0, Math.floor((now - fetchedAt) / 1000)),
  };
}

/** Provenance of data the connector has without asking the vendor (configuration, derived values). */
export function localProvenance(info: ConnectionInfo, deps: Pick<ConnectorDeps, "now">): Provenance {
  const now = deps.now();
  return provenance(info, now, false, now);
}

/** The partner a connection speaks for: known from configuration, no upstream call. */
export function rootPartnerRecord(info: ConnectionInfo, key: string, role: PartnerRecord["role"], name: string | null, externalIds: PartnerRecord["externalIds"] = []): PartnerRecord {
  return { connectionId: info.id, vendor: info.vendor, key, parentKey: null, role, name, externalIds, subscription: null };
}

export function warnUnknown(logger: Logger, info: ConnectionInfo) {
  return (field: string, value: string) =>
    logger.warn({ vendor: info.vendor, connectionId: info.id, field, value }, "unknown vendor value mapped to UNKNOWN");
}

/**
 * The shapes a vendor's list may come in besides `{ <key>: [...] }`, each only where a contract or a
 * known emulator says so: the body is the array itself (`bare`), an empty HTTP body for none
 * (`emptyBody`), `{}` for none (`emptyObject`), or the key left out for none (`absent`).
 */
export interface ListShapes {
  bare?: boolean;
  emptyBody?: boolean;
  emptyObject?: boolean;
  absent?: boolean;
  /** What the items are; objects by default. */
  of?: "object" | "string";
}

/** A JSON object as parsed (JSON.parse or lossless-json), not a list or a lossless-json number. */
function isPlainObject(value: unknown): boolean {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function shapeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (isPlainObject(value)) return "an object";
  // lossless-json keeps numbers as LosslessNumber objects.
  if (typeof value === "object" && (value as { isLosslessNumber?: unknown }).isLosslessNumber === true) return "a number";
  return `a ${typeof value}`;
}

/**
 * The list at `body[key]` (or in one of the accepted `shapes`); `undefined` stands for an empty HTTP
 * body. Anything else is VENDOR_BAD_RESPONSE saying what came: a body of an unknown shape is never
 * read as an empty list (that would pass for "nothing there").
 */
export function listOf<T>(info: ConnectionInfo, body: unknown, key: string, what: string, shapes: ListShapes = {}): T[] {
  const bad = (problem: string) => new VendorError("VENDOR_BAD_RESPONSE", { vendor: info.vendor, connectionId: info.id }, `The vendor's ${what} is not a list: ${problem}`);
  let list: unknown[];
  if (body === undefined) {
    if (!shapes.emptyBody) throw bad("the body is empty");
    return [];
  } else if (Array.isArray(body)) {
    if (!shapes.bare) throw bad(`expected an object with "${key}", got a list`);
    list = body;
  } else if (!isPlainObject(body)) {
    throw bad(`expected an object with "${key}", got ${shapeOf(body)}`);
  } else {
    const value = (body as Record<string, unknown>)[key];
    if (value === undefined) {
      if (shapes.absent || (shapes.emptyObject && Object.keys(body as object).length === 0)) return [];
      throw bad(`"${key}" is missing`);
    }
    if (!Array.isArray(value)) throw bad(`"${key}" is ${shapeOf(value)}`);
    list = value;
  }
  const of = shapes.of ?? "object";
  const wrong = list.findIndex((item) => (of === "string" ? typeof item !== "string" : !isPlainObject(item)));
  if (wrong >= 0) throw bad(`item ${wrong} is ${shapeOf(list[wrong])}, not ${of === "string" ? "a string" : "an object"}`);
  return list as T[];
}
