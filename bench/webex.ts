/**
 * Webex USER report: 200,000 rows from the simulator, parsed and aggregated (per customer and SKU,
 * exact decimals) by the connector's streaming path, next to a bare csv-parse loop over the same bytes.
 */
import { Readable } from "node:stream";
import { parse } from "csv-parse";
import { request } from "undici";
import { Dec } from "../src/domain/money";
import type { ConnectionInfo } from "../src/domain/model";
import { streamCsvRows } from "../src/vendors/webex-wholesale/csv";
import { rowToLine } from "../src/vendors/webex-wholesale/mapper";
import { largeWebexWorld } from "../src/vendors/webex-wholesale/simulator/fixtures";
import { createWebexSimulator, WEBEX_SANDBOX_TOKEN } from "../src/vendors/webex-wholesale/simulator/server";

const ROWS = Number(process.env.BENCH_WEBEX_ROWS ?? 200_000);
const info: ConnectionInfo = { id: "bench", vendor: "WEBEX", api: "webex-wholesale", name: null };
const period = { year: 2026, month: 8 };

async function aggregate(source: Readable): Promise<{ rows: number; groups: number; problems: number; total: string }> {
  const sums = new Map<string, Dec>();
  let problems = 0;
  const summary = await streamCsvRows(source, (row, n) => {
    const line = rowToLine(info, "self", period, "bench-report", row, n);
    if (typeof line === "string") {
      problems++;
      return;
    }
    const key = `${line.companyKey}|${line.productKey}`;
    sums.set(key, (sums.get(key) ?? new Dec(0)).plus(line.quantity));
  });
  let total = new Dec(0);
  for (const v of sums.values()) total = total.plus(v);
  return { rows: summary.rows, groups: sums.size, problems: problems + summary.problems.length, total: total.toFixed() };
}

async function bare(source: Readable): Promise<number> {
  let n = 0;
  for await (const _record of source.pipe(parse({ bom: true, relax_column_count: true }))) n++;
  return n - 1; // header
}

export async function runWebexBench(): Promise<string[]> {
  const sim = await createWebexSimulator({ world: largeWebexWorld(ROWS), pollsToComplete: 1 });
  const auth = { authorization: `Bearer ${WEBEX_SANDBOX_TOKEN}` };
  const created = (await (
    await request(`${sim.url}/wholesale/billing/reports`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ billingStartDate: "2026-08-01", billingEndDate: "2026-08-31", type: "USER" }),
    })
  ).body.json()) as { id: string };
  const report = (await (await request(`${sim.url}/wholesale/billing/reports/${created.id}`, { headers: auth })).body.json()) as { tempDownloadURL: string };
  const out: string[] = [];
  const line = (label: string, value: string) => out.push(`${label.padEnd(58)} ${value}`);

  // 1. Streaming end to end from the simulator over HTTP: the memory figure is taken here, first.
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  let t0 = performance.now();
  const streamed = await aggregate((await request(report.tempDownloadURL)).body);
  const streamedMs = performance.now() - t0;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  line(`webex USER report: rows streamed over HTTP and aggregated`, `${streamed.rows} rows, ${streamed.groups} customer×SKU sums, ${streamed.problems} problems`);
  line("  rows/s (HTTP + parse + map + exact sums)", `${Math.round(streamed.rows / (streamedMs / 1000))}`);
  line("  peak RSS during the run (MiB)", `${(peak / 1048576).toFixed(0)} (from ${(rssBefore / 1048576).toFixed(0)} before)`);

  // 2. The same bytes from memory: the gateway's path against a bare csv-parse loop.
  const bytes = Buffer.from(await (await request(report.tempDownloadURL)).body.arrayBuffer());
  const chunks = (b: Buffer) => Readable.from((function* () { for (let i = 0; i < b.length; i += 65536) yield b.subarray(i, i + 65536); })());
  const runs = 3;
  let bareBest = Infinity;
  let oursBest = Infinity;
  let bareRows = 0;
  for (let i = 0; i < runs; i++) {
    t0 = performance.now();
    bareRows = await bare(chunks(bytes));
    bareBest = Math.min(bareBest, performance.now() - t0);
    t0 = performance.now();
    const ours = await aggregate(chunks(bytes));
    oursBest = Math.min(oursBest, performance.now() - t0);
    if (ours.total !== streamed.total) throw new Error("aggregation differs between runs");
  }
  line(`  same ${(bytes.length / 1048576).toFixed(0)} MiB from memory, best of ${runs}: bare csv-parse rows/s`, `${Math.round(bareRows / (bareBest / 1000))}`);
  line("  gateway path (parse + map + exact sums) rows/s", `${Math.round(streamed.rows / (oursBest / 1000))}`);
  line("  gateway time / bare time (goal ≤ 1.5)", (oursBest / bareBest).toFixed(2));
  line("  total quantity (exact)", streamed.total);
  await sim.close();
  return out;
}

if (require.main === module) {
  void runWebexBench().then((lines) => process.stdout.write(`${lines.join("\n")}\n`));
}
