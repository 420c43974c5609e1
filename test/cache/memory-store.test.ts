/** The in-memory response cache stays within its entry and byte bounds and evicts the least recently used. */
import { ResponseCache } from "../../src/cache/store";

const load = (payload: string) => {
  const calls = { n: 0 };
  return { calls, fn: async () => (calls.n++, payload) };
};

describe("in-memory response cache bounds", () => {
  it("keeps at most maxEntries under many distinct keys, evicting the least recently used", async () => {
    const cache = new ResponseCache({ memory: { maxEntries: 50 } });
    const hot = load("hot");
    await cache.getOrLoad("hot", 60_000, hot.fn);
    for (let i = 0; i < 2000; i++) {
      await cache.getOrLoad(`caller-chosen-${i}`, 60_000, async () => `payload ${i}`);
      // Read now and then, "hot" stays among the most recently used.
      if (i % 10 === 0) await cache.getOrLoad("hot", 60_000, hot.fn);
    }
    expect(cache.memoryUsage!.entries).toBeLessThanOrEqual(50);
    expect(cache.memoryUsage!.entries).toBeGreaterThan(40);
    expect(hot.calls.n).toBe(1);
    const oldest = load("again");
    expect((await cache.getOrLoad("caller-chosen-0", 60_000, oldest.fn)).fromCache).toBe(false);
    const newest = load("unused");
    expect((await cache.getOrLoad("caller-chosen-1999", 60_000, newest.fn)).fromCache).toBe(true);
    expect(newest.calls.n).toBe(0);
  });

  it("keeps at most maxBytes of keys and payloads, and does not keep a payload larger than that", async () => {
    const maxBytes = 64 * 1024;
    const cache = new ResponseCache({ memory: { maxEntries: 10_000, maxBytes } });
    const body = "x".repeat(4096);
    for (let i = 0; i < 500; i++) await cache.getOrLoad(`k${i}`, 60_000, async () => body);
    const usage = cache.memoryUsage!;
    expect(usage.bytes).toBeLessThanOrEqual(maxBytes);
    expect(usage.entries).toBeLessThan(16);
    expect(usage.entries).toBeGreaterThan(5);
    const huge = load("y".repeat(maxBytes * 2));
    expect((await cache.getOrLoad("huge", 60_000, huge.fn)).payload).toHaveLength(maxBytes * 2);
    expect((await cache.getOrLoad("huge", 60_000, huge.fn)).fromCache).toBe(false);
    expect(cache.memoryUsage!.bytes).toBeLessThanOrEqual(maxBytes);
  });

  it("keeps invalidation generations and job records whatever the payloads evict", async () => {
    const cache = new ResponseCache({ memory: { maxEntries: 10 } });
    await cache.invalidate("c1", "usage");
    await cache.setRecord("webex-job|c1|2025-01", { reportId: "r1" }, 60_000);
    for (let i = 0; i < 500; i++) await cache.getOrLoad(`flood-${i}`, 60_000, async () => "p");
    expect(await cache.generation("c1", "usage")).toBe(1);
    expect(await cache.getRecord("webex-job|c1|2025-01")).toEqual({ reportId: "r1" });
  });

  it("bounds the decoded memo by the payloads it was decoded from", async () => {
    const cache = new ResponseCache({ memory: { maxBytes: 64 * 1024 } });
    let decodes = 0;
    const decode = (p: string) => (decodes++, p.length);
    const first = await cache.getOrLoad("first", 60_000, async () => "a".repeat(4096));
    cache.decoded(first, decode);
    for (let i = 0; i < 100; i++) cache.decoded(await cache.getOrLoad(`m${i}`, 60_000, async () => "b".repeat(4096)), decode);
    decodes = 0;
    // The first decoded value was pushed out by 400 KiB of later ones: decoded again.
    cache.decoded(first, decode);
    expect(decodes).toBe(1);
  });

  it("keeps each log's newest entries, and all logs together within their bound", async () => {
    const cache = new ResponseCache();
    for (let i = 0; i < 250; i++) await cache.appendLog("audit|one", { i }, 100);
    const one = await cache.readLog("audit|one");
    expect(one.entries).toHaveLength(100);
    expect(one.entries[0]).toEqual({ i: 249, seq: 250 });
    expect(one.entries[99]).toEqual({ i: 150, seq: 151 });

    // 1,200 tenants' logs: at most 1,000 logs are kept, the least recently used going first.
    for (let t = 0; t < 1200; t++) await cache.appendLog(`audit|t${t}`, { t }, 150);
    expect((await cache.readLog("audit|one")).entries).toEqual([]);
    expect((await cache.readLog("audit|t0")).entries).toEqual([]);
    expect((await cache.readLog("audit|t1199")).entries).toHaveLength(1);

    // 700 logs of 150 entries would be 105,000: all logs together keep at most 100,000, taken from the least recently used.
    const fresh = new ResponseCache();
    for (let t = 0; t < 700; t++) for (let i = 0; i < 150; i++) await fresh.appendLog(`audit|t${t}`, { i }, 150);
    let total = 0;
    for (let t = 0; t < 700; t++) total += (await fresh.readLog(`audit|t${t}`)).entries.length;
    expect(total).toBe(100_000);
    expect((await fresh.readLog("audit|t699")).entries).toHaveLength(150);
    expect((await fresh.readLog("audit|t0")).entries.length).toBeLessThan(150);
  });
});
