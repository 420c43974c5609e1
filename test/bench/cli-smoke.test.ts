/**
 * `npm run bench` as a user runs it, at the smoke size: every scenario runs, the table is printed, and
 * results.json, latency.svg and results.md are written. Keeps the harness working; asserts no figure
 * (benchmarks print figures, tests check behaviour).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SCENARIOS } from "../../bench/scenarios";
import { buildDist } from "../helpers/build";

const run = promisify(execFile);
const root = join(__dirname, "..", "..");
const SLOW_MS = 300_000;

it("runs every scenario at the smoke size and writes the table, the JSON, the chart and the Markdown", async () => {
  const out = mkdtempSync(join(tmpdir(), "bench-smoke-"));
  try {
    await buildDist();
    const { stdout } = await run(process.execPath, ["--expose-gc", join(root, "dist", "bench", "run.js")], {
      cwd: root,
      env: { ...process.env, BENCH_SIZE: "smoke", BENCH_OUT: out, NODE_ENV: "production" },
      maxBuffer: 64 * 1024 * 1024,
      timeout: SLOW_MS,
    });
    expect(stdout).toMatch(/^scenario\s+metric\s+value\s+goal/m);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    expect(results.machine).toMatchObject({ node: process.version, cpus: expect.any(Number) });
    expect(results.results.map((r: any) => r.scenario)).toEqual(SCENARIOS.map((s) => s.name));
    for (const r of results.results) {
      expect([r.scenario, r.metrics.find((m: any) => m.name === "failed")?.value]).toEqual([r.scenario, undefined]);
      expect(r.metrics.length).toBeGreaterThan(0);
    }
    const svg = readFileSync(join(out, "latency.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    for (const r of results.results.filter((x: any) => x.latencies.length > 0)) expect(svg).toContain(`${r.scenario}:`);
    expect(readFileSync(join(out, "results.md"), "utf8")).toMatch(/^\| scenario \| metric \| value \| goal \|/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, SLOW_MS);
