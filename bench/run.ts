/**
 * `npm run bench [-- <scenario> ...]`: runs the benchmark scenarios (all, or those named) against the
 * sandbox simulators, prints one table, and writes results.json, latency.svg (the latency distributions)
 * and results.md into BENCH_OUT (default bench-results/). BENCH_SIZE=smoke runs each at a tiny size (the
 * tests do, to keep the harness working). Prints figures; asserts nothing (tests check behaviour).
 */
import "reflect-metadata";
import { formatTable, machineInfo, runScenarios, writeResults, type BenchSize } from "./harness";
import { SCENARIOS } from "./scenarios";

async function main(): Promise<void> {
  const names = process.argv.slice(2).filter((a) => !a.startsWith("-"));
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.name).join(", ")}`);
  const chosen = names.length ? SCENARIOS.filter((s) => names.includes(s.name)) : SCENARIOS;
  const size: BenchSize = process.env.BENCH_SIZE === "smoke" ? "smoke" : "full";
  const results = await runScenarios(chosen, size, (line) => process.stderr.write(`${line}\n`));
  const paths = writeResults(process.env.BENCH_OUT ?? "bench-results", results);
  const m = machineInfo();
  process.stdout.write(`\nbench (${size}; node ${m.node}, ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB; ${new Date().toISOString()})\n${formatTable(results)}\n`);
  for (const r of results) if (r.notes.length) process.stdout.write(`\n${r.scenario}:\n${r.notes.join("\n")}\n`);
  process.stdout.write(`\nwrote ${paths.json}, ${paths.svg}, ${paths.md}\n`);
  if (results.some((r) => r.metrics.some((x) => x.name === "failed"))) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
