/**
 * `npm run bench`: figures for the gateway on the sandbox simulators (loopback only, bounded runs).
 *  1. upstream calls per operation, cold and warm (the DataLoader + cache effect);
 *  2. throughput and latency of the month-overview dashboard query on a warm cache (autocannon);
 *  3. the costliest request the default limits let through (aliases of full invoice-line pages), cold;
 *  4. a large MSP (1,500 companies): cold and warm time of one invoice-lines page, and memory;
 *  then, each in its own process: the large Webex and Partner Center reports, and the hostile-request
 *  corpus (hostile-corpus.ts: refusals, vendor calls and RSS before and after).
 * Prints figures; asserts nothing (tests check behaviour).
 */
import "reflect-metadata";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { request } from "undici";
import { parse } from "graphql";
import { createGateway } from "../src/gateway";
import { DEFAULT_LIMITS, operationCost } from "../src/graphql/limits";
import { buildGatewaySchema } from "../src/graphql/schema";
import { operationsDir, lastMonth } from "../src/graphql/examples";
import { createLogger } from "../src/logger";
import { startSandbox } from "../src/sandbox";
import { generateCurrentUsage } from "../src/vendors/keeper/simulator/fixtures";
import { spawnSync } from "node:child_process";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require("autocannon") as (opts: Record<string, unknown>) => Promise<any>;

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 5);

