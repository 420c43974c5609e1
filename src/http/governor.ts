/**
 * The vendor quota governor: one per connection, in front of every attempt its Upstream makes. It
 * bounds calls in flight and calls started per second (Bottleneck: maxConcurrent, minTime spacing), so
 * a burst of GraphQL requests queues instead of tripping the vendor's rate limit. The queue is bounded
 * (maxQueue; beyond it a call is refused at once) and deadline-aware: a call that cannot start before
 * its request's deadline is refused up front, and one whose deadline passes while queued fails then,
 * without reaching the vendor. After a 429 it slows down by itself: the rate halves (AIMD), and a
 * Retry-After (up to the upstream's cap) pauses the whole connection until then; each success wins back a tenth of the configured
 * rate, so it recovers gradually.
 */
import Bottleneck from "bottleneck";
import type { CallContext } from "../domain/connector";
import { VendorError } from "../domain/errors";
import type { Vendor, VendorApi } from "../domain/model";
import type { UpstreamMetrics } from "../metrics";

export interface GovernorSettings {
  /** Calls to the vendor in flight at once, per connection. */
  maxConcurrent: number;
  /** Calls started per second, per connection (spaced evenly: at most this many in any 1 s window). */
  maxPerSecond: number;
  /** Calls waiting for a slot; more are refused at once with VENDOR_RATE_LIMITED. */
  maxQueue: number;
}

/**
 * None of the vendors publishes numeric limits (keeper.md: "none documented"; webex.md, the Microsoft
 * notes: "unconfirmed", 429 with Retry-After): conservative defaults a partner's integration can carry,
 * to be raised per connection once a vendor confirms more.
 */
export const DEFAULT_GOVERNOR: Record<VendorApi, GovernorSettings> = {
  "keeper-msp": { maxConcurrent: 4, maxPerSecond: 5, maxQueue: 100 },
  "keeper-distributor": { maxConcurrent: 4, maxPerSecond: 5, maxQueue: 100 },
  "webex-wholesale": { maxConcurrent: 4, maxPerSecond: 10, maxQueue: 100 },
  "microsoft-marketplace": { maxConcurrent: 8, maxPerSecond: 10, maxQueue: 200 },
  // Blob downloads (blobConcurrency, default 4) and operation polls share this connection's slots.
  "microsoft-partner-billing": { maxConcurrent: 8, maxPerSecond: 10, maxQueue: 200 },
};

/** Never slow below this fraction of the configured rate, so a connection always recovers. */
const MIN_RATE_FRACTION = 1 / 16;
/** Each success wins back this fraction of the configured rate. */
const RECOVERY_FRACTION = 1 / 10;

export class Governor {
  private readonly limiter: Bottleneck;
  private rate: number;
  private pausedUntil = 0;
  private resumeTimer: NodeJS.Timeout | undefined;
  private readonly labels: { vendor: string; connection: string };

  constructor(
    target: { vendor: Vendor; connectionId: string },
    readonly settings: GovernorSettings,
    private readonly metrics?: UpstreamMetrics,
    private readonly minAttemptMs = 0,
    /**
     * The longest Retry-After honoured by pausing the connection (the upstream's maxRetryAfterMs): a
     * longer one only halves the rate, as the upstream layer does not wait for it either; otherwise one
     * "come back in an hour" would fail every call of the connection for that hour.
     */
    private readonly maxPauseMs = 10_000,
  ) {
    this.rate = settings.maxPerSecond;
    this.labels = { vendor: target.vendor, connection: target.connectionId };
    this.limiter = new Bottleneck({
      maxConcurrent: settings.maxConcurrent,
      minTime: this.spacingMs(),
      highWater: settings.maxQueue,
      strategy: Bottleneck.strategy.OVERFLOW,
    });
    // Bottleneck reports job errors it cannot hand back (none expected) as "error" events: keep them from crashing the process.
    this.limiter.on("error", () => undefined);
    metrics?.governor?.(this.labels, () => {
      const c = this.limiter.counts();
      return { queued: (c.RECEIVED ?? 0) + (c.QUEUED ?? 0), inFlight: (c.RUNNING ?? 0) + (c.EXECUTING ?? 0) };
    });
  }

