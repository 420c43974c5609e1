/**
 * The figures the bench has printed since the first issues, as scenarios: the month overview (upstream
 * calls cold and warm, warm throughput), the costliest request the default limits let through, a large
 * MSP's invoice-line page, and, each in a process of its own so its peak RSS is its own, the Webex
 * report, the Partner Center invoice and the hostile-input corpus.
 */
import "reflect-metadata";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "graphql";
import { request } from "undici";
import { createGateway } from "../../src/gateway";
import { lastMonth, operationsDir } from "../../src/graphql/examples";
import { DEFAULT_LIMITS, operationCost } from "../../src/graphql/limits";
import { buildGatewaySchema } from "../../src/graphql/schema";
import { createLogger } from "../../src/logger";
import { startSandbox, type SandboxOptions } from "../../src/sandbox";
import { generateCurrentUsage } from "../../src/vendors/keeper/simulator/fixtures";
import { round, seriesFromAutocannon, type Metric, type Scenario, type ScenarioContext } from "../harness";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require("autocannon") as (opts: Record<string, unknown>) => Promise<any>;

/** A sandbox gateway in this process (with simulator latency and configuration overrides), and a timed POST to it. */
export async function sandboxGateway(options: Pick<SandboxOptions, "latencyMs" | "overrides"> = {}) {
  const sandbox = await startSandbox(options);
  const gateway = await createGateway({ config: sandbox.config, logger: createLogger({ level: "silent" }), sandbox: { devToken: sandbox.devToken } });
  const headers = { "content-type": "application/json", authorization: `Bearer ${sandbox.devToken}` };
  const upstream = () => sandbox.simulators.reduce((n, s) => n + s.calls.count(), 0);
  const post = async (payload: string, extraHeaders: Record<string, string> = {}) => {
    const started = process.hrtime.bigint();
    const res = await request(gateway.graphqlUrl, { method: "POST", headers: { ...headers, ...extraHeaders }, body: payload });
    const text = await res.body.text();
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, bytes: text.length, status: res.statusCode, errors: (JSON.parse(text).errors ?? []).length as number, text };
  };
  return {
    sandbox,
    gateway,
    headers,
    upstream,
    post,
    async close() {
      await gateway.stop();
      await sandbox.close();
    },
  };
}

export const monthOverview: Scenario = {
  name: "month-overview",
  title: "the sandbox month overview: upstream calls cold and warm, warm throughput (10 clients)",
  async run(ctx: ScenarioContext) {
    const g = await sandboxGateway();
    try {
      const body = JSON.stringify({ query: readFileSync(join(operationsDir(), "month-overview.graphql"), "utf8"), variables: { period: lastMonth() } });
      const before = g.upstream();
      const cold = await g.post(body);
      const coldCalls = g.upstream() - before;
      const warmStart = g.upstream();
      const warm = await g.post(body);
      const warmCalls = g.upstream() - warmStart;
      const seconds = ctx.size === "smoke" ? 1 : Number(process.env.BENCH_SECONDS ?? 5);
      const result = await autocannon({ url: g.gateway.graphqlUrl, method: "POST", headers: g.headers, body, connections: 10, duration: seconds });
      const metrics: Metric[] = [
        { name: "cold: upstream calls", value: coldCalls },
        { name: "cold: time", value: round(cold.ms), unit: "ms" },
        { name: "warm: upstream calls", value: warmCalls, goal: "0", met: warmCalls === 0 },
        { name: "warm: time", value: round(warm.ms), unit: "ms" },
        { name: `warm, 10 clients, ${seconds} s: requests/s`, value: round(result.requests.average, 0) },
        { name: "warm: latency p50 / p99", value: `${result.latency.p50} / ${result.latency.p99}`, unit: "ms" },
        { name: "warm: non-2xx / errors", value: `${result.non2xx} / ${result.errors}`, goal: "0 / 0", met: result.non2xx === 0 && result.errors === 0 },
      ];
      return { metrics, latencies: [seriesFromAutocannon("warm, 10 clients", result.latency)], notes: [] };
    } finally {
      await g.close();
    }
  },
};

