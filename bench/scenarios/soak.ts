/**
 * Issue 13, item 6: 200 concurrent clients for 60 s on a mixed workload (the month overview, invoice-line
 * pages of different sizes and offsets, a customer's billing, the customer directory and, at a lower
 * weight, the NDJSON export), by several caller tenants so that some requests are cold, while every
 * simulator answers 5 % of its requests with a fault (503, 429 with Retry-After, a reset connection, a
 * delay, a malformed body). Every response body is read (autocannon's onResponse): VENDOR_* errors are
 * what the injected faults may cause; any other code, an error without one, a 5xx, a timeout or a
 * transport error is unexpected. RSS is taken after a warm-up and again at the end, both after a GC
 * when `global.gc` exists (`node --expose-gc`).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { request } from "undici";
import { signCallerToken } from "../../src/auth/caller";
import { lastMonth, operationsDir } from "../../src/graphql/examples";
import { SANDBOX_AUDIENCE, SANDBOX_ISSUER } from "../../src/sandbox";
import type { Fault } from "../../src/simulator-kit";
import { round, seriesFromAutocannon, type Metric, type Scenario } from "../harness";
import { sandboxGateway } from "./sandbox-figures";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require("autocannon") as (opts: Record<string, unknown>) => Promise<any>;

const FAULT_RATE = 0.05;
const FAULTS: Fault[] = [{ status: 503 }, { status: 429, retryAfter: 1 }, { reset: true }, { delayMs: 300 }, { body: "garbage" }];
/** Tenants other than the shared one: a fifth of the requests go to one of them in turn. */
const TENANTS = 20;
const MiB = 1024 * 1024;

/** What the responses said, counted as they arrive. */
class Tally {
  readonly expected = new Map<string, number>();
  readonly unexpected = new Map<string, number>();
  readonly statuses = new Map<number, number>();
  responses = 0;
  partial = 0;
  examples: string[] = [];

