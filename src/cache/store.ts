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
import type { Logger } from "pino";
import { scrubSecrets } from "../domain/secret";

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
/** Distinct logs kept by an in-memory store, and log entries held while a shared store is down. */
const LOGS_MAX = 1_000;
const MEMORY_LOG_ENTRIES_MAX = 100_000;
const PENDING_LOG_MAX = 10_000;

/** INCR the log's sequence, add the entry under it, keep the newest ARGV[2]. Members are "<seq> <json>". */
const APPEND_LOG_SCRIPT = `local seq = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], seq, seq .. ' ' .. ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[2]) + 1))
return seq`;

/** The customer directory's edits (a hash) and their generation, read in one step. */
const DIRECTORY_READ_SCRIPT = `return {redis.call('GET', KEYS[2]) or '0', redis.call('HGETALL', KEYS[1])}`;
/** One edit: its fields set and the generation bumped together. */
const DIRECTORY_SET_SCRIPT = `redis.call('HSET', KEYS[1], unpack(ARGV))
return redis.call('INCR', KEYS[2])`;

interface RedisScripting {
  sendCommand(args: string[]): Promise<unknown>;
}

export interface ResponseCacheOptions {
  /** A keyv store adapter (a bounded in-memory LRU by default). */
  store?: Keyv["opts"]["store"];
  /** Bounds of the default in-memory store (ignored with `store`). */
  memory?: Partial<MemoryCacheBounds>;
  namespace?: string;
  now?: () => number;
  /** How calls to a shared store (`store`) are bounded; ignored for the in-memory store. */
  guard?: Partial<StoreGuardOptions>;
  /** Where the store's outages and recoveries are logged (once each). */
  logger?: Logger;
}

/** Every call to a shared store is bounded, so that no request waits on a store that is gone. */
export interface StoreGuardOptions {
  /** A call that has not answered after this long counts as failed (default 150 ms). */
  timeoutMs: number;
  /** While the store is down, it is probed in the background this often (default 1 s). */
  probeIntervalMs: number;
}

export const DEFAULT_STORE_GUARD: StoreGuardOptions = { timeoutMs: 150, probeIntervalMs: 1000 };

/** What /readyz reports about the store. */
export interface StoreHealth {
  /** "memory" for the in-process store (always up), "shared" for a store such as Redis. */
  kind: "memory" | "shared";
  status: "up" | "down";
  /** Since when it is down (ISO time), while it is. */
  downSince?: string;
  /** The error that took it down (secrets scrubbed). */
  lastError?: string;
}

class StoreTimeoutError extends Error {
  constructor(op: string, ms: number) {
    super(`store ${op} did not answer within ${ms} ms`);
    this.name = "StoreTimeoutError";
  }
}