export const costliest: Scenario = {
  name: "costliest",
  title: "the costliest request the default limits let through (aliases of full invoice-line pages), cold",
  async run() {
    const g = await sandboxGateway();
    try {
      const period = lastMonth();
      const lineFields = `totalCount nodes { id quantity unit currency description chargeType chargeStart chargeEnd
        amount { amount currency } tax { amount } total { amount } unitPrice { amount currency }
        company { id name } product { id name externalId } partner { id name } }`;
      const flood = (n: number, p: string) =>
        JSON.stringify({ query: `query Flood($p: BillingPeriod!) { ${Array.from({ length: n }, (_, i) => `a${i}: invoiceLines(period: $p, first: 1000) { ${lineFields} }`).join(" ")} }`, variables: { p } });
      // Probed with a month in the future: a request within the limits is then refused by the input
      // check (no limit named) instead of running, so probing calls no vendor.
      let aliases = 40;
      let refusedBy = "";
      for (; aliases > 0; aliases--) {
        const probe = await g.post(flood(aliases, "2999-01"));
        const limit = (JSON.parse(probe.text).errors?.[0]?.extensions?.limit ?? null) as string | null;
        if (!limit) break;
        refusedBy = `${aliases} refused by the ${limit} limit`;
      }
      const payload = JSON.parse(flood(aliases, period)) as { query: string; variables: Record<string, unknown> };
      const cost = operationCost(DEFAULT_LIMITS, { schema: await buildGatewaySchema(), query: parse(payload.query), variables: payload.variables });
      const calls = g.upstream();
      global.gc?.();
      const rssBefore = process.memoryUsage().rss;
      const res = await g.post(flood(aliases, period));
      return {
        metrics: [
          { name: "aliases of invoiceLines(first: 1000) let through", value: aliases, unit: `(${refusedBy}, before any vendor call)` },
          { name: "its cost estimate", value: cost, goal: `≤ maxCost ${DEFAULT_LIMITS.maxCost}`, met: cost <= DEFAULT_LIMITS.maxCost },
          { name: "cold: time", value: round(res.ms, 0), unit: "ms" },
          { name: "cold: vendor calls", value: g.upstream() - calls },
          { name: "cold: body", value: round(res.bytes / 1048576), unit: "MB" },
          { name: "cold: errors", value: res.errors },
          { name: "RSS growth over it", value: round((process.memoryUsage().rss - rssBefore) / 1048576, 0), unit: "MiB" },
        ],
        latencies: [],
        notes: [],
      };
    } finally {
      await g.close();
    }
  },
};

export const largeMsp: Scenario = {
  name: "large-msp",
  title: "a large MSP (1,500 companies): one page of 1,000 invoice lines, cold and warm",
  async run(ctx) {
    const g = await sandboxGateway();
    try {
      const companies = ctx.size === "smoke" ? 50 : 1500;
      g.sandbox.keeperMsp.current = generateCurrentUsage("bench-large", companies, { mspName: "Large MSP", idBase: 70000 });
      const body = JSON.stringify({
        query: `query($p: BillingPeriod!) { invoiceLines(period: $p, first: 1000, filter: { connectionId: "keeper-msp" }) {
          totalCount nodes { id quantity unitPrice { amount } amount { amount } company { id name } product { externalId name } } } }`,
        variables: { p: "2024-03" },
      });
      global.gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      const cold = await g.post(body);
      const warm = await g.post(body);
      return {
        metrics: [
          { name: "lines in the month", value: JSON.parse(warm.text).data.invoiceLines.totalCount },
          { name: "first page, cold", value: round(cold.ms), unit: `ms (${round(cold.bytes / 1024, 0)} KiB)` },
          { name: "same page, warm", value: round(warm.ms), unit: "ms" },
          { name: "heap growth over the two", value: round((process.memoryUsage().heapUsed - heapBefore) / 1048576), unit: "MiB" },
        ],
        latencies: [],
        notes: [],
      };
    } finally {
      await g.close();
    }
  },
};

/** Runs one of the older bench scripts in a fresh process (its peak RSS its own); its lines are the notes. */
/** The number at the end of the first note line matching `pattern` (the older scripts' figures). */
export function figureIn(notes: string[], pattern: RegExp): number {
  const line = notes.find((l) => pattern.test(l));
  return line ? Number(/(-?\d+(?:\.\d+)?)\s*(?:\(.*\))?\s*$/.exec(line)?.[1]) : Number.NaN;
}

