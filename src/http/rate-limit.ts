/**
 * Requests per caller per window (issue 11, item 2), with rate-limiter-flexible: in memory for one
 * instance, in Redis when the store is Redis so every instance counts the same caller together. A
 * Redis call that fails or takes longer than the store's own timeout falls back to the in-memory
 * count (an outage never holds a request, nor lets a caller through unlimited).
 */
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, RLWrapperTimeouts, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { CallerScope } from "../domain/connector";

/** `rateLimit` in the configuration file. */
export interface RateLimitConfig {
  /** Requests one caller may make per window. */
  requests: number;
  windowSeconds: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitConfig = { requests: 600, windowSeconds: 60 };

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface CallerRateLimiter {
  readonly config: RateLimitConfig;
  consume(scope: CallerScope): Promise<RateDecision>;
}

/** The key of a caller: its token's subject within its tenant (both signed, so not caller-chosen at will). */
function callerKey(scope: CallerScope): string {
  return `${scope.tenant ?? ""}\u0000${scope.subject}`;
}

export function createCallerRateLimiter(config: RateLimitConfig, redis?: { client: unknown; timeoutMs: number }): CallerRateLimiter {
  const options = { points: config.requests, duration: config.windowSeconds, keyPrefix: "gw-rate" };
  const memory = new RateLimiterMemory(options);
  const limiter: RateLimiterAbstract = redis
    ? new RLWrapperTimeouts({
        limiter: new RateLimiterRedis({ ...options, storeClient: redis.client, useRedisPackage: true, rejectIfRedisNotReady: true }),
        timeoutMs: redis.timeoutMs,
        insuranceLimiter: memory,
      })
    : memory;
  return {
    config,
    async consume(scope) {
      try {
        await limiter.consume(callerKey(scope));
        return { allowed: true };
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
        // A store error past the insurance limiter: count in memory rather than refuse or wave through.
        try {
          await memory.consume(callerKey(scope));
          return { allowed: true };
        } catch (again) {
          if (again instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(again.msBeforeNext / 1000)) };
          return { allowed: true };
        }
      }
    },
  };
}
