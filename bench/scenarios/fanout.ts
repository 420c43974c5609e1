/**
 * Issue 13, fan-out: one query touching every connection (Keeper MSP and distributor, Webex, the
 * Microsoft marketplace and Partner Center), every simulator at 50 ms. Each timed request has a tenant
 * of its own, so all its data is cold and it really fans out; vendor tokens are warmed first (they are
 * per connection). Figures: latency p50 / p99 against the slowest connection's own critical path,
 * called directly; upstream calls per query against the fewest the query can be answered with.
 *
 * The query takes, per connection, the read with the fewest upstream calls that still touches it.
 * Two of them are chains the contracts impose (a later call needs the earlier one's answer), so the
 * slowest upstream "call" is the slowest connection's chain, timed directly with the connector's own
 * requests:
 * - Webex (webex.md): the managed companies come from last month's customer report; the completed
 *   report is known from the store, but its download link is temporary and comes only from a GET by
 *   id: get-report, then download.
 * - Partner Center (microsoft-partner-billing.md): the billed invoice's export is known from the store,
 *   but the manifest (with its SAS token) is read fresh: get-operation (the sandbox's carries the
 *   manifest inline; a navigation link would add a get-manifest), then the blobs (in parallel).
 */
import { globalId } from "../../src/graphql/ids";
import { lastMonth } from "../../src/graphql/examples";
import { SANDBOX_CONNECTIONS } from "../../src/sandbox";
import type { CallRecord } from "../../src/simulator-kit";
import { WEBEX_PARTNER_SELF } from "../../src/vendors/webex-wholesale";
import { PARTNER_SELF } from "../../src/vendors/microsoft-partner-billing";
import { percentile, round, seriesOf, type Metric, type Scenario } from "../harness";
import { coldCallerTokens, coldSandboxGateway, elapsedMs, replay, resourceOf, type SandboxGateway } from "./cold-requests";

const LATENCY_MS = 50;

/**
 * Per connection (= simulator name): the stages of its critical path, each the routes called at once; a
 * route ending in "?" is there only when the vendor's answer asks for it.
 */
const CRITICAL_PATHS: Record<string, string[][]> = {
  "keeper-msp": [["current-usage"]],
  "keeper-distributor": [["accounts"]],
  "webex-wholesale": [["get-report"], ["download"]],
  "microsoft-marketplace": [["list-subscriptions"]],
  "microsoft-partner-billing": [["get-operation"], ["get-manifest?"], ["blob"]],
};

const QUERY = `query FanOut($period: BillingPeriod!, $webex: ID!, $partnerCenter: ID!) {
  # Keeper distributor: its accounts; marketplace: its SaaS subscriptions (one page).
  subscriptions(first: 1000) { totalCount }
  # Keeper MSP: current usage.
  keeperMsp: managedCompanies(first: 1000, filter: { connectionId: "${SANDBOX_CONNECTIONS.keeperMsp}" }) { totalCount }
  # Webex: last month's customer report of the partner itself.
  webex: managedCompanies(first: 1000, filter: { partnerId: $webex }) { totalCount }
  # Partner Center: last month's billed invoice.
  partnerCenter: invoice(partnerId: $partnerCenter, period: $period) { totals { currency lines total { amount } } }
}`;

const body = () =>
  JSON.stringify({
    query: QUERY,
    variables: {
      period: lastMonth(),
      webex: globalId("partner", SANDBOX_CONNECTIONS.webex, WEBEX_PARTNER_SELF),
      partnerCenter: globalId("partner", SANDBOX_CONNECTIONS.partnerBilling, PARTNER_SELF),
    },
  });

function check(r: Awaited<ReturnType<SandboxGateway["post"]>>, what: string): void {
  if (r.status !== 200 || r.errors.length) throw new Error(`${what}: HTTP ${r.status}, ${r.errors.map((e) => e.extensions?.code ?? e.message).join(", ")}`);
  if (!r.data?.partnerCenter || !r.data.webex?.totalCount || !r.data.keeperMsp?.totalCount || !r.data.subscriptions?.totalCount) throw new Error(`${what}: missing data ${r.text.slice(0, 200)}`);
}

