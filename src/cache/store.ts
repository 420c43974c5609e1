/**
 * The cross-request cache: a keyv store (in memory by default; pluggable, e.g. Redis) with a TTL per
 * kind of data, single-flight for concurrent identical misses, and per-(connection, kind) generations
 * for invalidation across every caller scope. Entries hold the vendor's body text, so any store can
 * keep them and no decimal ever passes through a JS number.
 * In memory, every map is bounded: cache keys carry caller-chosen arguments, so an unbounded Map grows
 * with every distinct request (issue 10, item 4).
 */
import Keyv from "keyv";
import { LRUCache } from "lru-cache";

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

/** Bounds of the in-memory store; the least recently used entries go first when either is reached. */
export interface MemoryCacheBounds {
  maxEntries: number;
  /** UTF-8 bytes of keys and stored values together (an entry larger than this is not kept). */
  maxBytes: number;
}

export const DEFAULT_MEMORY_CACHE_BOUNDS: MemoryCacheBounds = { maxEntries: 10_000, maxBytes: 256 * 1024 * 1024 };

/** Decoded payloads kept in process, so a warm hit does not parse and map the same body again. */
const DECODED_MAX = 1000;
/** Job records and in-process claims: small, one per report or export job. */
const RECORDS_MAX = 10_000;

export interface ResponseCacheOptions {
  /** A keyv store adapter (a bounded in-memory LRU by default). */
  store?: Keyv["opts"]["store"];
  /** Bounds of the default in-memory store (ignored with `store`). */
  memory?: Partial<MemoryCacheBounds>;
  namespace?: string;
  now?: () => number;
}

/**
 * keyv's store contract over an LRU. keyv calls `set(key, value, ttlMs)`, which LRUCache#set cannot take
 * (its third argument is an options object), and keeps the expiry inside the value itself, so the
 * LRU only bounds memory.
 */
export class LruKeyvStore {
  constructor(readonly lru: LRUCache<string, string>) {}
  get(key: string): string | undefined {
    return this.lru.get(key);
  }
  set(key: string, value: string): boolean {
    this.lru.set(key, value);
    return true;
  }
  delete(key: string): boolean {
    return this.lru.delete(key);
  }
  has(key: string): boolean {
    return this.lru.has(key);
  }
  clear(): void {
    this.lru.clear();
  }
}

/** The default store: keyv hands it serialised strings, sized as the bytes a shared store would hold. */
export function boundedMemoryStore(bounds: Partial<MemoryCacheBounds> = {}): LruKeyvStore {
  const { maxEntries, maxBytes } = { ...DEFAULT_MEMORY_CACHE_BOUNDS, ...bounds };
  return new LruKeyvStore(
    new LRUCache<string, string>({
      max: maxEntries,
      maxSize: maxBytes,
      sizeCalculation: (value, key) => Math.max(1, Buffer.byteLength(key) + Buffer.byteLength(String(value))),
    }),
  );
}

export class ResponseCache {
  private readonly keyv: Keyv<CacheEntry | number>;
  /**
   * Generations and job records. The same store when it is shared (Redis); in memory, apart from the
   * payloads so that a flood of distinct payloads cannot evict them: a lost generation would make
   * invalidated entries reachable again, a lost job record would start a vendor job twice.
   * Generations are keyed by configured connection and a fixed kind, so their Map stays small.
   */
  private readonly generations: Keyv<CacheEntry | number>;
  private readonly records: Keyv<CacheEntry | number>;
  /** Entries live only while their load runs, so this is bounded by the requests in flight. */
  private readonly inflight = new Map<string, Promise<CacheResult>>();
  private readonly namespace: string;
  private readonly store: unknown;
  /** In-process claims, for stores that are not shared: until when each is held (by `now`). */
  private readonly localClaims = new LRUCache<string, number>({ max: RECORDS_MAX });
  /** Sized by the payload each value was decoded from, within the same byte bound as the store. */
  private readonly decodedMemo: LRUCache<string, { value: unknown }>;
  private readonly now: () => number;
  /** Counters for benchmarks and tests. */
  readonly stats = { hits: 0, misses: 0, joined: 0 };

  constructor(options: ResponseCacheOptions = {}) {
    const bounds = { ...DEFAULT_MEMORY_CACHE_BOUNDS, ...options.memory };
    this.store = options.store ?? boundedMemoryStore(bounds);
    this.namespace = options.namespace ?? "gw";
    this.keyv = new Keyv<CacheEntry | number>({ store: this.store as Keyv["opts"]["store"], namespace: this.namespace });
    const shared = options.store !== undefined;
    this.generations = shared ? this.keyv : new Keyv<CacheEntry | number>({ store: new Map(), namespace: this.namespace });
    this.records = shared ? this.keyv : new Keyv<CacheEntry | number>({ store: new LruKeyvStore(new LRUCache<string, string>({ max: RECORDS_MAX })), namespace: this.namespace });
    this.decodedMemo = new LRUCache<string, { value: unknown }>({ max: DECODED_MAX, maxSize: bounds.maxBytes });
    this.now = options.now ?? Date.now;
  }

  /** The invalidation generation of one kind of data of one connection. */
  async generation(connectionId: string, kind: string): Promise<number> {
    const g = await this.generations.get(generationKey(connectionId, kind));
    return typeof g === "number" ? g : 0;
  }

  /** Makes every cached entry of that kind unreachable, for every caller scope. */
  async invalidate(connectionId: string, kind: string): Promise<void> {
    const g = await this.generation(connectionId, kind);
    await this.generations.set(generationKey(connectionId, kind), g + 1);
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
    const memo = this.decodedMemo.get(memoKey);
    if (memo) return memo.value as T;
    const value = decode(result.payload);
    this.decodedMemo.set(memoKey, { value }, { size: Math.max(1, result.payload.length) });
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
    const value = await this.records.get(`rec|${key}`);
    return value === undefined ? undefined : (JSON.parse(String((value as CacheEntry).v)) as T);
  }

  async setRecord(key: string, value: unknown, ttlMs: number): Promise<void> {
    await this.records.set(`rec|${key}`, { v: JSON.stringify(value), t: this.now() }, ttlMs);
  }

  async deleteRecord(key: string): Promise<void> {
    await this.records.delete(`rec|${key}`);
  }

  async clear(): Promise<void> {
    this.decodedMemo.clear();
    this.localClaims.clear();
    await this.keyv.clear();
    if (this.generations !== this.keyv) await this.generations.clear();
    if (this.records !== this.keyv) await this.records.clear();
  }

  /** Entries and UTF-8 bytes held by the default in-memory store (undefined for another store). */
  get memoryUsage(): { entries: number; bytes: number } | undefined {
    return this.store instanceof LruKeyvStore ? { entries: this.store.lru.size, bytes: this.store.lru.calculatedSize } : undefined;
  }

  async disconnect(): Promise<void> {
    await this.keyv.disconnect();
  }
}

function generationKey(connectionId: string, kind: string): string {
  return `gen|${encodeURIComponent(connectionId)}|${kind}`;
}