  /** The current rate (calls/s), lowered after a 429. */
  get currentRate(): number {
    return this.rate;
  }

  private spacingMs(): number {
    return Math.ceil(1000 / this.rate);
  }

  /** Runs `fn` once a slot is free, or throws VENDOR_RATE_LIMITED when it cannot start in time. */
  async run<T>(call: CallContext, fn: () => Promise<T>): Promise<T> {
    const counts = this.limiter.counts();
    const queued = (counts.RECEIVED ?? 0) + (counts.QUEUED ?? 0);
    // Fail fast: with `queued` ahead, each a spacing apart, after any pause, this call starts no sooner.
    const now = Date.now();
    const estimatedMs = Math.max(0, this.pausedUntil - now) + queued * this.spacingMs();
    if (estimatedMs + this.minAttemptMs >= call.deadline.remainingMs()) {
      throw this.refusal(call, "The vendor connection's call quota is used up: the call could not start before the request's deadline", estimatedMs);
    }
    const queuedAt = performance.now();
    let abandoned = false;
    const job = this.limiter.schedule(async () => {
      this.metrics?.governorWait?.(this.labels, (performance.now() - queuedAt) / 1000);
      // Its request gave up while it waited: the vendor is not called for nobody.
      if (abandoned || call.deadline.signal.aborted) throw new AbandonedCall();
      return fn();
    });
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = () => {
        abandoned = true;
        reject(this.refusal(call, "The request's deadline passed while the call waited for the vendor connection's call quota"));
      };
      if (call.deadline.signal.aborted) onAbort();
      else call.deadline.signal.addEventListener("abort", onAbort, { once: true });
      job.finally(() => call.deadline.signal.removeEventListener("abort", onAbort)).catch(() => undefined);
    });
    try {
      return await Promise.race([job, aborted]);
    } catch (err) {
      if (err instanceof Bottleneck.BottleneckError) {
        throw this.refusal(call, `Too many calls are waiting for this vendor connection (more than ${this.settings.maxQueue})`);
      }
      if (err instanceof AbandonedCall) {
        throw this.refusal(call, "The request's deadline passed while the call waited for the vendor connection's call quota");
      }
      throw err;
    }
  }

  /** After a 429: halve the rate, and with a Retry-After (up to maxPauseMs) pause the connection until then. */
  slowDown(retryAfterMs: number | undefined): void {
    const floor = this.settings.maxPerSecond * MIN_RATE_FRACTION;
    this.rate = Math.max(floor, this.rate / 2);
    void this.limiter.updateSettings({ minTime: this.spacingMs() });
    // Bottleneck spaces the next start from the last one with the old spacing: pause for one new spacing
    // too, so the very next call already goes at the lowered rate.
    const honoured = retryAfterMs !== undefined && retryAfterMs <= this.maxPauseMs;
    this.pause(honoured ? Math.max(retryAfterMs, this.spacingMs()) : this.spacingMs());
    this.metrics?.governorSlowdown?.(this.labels, honoured ? "retry-after" : "429");
  }

  /** After a success: win back part of the configured rate. */
  recover(): void {
    if (this.rate >= this.settings.maxPerSecond) return;
    this.rate = Math.min(this.settings.maxPerSecond, this.rate + this.settings.maxPerSecond * RECOVERY_FRACTION);
    void this.limiter.updateSettings({ minTime: this.spacingMs() });
  }

  private pause(ms: number): void {
    const until = Date.now() + ms;
    if (until <= this.pausedUntil) return;
    this.pausedUntil = until;
    // An empty reservoir holds queued calls (without taking a slot) until the timer refills it.
    void this.limiter.updateSettings({ reservoir: 0 });
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = undefined;
      void this.limiter.updateSettings({ reservoir: null });
    }, ms);
    this.resumeTimer.unref();
  }

  private refusal(call: CallContext, message: string, waitMs?: number): VendorError {
    return new VendorError(
      "VENDOR_RATE_LIMITED",
      {
        vendor: this.labels.vendor as Vendor,
        connectionId: this.labels.connection,
        requestId: call.requestId,
        retryAfterSeconds: waitMs !== undefined ? Math.max(1, Math.ceil(waitMs / 1000)) : undefined,
      },
      message,
    );
  }
}

class AbandonedCall extends Error {}
