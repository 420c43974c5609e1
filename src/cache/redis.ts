/**
 * The Redis store for the response cache, configured so that a Redis outage never holds a request:
 * node-redis's offline queue is off (a command while disconnected fails at once instead of waiting for
 * the reconnect), connecting gives up after `connectTimeoutMs`, and the client keeps reconnecting in
 * the background with a capped backoff, so the gateway recovers by itself when Redis is back.
 * ResponseCache adds a timeout of its own to every call (`StoreGuardOptions`), which also covers a
 * server that accepts the connection but never answers.
 */
import KeyvRedis, { createClient } from "@keyv/redis";

/** How the gateway talks to Redis (`cache.redisTimeouts` in the configuration file). */
export interface RedisTimeouts {
  /** Each store call gives up after this long, and the store counts as down until a probe succeeds. */
  commandMs: number;
  /** A connection attempt gives up after this long. */
  connectMs: number;
  /** Reconnect attempts back off exponentially from 50 ms up to this. */
  reconnectMaxDelayMs: number;
  /** While the store is down, it is probed (PING) this often. */
  probeIntervalMs: number;
}

export const DEFAULT_REDIS_TIMEOUTS: RedisTimeouts = { commandMs: 150, connectMs: 1000, reconnectMaxDelayMs: 2000, probeIntervalMs: 1000 };

export function createRedisStore(url: string, timeouts: Partial<RedisTimeouts> = {}): KeyvRedis<string> {
  const t = { ...DEFAULT_REDIS_TIMEOUTS, ...timeouts };
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: t.connectMs,
      // Never give up: the client is the one thing that notices Redis is back.
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), t.reconnectMaxDelayMs),
    },
  });
  // Errors are thrown to ResponseCache (which falls back and records the outage) instead of being
  // swallowed as misses by the adapter.
  return new KeyvRedis<string>(client, { throwOnErrors: true, throwOnConnectError: true, connectionTimeout: t.connectMs });
}
