/**
 * The benchmark harness: scenarios, their results, and what is written from them.
 *
 * A scenario measures one thing against the sandbox simulators and returns its figures (each with the
 * goal it is held to, when it has one) and, where it measured latencies, their percentiles. `npm run bench`
 * prints one table, writes the results as JSON and the latency distributions as an SVG chart
 * (bench-results/ by default). A scenario runs at `full` size for the figures and at `smoke` size in the
 * tests, which only keeps the harness working (tests check behaviour, never times).
 */
import { cpus, totalmem, type as osType, release } from "node:os";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type BenchSize = "full" | "smoke";

export interface Metric {
  name: string;
  value: number | string;
  unit?: string;
  /** The goal, in words ("≤ 1.1× + 5 ms"). */
  goal?: string;
  /** Whether the value meets the goal; undefined where there is none. */
  met?: boolean;
}

/** Latency percentiles of one series, in ms: [percentile (0-100), ms], ascending. */
export interface LatencySeries {
  label: string;
  points: Array<[number, number]>;
}

export interface ScenarioResult {
  scenario: string;
  title: string;
  metrics: Metric[];
  latencies: LatencySeries[];
  /** Lines of explanation the scenario printed (older scripts report this way). */
  notes: string[];
  durationMs?: number;
}

export interface ScenarioContext {
  size: BenchSize;
  log(line: string): void;
}

export interface Scenario {
  name: string;
  title: string;
  run(ctx: ScenarioContext): Promise<Omit<ScenarioResult, "scenario" | "title" | "durationMs">>;
  /** Figures set against another scenario of the same run (e.g. a bare loop it measured), added after all ran. */
  relate?(own: ScenarioResult, all: ScenarioResult[]): Metric[];
}

