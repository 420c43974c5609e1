/**
 * The vendor quota governor over real HTTP: what the simulator saw (calls in flight, arrival times)
 * under tight per-connection bounds, the slowdown after a 429, deadline refusals, and the metrics.
 */
import { createDeadline } from "../../src/http/deadline";
import { createDispatcher, DEFAULT_HTTP_SETTINGS, Upstream, type HttpSettings } from "../../src/http/upstream";
import { Governor, type GovernorSettings } from "../../src/http/governor";
import { VendorError } from "../../src/domain/errors";
import { makeScope } from "../../src/auth/caller";
import { GatewayMetrics } from "../../src/metrics";
import { startSimulator, type SimulatorHandle } from "../../src/simulator-kit";
import type { CallContext } from "../../src/domain/connector";
import type { Dispatcher } from "undici";
import { capturingLogger } from "../helpers/logs";
import { DisposableStack } from "../helpers/stack";

const settings: HttpSettings = { ...DEFAULT_HTTP_SETTINGS, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 3_000, maxAttempts: 3, minAttemptMs: 50 };
const stack = new DisposableStack();
const { logger } = capturingLogger();
let sim: SimulatorHandle;
let dispatcher: Dispatcher;

function call(budgetMs = 8_000): CallContext {
  const deadline = createDeadline(budgetMs);
  stack.defer(() => deadline.cancel());
  return { scope: makeScope("t", null, "*"), deadline, requestId: "req-1", logger };
}

function governed(bounds: Partial<GovernorSettings>, metrics = new GatewayMetrics()) {
  const target = { vendor: "KEEPER" as const, connectionId: "conn-1" };
  const governor = new Governor(target, { maxConcurrent: 64, maxPerSecond: 10_000, maxQueue: 100, ...bounds }, metrics, settings.minAttemptMs, settings.maxRetryAfterMs);
  const upstream = new Upstream({ ...target, baseUrl: sim.url }, settings, dispatcher, logger, undefined, metrics, governor);
  return { upstream, governor, metrics };
}

const get = (i: number) => ({ route: "thing", method: "GET" as const, path: "/thing", query: { i: String(i) }, idempotent: true });
const arrivals = () => sim.calls.list("thing").map((c) => c.at.getTime());

/** The most arrivals within any window of `ms` (sliding, starting at each arrival). */
function mostWithin(times: number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0; i < sorted.length; i++) most = Math.max(most, sorted.filter((t) => t >= sorted[i] && t < sorted[i] + ms).length);
  return most;
}

beforeAll(async () => {
  sim = stack.use(await startSimulator({ name: "test", routes: [{ name: "thing", method: "GET", path: "/thing", handle: () => ({ status: 200, body: { ok: true } }) }] }));
  dispatcher = createDispatcher(settings);
  stack.defer(() => dispatcher.close());
});
afterAll(() => stack.dispose());
beforeEach(() => {
  sim.calls.reset();
  sim.faults.clear();
  sim.faults.setLatency(0);
});

