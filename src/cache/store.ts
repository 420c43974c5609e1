/**
 * The cross-request cache: a keyv store (in memory by default; pluggable, e.g. Redis) with a TTL per
 * kind of data, single-flight for concurrent identical misses, and per-(connection, kind) generations
 * for invalidation across every caller scope. Entries hold the vendor's body text, so any store can
 * keep them and no decimal ever passes through a JS number.
 */
import Keyv from "keyv";

export interface CacheEntry {
  /** Payload (the vendor body text). */
  v: string;
  /** When it was fetched, epoch ms. */
  t: number;
}

export interface CacheResult {
  /** The full cache key the payload was stored under. */
  key: string;
  payload: string;
  fetchedAt: number;
  fromCache: boolean;
}

/** Decoded payloads kept in process, so a warm hit does not parse and map the same body again. */
const DECODED_MAX = 1000;

export interface ResponseCacheOptions {
  /** A keyv store adapter (a Map by default). */
  store?: Keyv["opts"]["store"];
  namespace?: string;
  now?: () => number;
}

export class ResponseCache {
  private readonly keyv: Keyv<CacheEntry | number>;
  private readonly inflight = new Map<string, Promise<CacheResult>>();
  private readonly namespace: string;
  private readonly store: unknown;
  /** In-process claims, for stores that are not shared (a Map). */
  private readonly localClaims = new Map<string, number>();
  private readonly decodedMemo = new Map<string, unknown>();
  private readonly now: () => number;
  /** Counters for benchmarks and tests. */
  readonly stats = { hits: 0, misses: 0, joined: 0 };

  constructor(options: ResponseCacheOptions = {}) {
    this.store = options.store ?? new Map();
    this.namespace = options.namespace ?? "gw";
    this.keyv = new Keyv<CacheEntry | number>({ store: this.store as Keyv["opts"]["store"], namespace: this.namespace });
    this.now = options.now ?? Date.now;
  }

  /** The invalidation generation of one kind of data of one connection. */
  async generation(connectionId: string, kind: string): Promise<number> {
    const g = await this.keyv.get(generationKey(connectionId, kind));
    return typeof g === "number" ? g : 0;
  }

  /** Makes every cached entry of that kind unreachable, for every caller scope. */
  async invalidate(connectionId: string, kind: string): Promise<void> {
    const g = await this.generation(connectionId, kind);
    await this.keyv.set(generationKey(connectionId, kind), g + 1);
  }

  /**
   * Returns the cached payload, or loads it once however many callers miss at the same time.
   * A `ttlMs` of 0 skips storing (still single-flight).
   */
  async getOrLoad(key: string, ttlMs: number, load: () => Promise<string>): Promise<CacheResult> {
    const hit = await this.keyv.get(key);
    if (hit && typeof hit === "object") {
      this.stats.hits++;
      return { key, payload: hit.v, fetchedAt: hit.t, fromCache: true };
    }
    const pending = this.inflight.get(key);
    if (pending) {
      this.stats.joined++;
      return pending;
    }
    this.stats.misses++;
    const promise = (async () => {
      const payload = await load();
      const fetchedAt = this.now();
      if (ttlMs > 0) await this.keyv.set(key, { v: payload, t: fetchedAt }, ttlMs);
      return { key, payload, fetchedAt, fromCache: false };
    })();
    this.inflight.set(key, promise);
    try {
      return await promise;
    } finally {
      this.inflight.delete(key);
    }
  }

  /**
   * The payload decoded by `decode`, memoised per (key, fetch time): entries are immutable, and the key
   * carries the caller's scope, so a decoded value is shared exactly as the payload is.
   */
  decoded<T>(result: CacheResult, decode: (payload: string) => T): T {
    const memoKey = `${result.key}@${result.fetchedAt}`;
    if (this.decodedMemo.has(memoKey)) return this.decodedMemo.get(memoKey) as T;
    const value = decode(result.payload);
    if (this.decodedMemo.size >= DECODED_MAX) this.decodedMemo.delete(this.decodedMemo.keys().next().value as string);
    this.decodedMemo.set(memoKey, value);
    return value;
  }

  /**
   * Claims a key for `ttlMs` if nobody holds it: true for the one caller that gets it. Atomic across
   * gateway instances on Redis (SET NX); within one process for an in-memory store.
   */
  async claim(key: string, ttlMs: number): Promise<boolean> {
    const full = `claim|${this.namespace}|${key}`;
    const redis = this.store as { getClient?: () => Promise<{ set(k: string, v: string, o: { NX: true; PX: number }): Promise<string | null> }> };
    if (typeof redis.getClient === "function") {
      const client = await redis.getClient();
      return (await client.set(full, String(process.pid), { NX: true, PX: Math.max(1, Math.round(ttlMs)) })) === "OK";
    }
    const until = this.localClaims.get(full);
    if (until !== undefined && until > this.now()) return false;
    this.localClaims.set(full, this.now() + ttlMs);
    return true;
  }

  async releaseClaim(key: string): Promise<void> {
    const full = `claim|${this.namespace}|${key}`;
    const redis = this.store as { getClient?: () => Promise<{ del(k: string): Promise<number> }> };
    if (typeof redis.getClient === "function") await (await redis.getClient()).del(full);
    else this.localClaims.delete(full);
  }

  /** A small JSON record (job tracking), shared through the store by every gateway instance. */
  async getRecord<T>(key: string): Promise<T | undefined> {
    const value = await this.keyv.get(`rec|${key}`);
    return value === undefined ? undefined : (JSON.parse(String((value as CacheEntry).v)) as T);
  }

  async setRecord(key: string, value: unknown, ttlMs: number): Promise<void> {
    await this.keyv.set(`rec|${key}`, { v: JSON.stringify(value), t: this.now() }, ttlMs);
  }

  async deleteRecord(key: string): Promise<void> {
    await this.keyv.delete(`rec|${key}`);
  }

  async clear(): Promise<void> {
    this.decodedMemo.clear();
    await this.keyv.clear();
  }

  async disconnect(): Promise<void> {
    await this.keyv.disconnect();
  }
}

function generationKey(connectionId: string, kind: string): string {
  return `gen|${encodeURIComponent(connectionId)}|${kind}`;
}