function childScenario(name: string, title: string, script: string, smokeEnv: Record<string, string>, goals: Array<{ pattern: RegExp; name: string; goal: string; test: (v: number) => boolean }>): Scenario {
  return {
    name,
    title,
    async run(ctx) {
      const env = { ...process.env, ...(ctx.size === "smoke" ? smokeEnv : {}) };
      const child = spawn(process.execPath, [join(__dirname, "..", script)], { env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += String(c)));
      child.stderr.on("data", (c: Buffer) => (stderr += String(c)));
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      if (code !== 0) throw new Error(`${script} exited ${code}: ${stderr.slice(-400)}`);
      const notes = stdout.trimEnd().split("\n");
      const metrics: Metric[] = [];
      for (const g of goals) {
        const value = figureIn(notes, g.pattern);
        metrics.push({ name: g.name, value: Number.isNaN(value) ? "not found" : value, goal: g.goal, met: !Number.isNaN(value) && g.test(value) });
      }
      return { metrics, latencies: [], notes };
    },
  };
}

export const webexReport = childScenario(
  "webex-report",
  "the Webex 200,000-row USER report: streamed, parsed, mapped and summed exactly, against a bare csv-parse loop",
  "webex.js",
  { BENCH_WEBEX_ROWS: "2000" },
  [{ pattern: /gateway time \/ bare time/, name: "gateway time ÷ bare csv-parse loop", goal: "≤ 1.5", test: (v) => v <= 1.5 }],
);

export const partnerInvoice = childScenario(
  "partner-invoice",
  "the Partner Center 1,000,000-line invoice: exported, streamed, stored and aggregated, against a bare gunzip + JSON.parse loop",
  "partner-billing.js",
  // Over memoryLineLimit (10,000), so the line store is used as at full size.
  { BENCH_PCB_LINES: "20000" },
  [
    { pattern: /gateway time \/ bare time/, name: "gateway time ÷ bare gunzip + JSON.parse loop", goal: "≤ 1.5", test: (v) => v <= 1.5 },
    { pattern: /peak RSS during the run/, name: "peak RSS end to end (MiB)", goal: "< 256", test: (v) => v < 256 },
  ],
);

export const hostile = childScenario(
  "hostile",
  "the hostile-input corpus against a gateway in its own process",
  "hostile-corpus.js",
  {},
  [
    { pattern: /^\s+5xx \(goal 0\)/, name: "5xx", goal: "0", test: (v) => v === 0 },
    { pattern: /vendor calls caused by refused requests/, name: "vendor calls caused by refused requests", goal: "0", test: (v) => v === 0 },
  ],
);

const BIG_SMOKE = { BENCH_WEBEX_ROWS: "2000", BENCH_PCB_LINES: "20000" };

/** End to end through GraphQL, set against the bare loops the webex-report and partner-invoice scenarios measured. */
export const bigData: Scenario = {
  ...childScenario("big-data", "the Webex USER report and the Partner Center invoice end to end through GraphQL, cold, against their bare parse loops", "big-data.js", BIG_SMOKE, [
    { pattern: /^\s+peak RSS during it/, name: "webex: peak RSS (MiB)", goal: "< 256", test: (v) => v < 256 },
  ]),
  relate(own, all) {
    const metrics: Metric[] = [];
    const wxTime = figureIn(own.notes, /^\s+time \(ms\)/);
    const pcNotes = own.notes.slice(own.notes.findIndex((l) => l.startsWith("partner invoice")));
    const pcTime = figureIn(pcNotes, /^\s+time \(ms\)/);
    const pcPeak = figureIn(pcNotes, /^\s+peak RSS during it/);
    metrics.push({ name: "webex: time", value: wxTime, unit: "ms" });
    metrics.push({ name: "partner invoice: time", value: pcTime, unit: "ms" });
    metrics.push({ name: "partner invoice: peak RSS (MiB)", value: pcPeak, goal: "< 256", met: pcPeak < 256 });
    const wxBare = figureIn(all.find((r) => r.scenario === "webex-report")?.notes ?? [], /bare csv-parse rows\/s/);
    const pcBare = figureIn(all.find((r) => r.scenario === "partner-invoice")?.notes ?? [], /bare gunzip \+ JSON\.parse lines\/s/);
    const pcLines = Number(/(\d+) lines/.exec(pcNotes[0] ?? "")?.[1]);
    const wxRows = Number(/(\d+) rows/.exec(own.notes.find((l) => l.startsWith("webex USER report")) ?? "")?.[1]);
    if (!Number.isNaN(wxBare)) metrics.push({ name: "webex: end to end ÷ bare csv-parse time", value: round(wxTime / ((wxRows / wxBare) * 1000), 2), unit: "(includes the simulator generating and sending the report)" });
    if (!Number.isNaN(pcBare)) metrics.push({ name: "partner invoice: end to end ÷ bare gunzip + JSON.parse time", value: round(pcTime / ((pcLines / pcBare) * 1000), 2), unit: "(includes the export and the blob downloads)" });
    return metrics;
  },
};