describe("vendor quota governor", () => {
  it("keeps at most maxConcurrent calls in flight at the vendor", async () => {
    const { upstream } = governed({ maxConcurrent: 2 });
    sim.faults.setLatency(50);
    await Promise.all(Array.from({ length: 10 }, (_, i) => upstream.send(call(), get(i))));
    expect(sim.calls.count("thing")).toBe(10);
    expect(sim.calls.maxInFlight("thing")).toBe(2);
  });

  it("starts at most maxPerSecond calls in any 1 s window", async () => {
    const { upstream } = governed({ maxPerSecond: 4 });
    await Promise.all(Array.from({ length: 8 }, (_, i) => upstream.send(call(), get(i))));
    expect(sim.calls.count("thing")).toBe(8);
    // Spaced 250 ms apart: 4 in a second, with 20 ms allowed for delivery jitter between gateway and simulator.
    expect(mostWithin(arrivals(), 980)).toBeLessThanOrEqual(4);
  });

  it("after a 429 without Retry-After halves its rate, counted in the metrics", async () => {
    const { upstream, governor, metrics } = governed({ maxPerSecond: 10 });
    sim.faults.next("thing", { status: 429 });
    await upstream.send(call(), get(0)); // 429, then retried
    await Promise.all([1, 2].map((i) => upstream.send(call(), get(i))));
    const at = arrivals();
    expect(at).toHaveLength(4);
    // 100 ms apart before; after the 429 at 5/s the retry comes no sooner than ~200 ms later.
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(180);
    expect(governor.currentRate).toBeLessThan(10);
    expect(await metrics.text()).toMatch(/gateway_governor_slowdowns_total\{vendor="KEEPER",connection="conn-1",reason="429"\} 1/);
  });

  it("after a 429 with Retry-After pauses the whole connection until then", async () => {
    const { upstream, metrics } = governed({});
    sim.faults.next("thing", { status: 429, retryAfter: 1 });
    const first = upstream.send(call(), get(0));
    await new Promise((r) => setTimeout(r, 100));
    await Promise.all([first, upstream.send(call(), get(1))]);
    const at = arrivals();
    expect(at).toHaveLength(3);
    // The other call (and the retry) reach the vendor only once the second has passed.
    expect(Math.min(at[1], at[2]) - at[0]).toBeGreaterThanOrEqual(950);
    expect(await metrics.text()).toMatch(/gateway_governor_slowdowns_total\{vendor="KEEPER",connection="conn-1",reason="retry-after"\} 1/);
  });

  it("does not pause the connection for a Retry-After beyond the cap: the other calls go on", async () => {
    const { upstream } = governed({});
    sim.faults.next("thing", { status: 429, retryAfter: 600 });
    await expect(upstream.send(call(), get(0))).rejects.toMatchObject({ code: "VENDOR_RATE_LIMITED" });
    await expect(upstream.send(call(), get(1))).resolves.toMatchObject({ status: 200 });
    expect(sim.calls.count("thing")).toBe(2);
  });

  it("fails a call whose deadline passes in the queue with VENDOR_RATE_LIMITED; it never reaches the vendor", async () => {
    const { upstream } = governed({ maxConcurrent: 1 });
    sim.faults.setLatency(600);
    const results = await Promise.allSettled([0, 1, 2].map((i) => upstream.send(call(400), get(i))));
    expect(sim.calls.count("thing")).toBe(1);
    const queued = results.slice(1).map((r) => (r.status === "rejected" ? (r.reason as VendorError).code : "fulfilled"));
    expect(queued).toEqual(["VENDOR_RATE_LIMITED", "VENDOR_RATE_LIMITED"]);
  });

  it("refuses at once beyond maxQueue, without calling the vendor", async () => {
    const { upstream } = governed({ maxConcurrent: 1, maxQueue: 1 });
    sim.faults.setLatency(100);
    const results = await Promise.allSettled([0, 1, 2, 3].map((i) => upstream.send(call(), get(i))));
    expect(results.filter((r) => r.status === "rejected").map((r) => ((r as PromiseRejectedResult).reason as VendorError).code)).toEqual(["VENDOR_RATE_LIMITED", "VENDOR_RATE_LIMITED"]);
    expect(sim.calls.count("thing")).toBe(2);
  });

  it("shows queue length and calls in flight in the metrics", async () => {
    const { upstream, metrics } = governed({ maxConcurrent: 1 });
    sim.faults.setLatency(300);
    const all = Promise.all([0, 1, 2].map((i) => upstream.send(call(), get(i))));
    await new Promise((r) => setTimeout(r, 150));
    const text = await metrics.text();
    await all;
    expect(text).toMatch(/gateway_governor_in_flight\{vendor="KEEPER",connection="conn-1"\} 1/);
    expect(text).toMatch(/gateway_governor_queue_length\{vendor="KEEPER",connection="conn-1"\} 2/);
    expect(await metrics.text()).toMatch(/gateway_governor_wait_seconds_count\{vendor="KEEPER",connection="conn-1"\} 3/);
  });
});