/**
 * Warms vendor tokens, the Webex report and the Partner Center export (created and tracked once), then
 * sends one request as every timed one will be (cold data, warm tokens): its calls are the plan.
 */
async function warmAndProbe(g: SandboxGateway, tokens: string[]): Promise<Map<string, CallRecord[]>> {
  check(await g.post(body(), tokens[0]), "warm-up");
  const mark = g.mark();
  check(await g.post(body(), tokens[1]), "probe");
  return g.callsSince(mark);
}

/** `n` timed requests, one at a time, each with a tenant of its own: latencies and calls per request. */
async function timeGateway(g: SandboxGateway, tokens: string[], byRoute?: Map<string, number>): Promise<{ samples: number[]; callsPer: number[] }> {
  const samples: number[] = [];
  const callsPer: number[] = [];
  const payload = body();
  for (const [i, token] of tokens.entries()) {
    const mark = g.mark();
    const r = await g.post(payload, token);
    check(r, `request ${i}`);
    samples.push(r.ms);
    let calls = 0;
    for (const [sim, list] of g.callsSince(mark)) {
      calls += list.length;
      for (const c of list) byRoute?.set(`${sim} ${c.route}`, (byRoute.get(`${sim} ${c.route}`) ?? 0) + 1);
    }
    callsPer.push(calls);
  }
  return { samples, callsPer };
}

const p = (xs: number[], q: number) => percentile([...xs].sort((a, b) => a - b), q);

