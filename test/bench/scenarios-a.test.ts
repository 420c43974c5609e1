/**
 * The issue-13 scenarios fanout, dedup and overhead at smoke size, in process: each returns its
 * figures. Only that they run and report is checked, never what they measure (times are the bench's).
 */
import { runScenarios, type ScenarioResult } from "../../bench/harness";
import { dedup } from "../../bench/scenarios/dedup";
import { fanout } from "../../bench/scenarios/fanout";
import { overhead } from "../../bench/scenarios/overhead";

const EXPECTED: Record<string, string[]> = {
  fanout: ["latency p50 / p99", "p50 ÷ slowest upstream path p50", "p50 against 1.1 × slowest + 5 ms", "upstream calls per query"],
  dedup: ["managed companies / with lines in the month", "distinct upstream resources needed", "upstream calls per query"],
  overhead: ["upstream calls per gateway request (cache off)", "gateway: p50 / p99", "direct to the simulator: p50 / p99", "added by the gateway: p50", "added by the gateway: p99"],
};

/** Every number in a metric's value ("12.3 / 45.6" holds two). */
function numbersOf(value: number | string): number[] {
  return typeof value === "number" ? [value] : (value.match(/-?\d+(?:\.\d+)?|NaN|Infinity/g) ?? []).map(Number);
}

describe("bench scenarios of issue 13 (smoke size)", () => {
  let results: ScenarioResult[];

  beforeAll(async () => {
    results = await runScenarios([fanout, dedup, overhead], "smoke");
  }, 60_000);

  it.each(Object.keys(EXPECTED))("%s returns its metrics, every figure a finite number", (name) => {
    const result = results.find((r) => r.scenario === name)!;
    expect(result.metrics.find((m) => m.name === "failed")).toBeUndefined();
    const names = result.metrics.map((m) => m.name);
    for (const expected of EXPECTED[name]) expect(names).toContain(expected);
    for (const m of result.metrics) {
      const numbers = numbersOf(m.value);
      expect(numbers.length).toBeGreaterThan(0);
      for (const n of numbers) expect(Number.isFinite(n)).toBe(true);
    }
    expect(result.latencies.length).toBeGreaterThan(0);
    for (const s of result.latencies) for (const [, ms] of s.points) expect(Number.isFinite(ms)).toBe(true);
  });

  it("the figures the goals are judged on say whether they are met", () => {
    const judged = results.flatMap((r) => r.metrics.filter((m) => m.goal !== undefined));
    expect(judged.length).toBeGreaterThan(0);
    for (const m of judged) expect(typeof m.met).toBe("boolean");
  });
});