/** The percentile of ascending samples (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export const CHART_PERCENTILES = [1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9];

export function seriesOf(label: string, samplesMs: number[]): LatencySeries {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return { label, points: CHART_PERCENTILES.map((p) => [p, round(percentile(sorted, p))]) };
}

/** From autocannon's latency object (p1 ... p99_9 keys). */
export function seriesFromAutocannon(label: string, latency: Record<string, number>): LatencySeries {
  const key = (p: number) => `p${String(p).replace(".", "_")}`;
  const points: Array<[number, number]> = [];
  for (const p of [1, 2.5, 10, 25, 50, 75, 90, 97.5, 99, 99.9]) if (typeof latency[key(p)] === "number") points.push([p, latency[key(p)]]);
  return { label, points };
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export function machineInfo() {
  const cpu = cpus();
  return { node: process.version, os: `${osType()} ${release()}`, cpus: cpu.length, cpuModel: cpu[0]?.model ?? "unknown", memoryGiB: round(totalmem() / 1024 ** 3, 1) };
}

function valueText(m: Metric): string {
  const text = `${typeof m.value === "number" ? String(m.value) : m.value}${m.unit ? ` ${m.unit}` : ""}`.replace(/\s+/g, " ");
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

function verdict(m: Metric): string {
  return m.met === undefined ? "" : m.met ? "met" : "MISSED";
}

/** The results as one plain-text table. */
export function formatTable(results: ScenarioResult[]): string {
  const rows: string[][] = [["scenario", "metric", "value", "goal", ""]];
  for (const r of results) for (const m of r.metrics) rows.push([r.scenario, m.name, valueText(m), m.goal ?? "", verdict(m)]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

/** The results as a Markdown table (for BENCHMARKS.md). */
export function formatMarkdown(results: ScenarioResult[]): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const lines = ["| scenario | metric | value | goal | |", "| --- | --- | --- | --- | --- |"];
  for (const r of results) for (const m of r.metrics) lines.push(`| ${r.scenario} | ${esc(m.name)} | ${esc(valueText(m))} | ${esc(m.goal ?? "")} | ${verdict(m)} |`);
  return lines.join("\n");
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];

const escXml = (s: string) => s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);

/**
 * Latency distributions as an SVG chart: one panel per scenario, percentile on the x axis, latency (ms,
 * log scale) on the y axis, one line per series.
 */
export function latencyChartSvg(results: ScenarioResult[]): string {
  const panels = results.filter((r) => r.latencies.some((s) => s.points.length > 0));
  const W = 560;
  const H = 240;
  const pad = { l: 56, r: 16, t: 28, b: 34 };
  const x = (p: number) => pad.l + ((Math.log10(100 - Math.min(p, 99.9)) - 2) / (Math.log10(0.1) - 2)) * (W - pad.l - pad.r);
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${Math.max(1, panels.length) * H}" font-family="sans-serif" font-size="11">`];
  panels.forEach((r, i) => {
    const top = i * H;
    const all = r.latencies.flatMap((s) => s.points.map(([, ms]) => Math.max(ms, 0.1)));
    const lo = Math.log10(Math.min(...all));
    const hi = Math.log10(Math.max(...all)) + 0.05;
    const y = (ms: number) => top + H - pad.b - ((Math.log10(Math.max(ms, 0.1)) - lo) / Math.max(hi - lo, 0.1)) * (H - pad.t - pad.b);
    out.push(`<text x="${pad.l}" y="${top + 16}" font-weight="bold">${escXml(r.scenario)}: ${escXml(r.title)}</text>`);
    out.push(`<rect x="${pad.l}" y="${top + pad.t}" width="${W - pad.l - pad.r}" height="${H - pad.t - pad.b}" fill="none" stroke="#999"/>`);
    for (const p of [0, 50, 90, 99, 99.9]) out.push(`<text x="${x(p)}" y="${top + H - pad.b + 14}" text-anchor="middle">p${p}</text>`);
    for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
      const ms = 10 ** e;
      if (Math.log10(ms) < lo || Math.log10(ms) > hi) continue;
      out.push(`<text x="${pad.l - 4}" y="${y(ms) + 4}" text-anchor="end">${ms >= 1 ? ms : ms.toFixed(1)} ms</text>`);
    }
    r.latencies.forEach((s, k) => {
      const color = PALETTE[k % PALETTE.length];
      const d = s.points.map(([p, ms], j) => `${j ? "L" : "M"}${x(p).toFixed(1)},${y(ms).toFixed(1)}`).join(" ");
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
      out.push(`<text x="${W - pad.r - 4}" y="${top + pad.t + 14 + k * 13}" text-anchor="end" fill="${color}">${escXml(s.label)}</text>`);
    });
  });
  out.push("</svg>");
  return out.join("\n");
}

/** Writes results.json, latency.svg and results.md into `dir`; returns their paths. */
export function writeResults(dir: string, results: ScenarioResult[]): { json: string; svg: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const paths = { json: join(dir, "results.json"), svg: join(dir, "latency.svg"), md: join(dir, "results.md") };
  writeFileSync(paths.json, `${JSON.stringify({ ranAt: new Date().toISOString(), machine: machineInfo(), results }, null, 2)}\n`);
  writeFileSync(paths.svg, `${latencyChartSvg(results)}\n`);
  writeFileSync(paths.md, `${formatMarkdown(results)}\n`);
  return paths;
}

/** Runs the scenarios in order; a failing one is reported as such and the others still run. */
export async function runScenarios(scenarios: Scenario[], size: BenchSize, log: (line: string) => void = () => undefined): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const s of scenarios) {
    const started = Date.now();
    log(`running ${s.name} (${size})...`);
    try {
      const r = await s.run({ size, log });
      results.push({ scenario: s.name, title: s.title, ...r, durationMs: Date.now() - started });
    } catch (err) {
      results.push({ scenario: s.name, title: s.title, metrics: [{ name: "failed", value: err instanceof Error ? err.message : String(err), met: false }], latencies: [], notes: [], durationMs: Date.now() - started });
    }
  }
  for (const s of scenarios) {
    const own = results.find((r) => r.scenario === s.name);
    if (s.relate && own && !own.metrics.some((m) => m.name === "failed")) own.metrics.push(...s.relate(own, results));
  }
  return results;
}
