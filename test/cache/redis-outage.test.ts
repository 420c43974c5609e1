/**
 * A Redis outage (issue 11, item 5): the gateway keeps answering from the vendors, says so in /readyz
 * and once in the logs, and uses Redis again by itself when it returns. The test runs its own
 * redis-server on a free port (never the shared one), pauses it, kills it and starts it again.
 */
import type { ChildProcess } from "node:child_process";
import { request } from "undici";
import { createRedisStore } from "../../src/cache/redis";
import { startTestGateway, type TestGateway } from "../helpers/gateway";
import { freePort, startRedis, stopRedis } from "../helpers/redis-server";

const MSP_SELF = "partner:keeper-msp:self";
const Q = `{ partner(id: "${MSP_SELF}") { managedCompanies(first: 1) { nodes { source { fromCache connectionId } } } } }`;

describe("Redis outage", () => {
  let port: number;
  let redis: ChildProcess | undefined;
  let t: TestGateway;
  const token = () => t.token("*", "outage");
  const usageCalls = () => t.sandbox.keeperMsp.calls.count("current-usage");
  const source = async () => (await t.gql(Q, undefined, await token())).body.data!.partner.managedCompanies.nodes[0].source;
  const get = async (path: string) => {
    const res = await request(`${t.gateway.url}${path}`);
    return { status: res.statusCode, body: (await res.body.json()) as any };
  };
  const logged = (text: string) => t.logs.filter((l) => l.includes(text)).length;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    t = await startTestGateway({
      cacheStore: createRedisStore(`redis://127.0.0.1:${port}`, { connectMs: 200, reconnectMaxDelayMs: 50 }),
      storeGuard: { timeoutMs: 150, probeIntervalMs: 25 },
    });
  });
  afterAll(async () => {
    try {
      await t?.close();
    } finally {
      await stopRedis(redis);
    }
  });

  it("is ready while Redis answers, and caches in it", async () => {
    expect(await get("/readyz")).toMatchObject({ status: 200, body: { status: "ready", store: { kind: "shared", status: "up" } } });
    expect(await source()).toMatchObject({ fromCache: false, connectionId: "keeper-msp" });
    expect(await source()).toMatchObject({ fromCache: true });
    expect(usageCalls()).toBe(1);
  });

  it("answers from the vendors when Redis stops answering, through the store's own timeout", async () => {
    redis!.kill("SIGSTOP"); // the connection stays open and nothing answers: only a timeout notices
    const before = usageCalls();
    expect(await source()).toMatchObject({ fromCache: false, connectionId: "keeper-msp" });
    expect(usageCalls()).toBe(before + 1);
    expect(t.gateway.cache.storeStats.timeouts).toBeGreaterThanOrEqual(1);
    const ready = await get("/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: "not ready", store: { kind: "shared", status: "down", downSince: expect.any(String) } });
    expect(ready.body.store.lastError).toMatch(/did not answer within 150 ms/);
    expect(await get("/healthz")).toMatchObject({ status: 200, body: { status: "ok" } });
  });

  it("keeps answering once Redis is gone, logs the outage once, and falls back to in-process claims and records", async () => {
    await stopRedis(redis);
    const before = usageCalls();
    const results = await Promise.all([1, 2, 3].map(() => source()));
    expect(results.every((s) => s.fromCache === false)).toBe(true);
    expect(await source()).toMatchObject({ fromCache: false });
    expect(usageCalls()).toBeGreaterThan(before);
    expect((await get("/readyz")).status).toBe(503);
    expect(logged("store unavailable")).toBe(1);
    expect(t.gateway.cache.storeStats.skipped).toBeGreaterThan(0);

    // Single flight and job tracking still hold within this instance.
    const cache = t.gateway.cache;
    expect(await cache.claim("job-during-outage", 10_000)).toBe(true);
    expect(await cache.claim("job-during-outage", 10_000)).toBe(false);
    await cache.setRecord("job-during-outage", { reportId: "r1" }, 10_000);
    expect(await cache.getRecord("job-during-outage")).toEqual({ reportId: "r1" });
    await cache.releaseClaim("job-during-outage");
    expect(await cache.claim("job-during-outage", 10_000)).toBe(true);
  });

  it("uses Redis again by itself when it is back on the same port", async () => {
    redis = await startRedis(port);
    let ready = await get("/readyz");
    for (let i = 0; i < 200 && ready.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 25));
      ready = await get("/readyz");
    }
    expect(ready).toMatchObject({ status: 200, body: { status: "ready", store: { status: "up" } } });
    expect(logged("store available again")).toBe(1);

    const before = usageCalls();
    expect(await source()).toMatchObject({ fromCache: false }); // a fresh Redis: nothing kept
    expect(await source()).toMatchObject({ fromCache: true });
    expect(await source()).toMatchObject({ fromCache: true });
    expect(usageCalls()).toBe(before + 1);
    // The record written during the outage is still found.
    expect(await t.gateway.cache.getRecord("job-during-outage")).toEqual({ reportId: "r1" });
    expect(logged("store unavailable")).toBe(1);
  });
});

describe("/readyz in sandbox mode", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ sandboxMode: true });
  });
  afterAll(() => t.close());

  it("is ready: the in-memory store and every configured connection", async () => {
    const res = await request(`${t.gateway.url}/readyz`);
    const body = (await res.body.json()) as any;
    expect(res.statusCode).toBe(200);
    expect(body.store).toEqual({ kind: "memory", status: "up" });
    expect(body.connections.map((c: any) => c.id).sort()).toEqual(t.sandbox.config.connections.map((c) => c.id).sort());
    expect(body.connections.every((c: any) => c.ready === true)).toBe(true);
  });
});