  private count(map: Map<string, number>, key: string) {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  /** One error's code: VENDOR_* is what an injected fault may cause; anything else is not. */
  code(kind: string, code: unknown, message: unknown, upstreamStatus?: unknown) {
    // With the vendor's status: the vendor answered so; without: the gateway itself (e.g. its quota governor refusing, a retry budget spent).
    if (typeof code === "string" && code.startsWith("VENDOR_")) return this.count(this.expected, `${code} (${upstreamStatus === undefined ? "no vendor status" : `vendor ${String(upstreamStatus)}`})`);
    const key = typeof code === "string" ? code : "(no code)";
    this.count(this.unexpected, key);
    if (this.examples.length < 5) this.examples.push(`${kind}: ${key}: ${String(message).slice(0, 160)}`);
  }

  graphql(kind: string, status: number, body: string) {
    this.responses++;
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    let parsed: { data?: unknown; errors?: Array<{ message?: unknown; extensions?: { code?: unknown; upstreamStatus?: unknown } }> };
    try {
      parsed = JSON.parse(body);
    } catch {
      return this.code(kind, `(status ${status}, body not JSON)`, body.slice(0, 160));
    }
    if (status !== 200) return this.code(kind, `HTTP ${status} ${String(parsed.errors?.[0]?.extensions?.code ?? "")}`.trim(), parsed.errors?.[0]?.message);
    if (parsed.errors?.length) this.partial++;
    for (const e of parsed.errors ?? []) this.code(kind, e.extensions?.code, e.message, e.extensions?.upstreamStatus);
  }

  export(status: number, body: string, headers: Record<string, string | string[]>) {
    if (status !== 200) return this.graphql("export", status, body);
    this.responses++;
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    const header = headers["x-export-errors"];
    if (!header) return;
    this.partial++;
    try {
      for (const e of JSON.parse(String(header)) as Array<{ code?: unknown; message?: unknown }>) this.code("export", e.code, e.message);
    } catch {
      this.code("export", "(x-export-errors not JSON)", header);
    }
  }
}

const sum = (m: Map<unknown, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const listed = (m: Map<string, number>) => ([...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(", ") || "none");

async function settle(calls: () => number, quietMs = 1_500, maxMs = 30_000): Promise<void> {
  const until = Date.now() + maxMs;
  for (let seen = calls(); Date.now() < until; ) {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    if (calls() === seen) return;
    seen = calls();
  }
}

function rssAfterGc(): number {
  for (let i = 0; i < 3; i++) global.gc?.();
  return process.memoryUsage().rss;
}

export const soak: Scenario = {
  name: "soak",
  title: "200 clients for 60 s, mixed workload, several tenants, 5 % of vendor requests faulted: unexpected errors, 5xx, RSS",
  async run(ctx) {
    const smoke = ctx.size === "smoke";
    const connections = smoke ? 10 : 200;
    const seconds = smoke ? 2 : Number(process.env.BENCH_SOAK_SECONDS ?? 60);
    const warmupSeconds = smoke ? 1 : 10;
    // Short TTLs: the tenants' entries expire during the run, so cold reads recur at a bounded cache size
    // (the default 60 s and 5 min would leave the run warm after its first minute).
    const g = await sandboxGateway({ overrides: { cache: { ttlSeconds: { currentUsage: 10, accounts: 10, openPeriod: 15 } } } });
    const { sandbox, gateway } = g;
    try {
      const token = (tenant: string) =>
        signCallerToken(sandbox.callerSecret, { issuer: SANDBOX_ISSUER, audience: SANDBOX_AUDIENCE, subject: `soak-${tenant}`, tenant, connections: "*", roles: ["billing:read"], expiresIn: "2h" });
      const shared = await token("soak-shared");
      const tenants = await Promise.all(Array.from({ length: TENANTS }, (_, i) => token(`soak-tenant-${i + 1}`)));
      let sent = 0;
      let nextTenant = 0;
      /** Four requests in five as the shared tenant (warm), the fifth as the next of the others (colder). */
      const authorization = () => `Bearer ${sent++ % 5 === 4 ? tenants[nextTenant++ % TENANTS] : shared}`;

      const period = lastMonth();
      const op = (file: string) => readFileSync(join(operationsDir(), file), "utf8");
      const gql = (query: string, variables: Record<string, unknown>) => JSON.stringify({ query, variables });
      const linesQuery = `query($p: BillingPeriod!, $first: Int, $after: String) { invoiceLines(period: $p, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } nodes { id quantity unit amount { amount currency } company { id name } product { externalId name } } } }`;
      const post = (url: string, headers: Record<string, string>, body: string) =>
        request(url, { method: "POST", headers, body }).then(async (r) => ({ status: r.statusCode, json: (await r.body.json()) as any }));
      const base = { "content-type": "application/json" };

      // Cursors for the later pages, read as the shared tenant.
      const first = await post(gateway.graphqlUrl, { ...base, authorization: `Bearer ${shared}` }, gql(linesQuery, { p: period, first: 50 }));
      const cursor50: string | null = first.json?.data?.invoiceLines?.pageInfo?.endCursor ?? null;
      const second = await post(gateway.graphqlUrl, { ...base, authorization: `Bearer ${shared}` }, gql(linesQuery, { p: period, first: 200, after: cursor50 }));
      const cursor250: string | null = second.json?.data?.invoiceLines?.pageInfo?.endCursor ?? null;
      if (!cursor50 || !cursor250) throw new Error(`no invoice-line cursors: ${JSON.stringify(first.json).slice(0, 300)}`);

      const tally = new Tally();
      const graphqlRequest = (kind: string, body: string) => ({
        method: "POST",
        path: "/graphql",
        body,
        setupRequest: (req: { headers: Record<string, string> }) => ({ ...req, headers: { ...base, authorization: authorization() } }),
        onResponse: (status: number, text: string) => tally.graphql(kind, status, text),
      });
      const overview = graphqlRequest("month overview", gql(op("month-overview.graphql"), { period }));
      const billing = graphqlRequest("customer billing", gql(op("customer-billing.graphql"), { period }));
      const customers = graphqlRequest("customers", gql("{ customers { id name psaCompanyId companies { id vendor name nameSource } } }", {}));
      const page = (first: number, after: string | null) => graphqlRequest(`invoiceLines(first: ${first})`, gql(linesQuery, { p: period, first, after }));
      const exportRequest = {
        method: "GET",
        path: `/exports/invoice-lines?period=${period}&format=ndjson`,
        setupRequest: (req: Record<string, unknown>) => ({ ...req, headers: { authorization: authorization() } }),
        onResponse: (status: number, text: string, _context: unknown, headers: Record<string, string | string[]>) => tally.export(status, text, headers),
      };
      // Each client cycles through this list: the export is one request in ten.
      const requests = [overview, page(50, null), billing, customers, page(200, cursor50), overview, page(100, cursor250), billing, customers, exportRequest];
      const load = (duration: number) => autocannon({ url: gateway.url, connections, duration, timeout: 30, requests });

      // Warm-up without faults: every tenant's caches are filled, the code is compiled; not counted.
      await load(warmupSeconds);
      const warmupTally = { responses: tally.responses, unexpected: sum(tally.unexpected) };
      tally.expected.clear();
      tally.unexpected.clear();
      tally.statuses.clear();
      tally.responses = 0;
      tally.partial = 0;
      tally.examples = [];

      sandbox.simulators.forEach((s, i) => s.faults.setRandomFaults(FAULT_RATE, FAULTS, 20_251 + i));
      const callsBefore = sandbox.simulators.map((s) => s.calls.count());
      const rssStart = rssAfterGc();
      let rssPeak = rssStart;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 500);
      let result: any;
      try {
        result = await load(seconds);
      } finally {
        clearInterval(sampler);
        for (const s of sandbox.simulators) s.faults.setRandomFaults(0, []);
      }
      // Requests the clients gave up on at the end still run (retry waits, report polls): let them finish
      // before the end figures and the stop, until the vendors have seen nothing new for a while.
      const routes = () => Object.assign({}, ...sandbox.simulators.map((s, i) => Object.fromEntries(Object.entries(s.calls.byRoute()).map(([r, n]) => [`${sandbox.config.connections[i]?.id ?? i} ${r}`, n]))));
      const routesAtEnd: Record<string, number> = routes();
      const settleStarted = Date.now();
      await settle(g.upstream);
      const settledMs = Date.now() - settleStarted;
      const routesAfter: Record<string, number> = routes();
      const tail = Object.entries(routesAfter)
        .filter(([r, n]) => n !== (routesAtEnd[r] ?? 0))
        .map(([r, n]) => `${r} ${n - (routesAtEnd[r] ?? 0)}`)
        .join(", ");
      const rssEnd = rssAfterGc();
      const injected = sandbox.simulators.reduce((n, s) => n + s.faults.randomFaultsInjected, 0);
      const runCalls = sandbox.simulators.flatMap((s, i) => s.calls.list().slice(callsBefore[i]));
      const vendorCalls = runCalls.length;
      // What the vendors answered, injected faults included: a 429 or 5xx beyond the injected ones is the simulator's own.
      const outcomes = new Map<string, number>();
      for (const c of runCalls) if (c.outcome !== 200 && c.outcome !== 202) outcomes.set(String(c.outcome ?? "none"), (outcomes.get(String(c.outcome ?? "none")) ?? 0) + 1);

      const unexpected = sum(tally.unexpected);
      const fiveXx = [...tally.statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
      const transport = result.errors as number; // includes timeouts
      const growth = (100 * (rssEnd - rssStart)) / rssStart;
      const metrics: Metric[] = [
        { name: `${connections} clients, ${seconds} s: requests/s`, value: round(result.requests.average, 0) },
        { name: "responses read (bodies parsed)", value: tally.responses },
        { name: "latency p50 / p99", value: `${result.latency.p50} / ${result.latency.p99}`, unit: "ms" },
        { name: "vendor requests / faults injected", value: `${vendorCalls} / ${injected}` },
        { name: "responses with VENDOR_* errors (expected)", value: tally.partial },
        { name: "unexpected errors (non-VENDOR_ codes, uncoded, non-200)", value: unexpected, goal: "0", met: unexpected === 0 },
        { name: "transport errors / timeouts", value: `${transport} / ${result.timeouts}`, goal: "0", met: transport === 0 },
        { name: "5xx", value: fiveXx, goal: "0", met: fiveXx === 0 },
        { name: "RSS start / end (after GC)", value: `${round(rssStart / MiB, 0)} / ${round(rssEnd / MiB, 0)}`, unit: `MiB (peak ${round(rssPeak / MiB, 0)})` },
        { name: "RSS growth", value: round(growth, 1), unit: "%", goal: "≤ 10 %", met: growth <= 10 },
      ];
      const notes = [
        `expected (VENDOR_*) error codes: ${listed(tally.expected)}`,
        `unexpected: ${listed(tally.unexpected)}${tally.examples.length ? `; e.g. ${tally.examples.join(" | ")}` : ""}`,
        `vendor answers other than 200/202 during the run (injected faults included): ${listed(outcomes)}`,
        `HTTP statuses: ${[...tally.statuses].map(([s, n]) => `${s} ${n}`).join(", ")}`,
        `warm-up (${warmupSeconds} s, no faults): ${warmupTally.responses} responses, ${warmupTally.unexpected} unexpected errors`,
        `workload per client, in turn: month overview, invoiceLines(first: 50), customer billing (harbor-dental), customers, invoiceLines(first: 200, after 50), month overview, invoiceLines(first: 100, after 250), customer billing, customers, GET export (NDJSON); 4 requests in 5 as one shared tenant, the 5th as one of ${TENANTS} others in turn`,
        `cache TTLs shortened for the run (current usage and accounts 10 s, open period 15 s) so cold reads recur; faults: ${FAULTS.map((f) => JSON.stringify(f)).join(" ")} at ${FAULT_RATE * 100} % of every simulator's requests; global.gc ${global.gc ? "available" : "not available (RSS without GC)"}`,
        `load generator (autocannon) in the same process: its memory is in the RSS too; after the run, vendor calls of requests the clients had given up on went on for ${round(settledMs / 1000, 1)} s (waited for, before the end RSS): ${tail || "none"}`,
      ];
      return { metrics, latencies: [seriesFromAutocannon(`${connections} clients, mixed, faults`, result.latency)], notes };
    } finally {
      await g.close();
    }
  },
};