export const fanout: Scenario = {
  name: "fanout",
  title: "one query touching every connection (Keeper ×2, Webex, Microsoft ×2), simulators at 50 ms, data cold per request",
  async run(ctx) {
    const requests = ctx.size === "smoke" ? 5 : 200;
    const directRuns = ctx.size === "smoke" ? 5 : 100;
    const liftedRequests = ctx.size === "smoke" ? 3 : 50;
    const g = await coldSandboxGateway({ latencyMs: LATENCY_MS });
    let lifted: { samples: number[]; callsPer: number[] };
    try {
      const tokens = await coldCallerTokens(g, requests + 2, "fanout");
      const probe = await warmAndProbe(g, tokens);

      // The fewest calls: one per distinct resource on each connection's critical path; anything else is extra.
      let minimum = 0;
      const planNotes: string[] = [];
      const paths = new Map<string, string[][]>();
      for (const [sim, declared] of Object.entries(CRITICAL_PATHS)) {
        const calls = probe.get(sim) ?? [];
        const made = (route: string) => calls.some((c) => c.route === route);
        for (const route of declared.flat()) if (!route.endsWith("?") && !made(route)) throw new Error(`${sim}: the query made no ${route} call`);
        const stages = declared.map((s) => s.map((r) => r.replace(/\?$/, "")).filter(made)).filter((s) => s.length > 0);
        paths.set(sim, stages);
        const needed = new Set(calls.filter((c) => stages.flat().includes(c.route)).map(resourceOf));
        minimum += needed.size;
        planNotes.push(`  ${sim}: ${stages.map((s) => s.join(" + ")).join(" → ")} (${needed.size} resource(s))`);
      }

      const byRoute = new Map<string, number>();
      const { samples, callsPer } = await timeGateway(g, tokens.slice(2), byRoute);

      // Each connection's critical path called directly (the connector's own requests, replayed), one at a
      // time; then all five at once (the fan-out with nothing in between).
      const sims = new Map(g.sandbox.simulators.map((s) => [s.name, s] as const));
      const distinctCalls = (calls: CallRecord[]) => [...new Map(calls.map((c) => [resourceOf(c), c])).values()];
      const directPath = async (name: string) => {
        const sim = sims.get(name)!;
        const calls = distinctCalls(probe.get(name) ?? []);
        const started = process.hrtime.bigint();
        for (const stage of paths.get(name)!) {
          const statuses = await Promise.all(calls.filter((c) => stage.includes(c.route)).map((c) => replay(sim, c)));
          if (statuses.some((s) => s !== 200)) throw new Error(`${name}: direct ${stage.join("+")} answered ${statuses.join(",")}`);
        }
        return elapsedMs(started);
      };
      const direct = new Map<string, number[]>();
      for (const name of paths.keys()) {
        const times: number[] = [];
        for (let i = 0; i < directRuns; i++) times.push(await directPath(name));
        direct.set(name, times);
      }
      const allAtOnce: number[] = [];
      for (let i = 0; i < directRuns; i++) {
        const started = process.hrtime.bigint();
        await Promise.all([...paths.keys()].map(directPath));
        allAtOnce.push(elapsedMs(started));
      }

      // For the explanation only (not the goal): the same requests with the quota governors' spacing lifted.
      await g.close();
      const free = await coldSandboxGateway({ latencyMs: LATENCY_MS, overrides: { upstream: { governor: { maxPerSecond: 1000, maxConcurrent: 64 } } } });
      try {
        const freeTokens = await coldCallerTokens(free, liftedRequests + 2, "fanout-free");
        await warmAndProbe(free, freeTokens);
        lifted = await timeGateway(free, freeTokens.slice(2));
      } finally {
        await free.close();
      }

      const [slowestName, slowestTimes] = [...direct].sort((a, b) => p(b[1], 50) - p(a[1], 50))[0];
      const slowest = p(slowestTimes, 50);
      const p50 = p(samples, 50);
      const p99 = p(samples, 99);
      const bound = 1.1 * slowest + 5;
      const callsMin = Math.min(...callsPer);
      const callsMax = Math.max(...callsPer);
      const metrics: Metric[] = [
        { name: `requests (one at a time, each cold), simulators at ${LATENCY_MS} ms`, value: requests },
        { name: "latency p50 / p99", value: `${round(p50)} / ${round(p99)}`, unit: "ms" },
        { name: `slowest upstream path p50 (${slowestName}, direct)`, value: round(slowest), unit: "ms" },
        { name: "p50 ÷ slowest upstream path p50", value: round(p50 / slowest, 2) },
        { name: "p50 against 1.1 × slowest + 5 ms", value: `${round(p50)} vs ${round(bound)}`, unit: "ms", goal: "p50 ≤ 1.1 × slowest + 5 ms", met: p50 <= bound },
        { name: "upstream calls per query", value: callsMin === callsMax ? callsMin : `${callsMin}–${callsMax}`, goal: `= minimum (${minimum})`, met: callsMax === minimum && callsMin === minimum },
        { name: "all five paths at once, direct: p50", value: round(p(allAtOnce, 50)), unit: "ms" },
        { name: `governors' spacing lifted (${liftedRequests} requests): p50 / p99`, value: `${round(p(lifted.samples, 50))} / ${round(p(lifted.samples, 99))}`, unit: "ms" },
      ];
      const notes = [
        `Critical path per connection (→ one after the other, + at once) and the distinct resources it reads:`,
        ...planNotes,
        `Direct p50 per connection (${directRuns} runs each): ${[...direct].map(([n, t]) => `${n} ${round(p(t, 50))} ms`).join(", ")}.`,
        `Calls seen over the ${requests} timed requests, by simulator and route: ${[...byRoute].map(([k, v]) => `${k} ${v}`).join(", ")}.`,
        `"Governors' spacing lifted" is a second sandbox with upstream.governor { maxPerSecond: 1000, maxConcurrent: 64 }, for the explanation only; the goal is judged on the defaults.`,
      ];
      return {
        metrics,
        latencies: [
          seriesOf("gateway, fan-out", samples),
          seriesOf("gateway, governors lifted", lifted.samples),
          seriesOf(`direct, ${slowestName}`, slowestTimes),
          seriesOf("direct, all five at once", allAtOnce),
        ],
        notes,
      };
    } finally {
      await g.close();
    }
  },
};