async function main(): Promise<void> {
  const sandbox = await startSandbox();
  const gateway = await createGateway({ config: sandbox.config, logger: createLogger({ level: "silent" }), sandbox: { devToken: sandbox.devToken } });
  const overview = readFileSync(join(operationsDir(), "month-overview.graphql"), "utf8");
  const period = lastMonth();
  const body = JSON.stringify({ query: overview, variables: { period } });
  const headers = { "content-type": "application/json", authorization: `Bearer ${sandbox.devToken}` };
  const upstream = () => sandbox.simulators.reduce((n, s) => n + s.calls.count(), 0);
  const post = async (payload: string) => {
    const started = process.hrtime.bigint();
    const res = await request(gateway.graphqlUrl, { method: "POST", headers, body: payload });
    const text = await res.body.text();
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, bytes: text.length, errors: (JSON.parse(text).errors ?? []).length };
  };

  const out: string[] = [];
  const line = (label: string, value: string) => out.push(`${label.padEnd(58)} ${value}`);

  // 1. Upstream calls per operation.
  const before = upstream();
  const cold = await post(body);
  const coldCalls = upstream() - before;
  const warmStart = upstream();
  const warm = await post(body);
  line("month overview: partners in sandbox", String(JSON.parse((await (await request(gateway.graphqlUrl, { method: "POST", headers, body: JSON.stringify({ query: "{ partners { totalCount } }" }) })).body.text())).data.partners.totalCount));
  line("month overview, cold: upstream calls", `${coldCalls} (${cold.ms.toFixed(1)} ms, ${cold.bytes} bytes, ${cold.errors} errors)`);
  line("month overview, warm: upstream calls", `${upstream() - warmStart} (${warm.ms.toFixed(1)} ms)`);

  // 2. Warm throughput.
  const result = await autocannon({ url: gateway.graphqlUrl, method: "POST", headers, body, connections: 10, duration: DURATION_S });
  line(`month overview, warm, 10 connections, ${DURATION_S} s: requests/s`, `${result.requests.average.toFixed(0)}`);
  line("  latency p50 / p99 (ms)", `${result.latency.p50} / ${result.latency.p99}`);
  line("  non-2xx / errors", `${result.non2xx} / ${result.errors}`);
  line("  upstream calls during the run", String(upstream() - warmStart));
  const { hits, misses, joined } = gateway.cache.stats;
  line("cache so far: hits / misses / joined in flight", `${hits} / ${misses} / ${joined}`);

  // 3. The costliest request the default limits let through: as many aliases of a full page of invoice
  //    lines (every field) as the cost and alias limits allow, on a cold cache.
  const lineFields = `totalCount nodes { id quantity unit currency description chargeType chargeStart chargeEnd
    amount { amount currency } tax { amount } total { amount } unitPrice { amount currency }
    company { id name } product { id name externalId } partner { id name } }`;
  const flood = (n: number, p: string) =>
    JSON.stringify({
      query: `query Flood($p: BillingPeriod!) { ${Array.from({ length: n }, (_, i) => `a${i}: invoiceLines(period: $p, first: 1000) { ${lineFields} }`).join(" ")} }`,
      variables: { p },
    });
  await gateway.cache.clear();
  // Probed with a month in the future: a request within the limits is then refused by the input check
  // (no limit named) instead of running, so probing calls no vendor.
  let aliases = 40;
  let refusedBy = "";
  for (; aliases > 0; aliases--) {
    const probe = await request(gateway.graphqlUrl, { method: "POST", headers, body: flood(aliases, "2999-01") });
    const limit = (JSON.parse(await probe.body.text()).errors?.[0]?.extensions?.limit ?? null) as string | null;
    if (!limit) break;
    refusedBy = `${aliases} refused by the ${limit} limit`;
  }
  const floodCalls = upstream();
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const costliest = await post(flood(aliases, period));
  const floodBody = JSON.parse(flood(aliases, period)) as { query: string; variables: Record<string, unknown> };
  const cost = operationCost(DEFAULT_LIMITS, { schema: await buildGatewaySchema(), query: parse(floodBody.query), variables: floodBody.variables });
  line("costliest request the default limits let through", `${aliases} aliases of invoiceLines(first: 1000), every field (${refusedBy}, before any vendor call)`);
  line("  its cost estimate (maxCost)", `${cost} (${DEFAULT_LIMITS.maxCost})`);
  line("  cold: time, vendor calls, body, errors", `${costliest.ms.toFixed(0)} ms, ${upstream() - floodCalls} calls, ${(costliest.bytes / 1048576).toFixed(1)} MB, ${costliest.errors} errors`);
  line("  RSS growth over it (MiB)", ((process.memoryUsage().rss - rssBefore) / 1048576).toFixed(0));

  // 4. A large MSP: 1,500 managed companies.
  sandbox.keeperMsp.current = generateCurrentUsage("bench-large", 1500, { mspName: "Large MSP", idBase: 70000 });
  const linesQuery = JSON.stringify({
    query: `query($p: BillingPeriod!) { invoiceLines(period: $p, first: 1000, filter: { connectionId: "keeper-msp" }) {
      totalCount nodes { id quantity unitPrice { amount } amount { amount } company { id name } product { externalId name } } } }`,
    variables: { p: "2024-03" },
  });
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const bigCold = await post(linesQuery);
  const bigWarm = await post(linesQuery);
  const totalLines = JSON.parse((await (await request(gateway.graphqlUrl, { method: "POST", headers, body: linesQuery })).body.text())).data.invoiceLines.totalCount;
  line("large MSP (1,500 companies): invoice lines in the month", String(totalLines));
  line("  first page of 1,000 lines, cold (ms)", `${bigCold.ms.toFixed(1)} (${(bigCold.bytes / 1024).toFixed(0)} KiB)`);
  line("  same page, warm (ms)", bigWarm.ms.toFixed(1));
  line("  heap growth over the two requests (MiB)", ((process.memoryUsage().heapUsed - heapBefore) / 1048576).toFixed(1));
  line("process RSS at the end (MiB)", (process.memoryUsage().rss / 1048576).toFixed(0));

  await gateway.stop();
  await sandbox.close();
  // The large-report figures come from fresh processes, so each peak RSS is its own.
  for (const script of ["webex.js", "partner-billing.js", "hostile-corpus.js"]) {
    const child = spawnSync(process.execPath, [join(__dirname, script)], { encoding: "utf8", env: process.env });
    if (child.status !== 0) throw new Error(`${script} failed: ${child.stderr}`);
    out.push(...child.stdout.trimEnd().split("\n"));
  }
  process.stdout.write(`\nbench (node ${process.version}, ${new Date().toISOString()})\n${out.join("\n")}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