/** A store error's message, safe for logs and /readyz: no secrets, no credentials in a URL. */
function describe(err: unknown): string {
  const message = err instanceof Error ? err.message || err.name : String(err);
  return scrubSecrets(message).replace(/\/\/[^@\s/]*@/g, "//[REDACTED]@").slice(0, 300);
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
  /** Shared-store calls that timed out, failed, or were skipped (and fell back) while it was down. */
  readonly storeStats = { timeouts: 0, errors: 0, skipped: 0, outages: 0 };
  private readonly shared: boolean;
  private readonly guardOptions: StoreGuardOptions;
  private readonly logger?: Logger;
  private down: { since: number; lastError: string } | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  /**
   * While a shared store is down: job records written meanwhile (read back after it returns, so a job
   * started during the outage is joined rather than started again), and the last generation seen per
   * (connection, kind), so an invalidation made during the outage still holds in this instance.
   */
  private readonly fallbackRecords = new LRUCache<string, string>({ max: RECORDS_MAX });
  /** Logs of an in-memory store, by name (names are per tenant: bounded by LOGS_MAX, oldest dropped). */
  private readonly memoryLogs = new LRUCache<string, { seq: number; entries: Array<Record<string, unknown> & { seq: number }> }>({
    max: LOGS_MAX,
    dispose: (log) => {
      this.memoryLogEntries -= log.entries.length;
    },
  });
  private memoryLogEntries = 0;
  /** Log entries not yet written to a shared store that is down, oldest first. */
  private readonly pendingLog: Array<{ name: string; entry: Record<string, unknown>; max: number }> = [];
  private logFlush: Promise<void> = Promise.resolve();
  /** Log entries dropped because the pending queue was full during a long outage (each was logged). */
  readonly logStats = { dropped: 0 };
  private readonly knownGenerations = new LRUCache<string, number>({ max: RECORDS_MAX });

  constructor(options: ResponseCacheOptions = {}) {
    const bounds = { ...DEFAULT_MEMORY_CACHE_BOUNDS, ...options.memory };
    this.store = options.store ?? boundedMemoryStore(bounds);
    this.namespace = options.namespace ?? "gw";
    this.keyv = new Keyv<CacheEntry | number>({ store: this.store as Keyv["opts"]["store"], namespace: this.namespace });
    const shared = options.store !== undefined;
    this.shared = shared;
    this.guardOptions = { ...DEFAULT_STORE_GUARD, ...options.guard };
    this.logger = options.logger;
    if (shared) {
      // A failing call must reach `guarded` (which falls back and records the outage) rather than be
      // swallowed as a miss by keyv or by an adapter such as @keyv/redis.
      this.keyv.throwOnErrors = true;
      const adapter = this.store as { throwOnErrors?: boolean };
      if (typeof adapter.throwOnErrors === "boolean") adapter.throwOnErrors = true;
      // keyv re-emits its store's errors; `guarded` reports them, so they need no listener of their own.
      this.keyv.on("error", () => undefined);
    }
    this.generations = shared ? this.keyv : new Keyv<CacheEntry | number>({ store: new Map(), namespace: this.namespace });
    this.records = shared ? this.keyv : new Keyv<CacheEntry | number>({ store: new LruKeyvStore(new LRUCache<string, string>({ max: RECORDS_MAX })), namespace: this.namespace });
    this.decodedMemo = new LRUCache<string, { value: unknown }>({ max: DECODED_MAX, maxSize: bounds.maxBytes });
    this.now = options.now ?? Date.now;
  }

  /** The invalidation generation of one kind of data of one connection. */
  async generation(connectionId: string, kind: string): Promise<number> {
    const key = generationKey(connectionId, kind);
    const stored = await this.guarded("get", () => this.generations.get(key), () => undefined);
    // Never lower than this instance has seen: an invalidation made while the store was down holds.
    const g = Math.max(typeof stored === "number" ? stored : 0, this.knownGenerations.get(key) ?? 0);
    if (this.shared && g > 0) this.knownGenerations.set(key, g);
    return g;
  }

  /** Makes every cached entry of that kind unreachable, for every caller scope. */
  async invalidate(connectionId: string, kind: string): Promise<void> {
    const key = generationKey(connectionId, kind);
    const g = (await this.generation(connectionId, kind)) + 1;
    if (this.shared) this.knownGenerations.set(key, g);
    await this.guarded("set", () => this.generations.set(key, g), () => false);
  }

  /**
   * Returns the cached payload, or loads it once however many callers miss at the same time.
   * A `ttlMs` of 0 skips storing (still single-flight).
   */
  async getOrLoad(key: string, ttlMs: number, load: () => Promise<string>): Promise<CacheResult> {
    const hit = await this.guarded("get", () => this.keyv.get(key), () => undefined);
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
      if (ttlMs > 0) await this.guarded("set", () => this.keyv.set(key, { v: payload, t: fetchedAt }, ttlMs), () => false);
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
   * gateway instances on Redis (SET NX); within one process for an in-memory store, and while a shared
   * store is down (single flight then holds per instance only).
   */
  async claim(key: string, ttlMs: number): Promise<boolean> {
    const full = `claim|${this.namespace}|${key}`;
    const redis = this.redisClient<{ set(k: string, v: string, o: { NX: true; PX: number }): Promise<string | null> }>();
    if (redis) {
      return this.guarded(
        "claim",
        async () => (await (await redis()).set(full, String(process.pid), { NX: true, PX: Math.max(1, Math.round(ttlMs)) })) === "OK",
        () => this.localClaim(full, ttlMs),
      );
    }
    return this.localClaim(full, ttlMs);
  }

  private localClaim(full: string, ttlMs: number): boolean {
    const until = this.localClaims.get(full);
    if (until !== undefined && until > this.now()) return false;
    this.localClaims.set(full, this.now() + ttlMs);
    return true;
  }

  async releaseClaim(key: string): Promise<void> {
    const full = `claim|${this.namespace}|${key}`;
    // A claim taken in process during an outage is released here whatever the store does.
    this.localClaims.delete(full);
    const redis = this.redisClient<{ del(k: string): Promise<number> }>();
    if (redis) await this.guarded("release", async () => void (await (await redis()).del(full)), () => undefined);
  }

  /** The Redis client behind a @keyv/redis store, if that is the store. */
  private redisClient<C>(): (() => Promise<C>) | undefined {
    const redis = this.store as { getClient?: () => Promise<C> };
    return typeof redis.getClient === "function" ? () => redis.getClient!() : undefined;
  }

  /** A small JSON record (job tracking), shared through the store by every gateway instance. */
  async getRecord<T>(key: string): Promise<T | undefined> {
    const full = `rec|${key}`;
    const value = await this.guarded("get", () => this.records.get(full), () => undefined);
    if (value !== undefined) return JSON.parse(String((value as CacheEntry).v)) as T;
    const local = this.fallbackRecords.get(full);
    return local === undefined ? undefined : (JSON.parse(local) as T);
  }

  async setRecord(key: string, value: unknown, ttlMs: number): Promise<void> {
    const full = `rec|${key}`;
    const text = JSON.stringify(value);
    const stored = await this.guarded("set", async () => (await this.records.set(full, { v: text, t: this.now() }, ttlMs)) !== false, () => false);
    if (stored) this.fallbackRecords.delete(full);
    else this.fallbackRecords.set(full, text, { ttl: Math.max(1, ttlMs) });
  }

  async deleteRecord(key: string): Promise<void> {
    const full = `rec|${key}`;
    this.fallbackRecords.delete(full);
    await this.guarded("delete", () => this.records.delete(full), () => false);
  }

  /**
   * Appends one entry to an append-only log (the audit log), keeping its newest `max` entries. Each gets
   * the next sequence number of its log: atomic across instances on Redis (one script: INCR, ZADD, trim),
   * within the process otherwise. While a shared store is down, entries wait in process (bounded) and are
   * written, in order, with the next append that reaches it: a timed-out write that still landed may then
   * appear twice, never not at all.
   */
  async appendLog(name: string, entry: Record<string, unknown>, max: number): Promise<void> {
    const redis = this.redisClient<RedisScripting>();
    if (!redis) return void this.localLog(name, max).push(entry);
    this.pendingLog.push({ name, entry, max });
    if (this.pendingLog.length > PENDING_LOG_MAX) {
      this.pendingLog.shift();
      this.logStats.dropped++;
    }
    await this.flushLog(redis);
  }

  /** Drains the pending entries one writer at a time, so each is written once and in order. */
  private flushLog(redis: () => Promise<RedisScripting>): Promise<void> {
    const run = this.logFlush.then(() => this.drainLog(redis));
    this.logFlush = run.catch(() => undefined);
    return run;
  }

  private async drainLog(redis: () => Promise<RedisScripting>): Promise<void> {
    while (this.pendingLog.length > 0) {
      const { name, entry, max } = this.pendingLog[0];
      const [logKey, seqKey] = [`log|${this.namespace}|${name}`, `log-seq|${this.namespace}|${name}`];
      const ok = await this.guarded(
        "log",
        async () => {
          await (await redis()).sendCommand(["EVAL", APPEND_LOG_SCRIPT, "2", logKey, seqKey, JSON.stringify(entry), String(max)]);
          return true;
        },
        () => false,
      );
      if (!ok) return;
      this.pendingLog.shift();
    }
  }

  /** True when the store is shared through Redis (the customer directory then keeps its edits there). */
  get sharedClient(): boolean {
    return this.redisClient() !== undefined;
  }

  /**
   * The customer directory's generation in Redis (bumped by every edit): one GET, so a request can see
   * cheaply whether its cached snapshot is current. Undefined when there is no Redis or it did not answer.
   */
  async directoryGeneration(name: string): Promise<number | undefined> {
    const redis = this.redisClient<RedisScripting>();
    if (!redis) return undefined;
    const value = await this.guarded("directory", async () => (await (await redis()).sendCommand(["GET", `dir-gen|${this.namespace}|${name}`])) as string | null, () => undefined);
    return value === undefined ? undefined : Number(value ?? 0);
  }

  /** The directory's edits and their generation, read together (one script). Undefined when Redis did not answer. */
  async directoryRead(name: string): Promise<{ generation: number; fields: Record<string, string> } | undefined> {
    const redis = this.redisClient<RedisScripting>();
    if (!redis) return undefined;
    const reply = await this.guarded(
      "directory",
      async () => (await (await redis()).sendCommand(["EVAL", DIRECTORY_READ_SCRIPT, "2", `dir|${this.namespace}|${name}`, `dir-gen|${this.namespace}|${name}`])) as [string, string[]],
      () => undefined,
    );
    if (!reply) return undefined;
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < reply[1].length; i += 2) fields[reply[1][i]] = reply[1][i + 1];
    return { generation: Number(reply[0]), fields };
  }

  /**
   * Sets fields of the directory's edits and bumps its generation, atomically (one script). The new
   * generation, or undefined when Redis did not answer in time (the edit may or may not have landed).
   */
  async directorySet(name: string, fields: Array<[field: string, value: string]>): Promise<number | undefined> {
    const redis = this.redisClient<RedisScripting>();
    if (!redis || fields.length === 0) return undefined;
    const keys = [`dir|${this.namespace}|${name}`, `dir-gen|${this.namespace}|${name}`];
    const reply = await this.guarded(
      "directory",
      async () => (await (await redis()).sendCommand(["EVAL", DIRECTORY_SET_SCRIPT, "2", ...keys, ...fields.flat()])) as number,
      () => undefined,
    );
    return reply === undefined ? undefined : Number(reply);
  }

  /**
   * A log's entries, newest first, each with its `seq`. `complete` is false when a shared store could not
   * be read: the entries are then only those still waiting in this process.
   */
  async readLog(name: string): Promise<{ entries: Array<Record<string, unknown> & { seq: number }>; complete: boolean }> {
    const redis = this.redisClient<RedisScripting>();
    if (!redis) {
      const log = this.memoryLogs.get(name);
      return { entries: log ? log.entries.slice().reverse() : [], complete: true };
    }
    await this.flushLog(redis);
    const members = await this.guarded(
      "log",
      async () => (await (await redis()).sendCommand(["ZRANGE", `log|${this.namespace}|${name}`, "0", "-1", "REV"])) as string[],
      () => undefined,
    );
    const pending = this.pendingLog.filter((p) => p.name === name).reverse().map((p) => ({ ...p.entry, seq: 0 }));
    if (members === undefined) return { entries: pending, complete: false };
    const stored = members.map((m) => {
      const space = m.indexOf(" ");
      return { ...(JSON.parse(m.slice(space + 1)) as Record<string, unknown>), seq: Number(m.slice(0, space)) };
    });
    return { entries: [...pending, ...stored], complete: true };
  }

  private localLog(name: string, max: number): { push(entry: Record<string, unknown>): void } {
    let log = this.memoryLogs.get(name);
    if (!log) {
      log = { seq: 0, entries: [] };
      this.memoryLogs.set(name, log);
    }
    const target = log;
    return {
      push: (entry) => {
        target.entries.push({ ...entry, seq: ++target.seq });
        this.memoryLogEntries++;
        if (target.entries.length > max) this.memoryLogEntries -= target.entries.splice(0, target.entries.length - max).length;
        // All logs together stay within MEMORY_LOG_ENTRIES_MAX: the least recently used log loses its oldest.
        while (this.memoryLogEntries > MEMORY_LOG_ENTRIES_MAX) {
          const name = this.memoryLogs.rkeys().next().value as string | undefined;
          const oldest = name === undefined ? undefined : this.memoryLogs.peek(name);
          if (!oldest) break;
          const dropped = oldest.entries.splice(0, this.memoryLogEntries - MEMORY_LOG_ENTRIES_MAX).length;
          this.memoryLogEntries -= dropped;
          if (oldest.entries.length === 0) this.memoryLogs.delete(name!);
        }
      },
    };
  }

  /**
   * The store's health: for a shared store that is up, checked now with a PING (within the timeout),
   * so /readyz is right even when no request has used the store lately.
   */
  async checkStore(): Promise<StoreHealth> {
    if (this.shared && !this.down) await this.guarded("ping", () => this.ping(), () => undefined);
    return this.storeHealth;
  }

  get storeHealth(): StoreHealth {
    if (!this.shared) return { kind: "memory", status: "up" };
    if (!this.down) return { kind: "shared", status: "up" };
    return { kind: "shared", status: "down", downSince: new Date(this.down.since).toISOString(), lastError: this.down.lastError };
  }

  private async ping(): Promise<void> {
    const redis = this.redisClient<{ ping(): Promise<string> }>();
    if (redis) await (await redis()).ping();
    else await this.keyv.get("health-probe");
  }

  /**
   * Runs one call to a shared store within the guard's timeout. While the store is down, or when the
   * call fails or times out, `fallback` answers instead: a read is a miss, a write is skipped, a claim
   * is taken in process. The in-memory store is called directly.
   */
  private async guarded<T>(op: string, run: () => Promise<T>, fallback: () => T): Promise<T> {
    if (!this.shared) return run();
    if (this.down) {
      this.storeStats.skipped++;
      return fallback();
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreTimeoutError(op, this.guardOptions.timeoutMs)), this.guardOptions.timeoutMs);
    });
    const call = run();
    // A call that lost the race may still fail later (e.g. when the connection is finally dropped).
    call.catch(() => undefined);
    try {
      return await Promise.race([call, timeout]);
    } catch (err) {
      if (err instanceof StoreTimeoutError) this.storeStats.timeouts++;
      else this.storeStats.errors++;
      this.markDown(op, err);
      return fallback();
    } finally {
      clearTimeout(timer);
    }
  }

  /** Once per outage: logged, and a background probe started that brings the store back. */
  private markDown(op: string, err: unknown): void {
    if (this.down) return;
    this.storeStats.outages++;
    this.down = { since: this.now(), lastError: describe(err) };
    this.logger?.warn({ op, err: this.down.lastError }, "store unavailable: reads miss, writes are skipped, claims and job records stay in process");
    this.probeTimer = setInterval(() => void this.probe(), this.guardOptions.probeIntervalMs);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    if (this.probing || !this.down) return;
    this.probing = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      const call = this.ping();
      call.catch(() => undefined);
      await Promise.race([
        call,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new StoreTimeoutError("ping", this.guardOptions.timeoutMs)), this.guardOptions.timeoutMs);
        }),
      ]);
      const downForMs = this.down ? this.now() - this.down.since : 0;
      this.down = undefined;
      this.stopProbe();
      this.logger?.info({ downForMs }, "store available again");
    } catch (err) {
      if (this.down) this.down.lastError = describe(err);
    } finally {
      clearTimeout(timer);
      this.probing = false;
    }
  }

  private stopProbe(): void {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }

  async clear(): Promise<void> {
    this.decodedMemo.clear();
    this.localClaims.clear();
    this.fallbackRecords.clear();
    this.knownGenerations.clear();
    await this.keyv.clear();
    if (this.generations !== this.keyv) await this.generations.clear();
    if (this.records !== this.keyv) await this.records.clear();
  }

  /** Entries and UTF-8 bytes held by the default in-memory store (undefined for another store). */
  get memoryUsage(): { entries: number; bytes: number } | undefined {
    return this.store instanceof LruKeyvStore ? { entries: this.store.lru.size, bytes: this.store.lru.calculatedSize } : undefined;
  }

  async disconnect(): Promise<void> {
    this.stopProbe();
    // A graceful close waits for replies a store that is down will never send: drop the connection.
    const adapter = this.store as { disconnect?: (force?: boolean) => Promise<void> };
    if (this.down && typeof adapter.disconnect === "function") await adapter.disconnect(true);
    else await this.keyv.disconnect();
  }
}

function generationKey(connectionId: string, kind: string): string {
  return `gen|${encodeURIComponent(connectionId)}|${kind}`;
}
