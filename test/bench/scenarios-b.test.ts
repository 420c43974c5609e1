/**
 * The warm-throughput and soak scenarios (issue 13, items 3 and 6) at smoke size, in process: each returns
 * its metrics with finite numbers and none failed. Figures are the bench's business, not asserted here.
 */
import { runScenarios } from "../../bench/harness";
import { soak } from "../../bench/scenarios/soak";
import { warmThroughput } from "../../bench/scenarios/warm-throughput";

const EXPECTED: Record<string, string[]> = {
  "warm-throughput": ["same data from both", "gateway ÷ bare (means of requests/s)", "non-2xx / errors / timeouts, all runs"],
  soak: ["responses read (bodies parsed)", "unexpected errors (non-VENDOR_ codes, uncoded, non-200)", "5xx", "RSS growth"],
};

describe("bench scenarios: warm throughput and soak (smoke)", () => {
  it("each returns its metrics, with finite numbers and no failure", async () => {
    const results = await runScenarios([warmThroughput, soak], "smoke");
    expect(results.map((r) => r.scenario)).toEqual(["warm-throughput", "soak"]);
    for (const r of results) {
      const names = r.metrics.map((m) => m.name);
      expect(names).not.toContain("failed");
      expect(names).toEqual(expect.arrayContaining(EXPECTED[r.scenario]));
      for (const m of r.metrics) if (typeof m.value === "number") expect(Number.isFinite(m.value)).toBe(true);
      expect(r.latencies.length).toBeGreaterThan(0);
    }
    // The profile summaries are in the notes.
    expect(results[0].notes.some((n) => n.startsWith("profile of the gateway"))).toBe(true);
  }, 60_000);
});
