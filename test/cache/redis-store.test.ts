/**
 * The cache store is pluggable: the same ResponseCache over Redis (REDIS_URL; .ci/run fails when
 * Redis is unreachable rather than skipping this).
 */
import KeyvRedis from "@keyv/redis";
import { randomUUID } from "node:crypto";
import { cacheKey } from "../../src/cache/keys";
import { ResponseCache } from "../../src/cache/store";

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

describe("ResponseCache on Redis", () => {
  let cache: ResponseCache;
  const namespace = `gw-test-${randomUUID()}`;

  beforeAll(() => {
    cache = new ResponseCache({ store: new KeyvRedis(url), namespace });
  });
  afterAll(async () => {
    await cache.clear();
    await cache.disconnect();
  });

  it("stores entries across instances' reads, per scope, and honours invalidation", async () => {
    const k1 = cacheKey({ connectionId: "c1", scope: "tenant-a", op: "usage", generation: await cache.generation("c1", "usage") });
    const k2 = cacheKey({ connectionId: "c1", scope: "tenant-b", op: "usage", generation: await cache.generation("c1", "usage") });
    let loads = 0;
    const load = (v: string) => async () => {
      loads++;
      return v;
    };
    expect(await cache.getOrLoad(k1, 60_000, load("A"))).toMatchObject({ payload: "A", fromCache: false });
    expect(await cache.getOrLoad(k1, 60_000, load("X"))).toMatchObject({ payload: "A", fromCache: true });
    expect(await cache.getOrLoad(k2, 60_000, load("B"))).toMatchObject({ payload: "B", fromCache: false });
    expect(loads).toBe(2);

    await cache.invalidate("c1", "usage");
    const k1b = cacheKey({ connectionId: "c1", scope: "tenant-a", op: "usage", generation: await cache.generation("c1", "usage") });
    expect(k1b).not.toBe(k1);
    expect(await cache.getOrLoad(k1b, 60_000, load("A2"))).toMatchObject({ payload: "A2", fromCache: false });
  });

  it("expires entries after their TTL", async () => {
    const key = cacheKey({ connectionId: "c1", scope: "s", op: "ttl" });
    await cache.getOrLoad(key, 50, async () => "short");
    await new Promise((r) => setTimeout(r, 120));
    expect((await cache.getOrLoad(key, 50, async () => "again")).fromCache).toBe(false);
  });
});
