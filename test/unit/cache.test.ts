import { cacheKey, stableJson } from "../../src/cache/keys";
import { ResponseCache } from "../../src/cache/store";
import { ArrayLineSource, pageAcross } from "../../src/domain/line-source";

describe("cache keys", () => {
  it("always carry connection and scope, and refuse an empty scope", () => {
    const a = cacheKey({ connectionId: "c1", scope: "s1", op: "op", args: { b: 1, a: 2 } });
    expect(a).toContain("c1");
    expect(a).toContain("s=s1");
    expect(a).not.toBe(cacheKey({ connectionId: "c1", scope: "s2", op: "op", args: { a: 2, b: 1 } }));
    expect(a).not.toBe(cacheKey({ connectionId: "c2", scope: "s1", op: "op", args: { a: 2, b: 1 } }));
    expect(a).toBe(cacheKey({ connectionId: "c1", scope: "s1", op: "op", args: { a: 2, b: 1 } }));
    expect(() => cacheKey({ connectionId: "c1", scope: "", op: "op" })).toThrow(/scope/);
  });

  it("serialises arguments stably", () => {
    expect(stableJson({ b: [1, { d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[1,{"c":2,"d":1}]}');
  });
});

describe("ResponseCache", () => {
  it("makes one load for concurrent identical misses, then serves hits until the TTL", async () => {
    let now = 1_000;
    const cache = new ResponseCache({ now: () => now });
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const load = async () => {
      loads++;
      await gate;
      return "payload";
    };
    const all = Promise.all([1, 2, 3].map(() => cache.getOrLoad("k", 60_000, load)));
    release();
    const results = await all;
    expect(loads).toBe(1);
    expect(results.map((r) => r.payload)).toEqual(["payload", "payload", "payload"]);
    now += 5_000;
    const hit = await cache.getOrLoad("k", 60_000, load);
    expect(hit).toMatchObject({ fromCache: true, fetchedAt: 1_000 });
    expect(loads).toBe(1);
  });

  it("does not cache failures, and invalidation bumps the generation", async () => {
    const cache = new ResponseCache();
    await expect(cache.getOrLoad("k", 1000, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect((await cache.getOrLoad("k", 1000, async () => "ok")).fromCache).toBe(false);
    expect(await cache.generation("c1", "usage")).toBe(0);
    await cache.invalidate("c1", "usage");
    expect(await cache.generation("c1", "usage")).toBe(1);
    expect(await cache.generation("c2", "usage")).toBe(0);
  });
});

describe("pageAcross", () => {
  it("pages one list made of several sources by position", async () => {
    const line = (id: string) => ({ id }) as never;
    const a = new ArrayLineSource(["a1", "a2", "a3"].map(line));
    const b = new ArrayLineSource([]);
    const c = new ArrayLineSource(["c1", "c2"].map(line));
    const sources = [a, b, c].map((source) => ({ source, filter: {} }));
    const page = await pageAcross(sources, 2, 2);
    expect(page.total).toBe(5);
    expect(page.items.map((i) => [i.sourceIndex, (i.line as { id: string }).id])).toEqual([[0, "a3"], [2, "c1"]]);
    expect((await pageAcross(sources, 5, 2)).items).toEqual([]);
  });
});
