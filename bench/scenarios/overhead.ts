/**
 * Issue 13, gateway overhead: simulators at 0 ms and the response cache off (every TTL 0 in the
 * configuration, so nothing is stored and each request goes upstream), a query backed by exactly one
 * simulator call (a Keeper MSP's managed companies: `GET current-usage`), against that same call sent
 * straight to the simulator (the connector's own request, its `x-api-token` header included, replayed).
 * The two alternate, one at a time, as many of each. What the gateway adds is the difference of the
 * percentiles.
 *
 * Requests are paced a little slower than the connection's quota governor allows (Keeper MSP: 5 calls
 * a second, DEFAULT_GOVERNOR), so no call waits for a slot: back to back, the figure would be the
 * governor's spacing, not the gateway's work.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { DEFAULT_GOVERNOR } from "../../src/http/governor";
import { SANDBOX_CONNECTIONS } from "../../src/sandbox";
import { percentile, round, seriesOf, type Metric, type Scenario } from "../harness";
import { coldSandboxGateway, elapsedMs, replay } from "./cold-requests";

const QUERY = `query Overhead { managedCompanies(first: 1000, filter: { connectionId: "${SANDBOX_CONNECTIONS.keeperMsp}" }) { totalCount nodes { id name plan } } }`;

const CACHE_OFF = { cache: { ttlSeconds: { currentUsage: 0, accounts: 0, openPeriod: 0, closedPeriod: 0, catalogue: 0 } } };

export const overhead: Scenario = {
  name: "overhead",
  title: "what the gateway adds to one upstream call: simulators at 0 ms, cache off, against the same call made directly",
  async run(ctx) {
    const requests = ctx.size === "smoke" ? 5 : 200;
    const warmup = ctx.size === "smoke" ? 2 : 30;
    // One request per governor spacing and a margin: the gateway's call never queues for a slot.
    const periodMs = Math.ceil(1000 / DEFAULT_GOVERNOR["keeper-msp"].maxPerSecond) + 50;
    const g = await coldSandboxGateway({ latencyMs: 0, overrides: CACHE_OFF });
    try {
      const sim = g.sandbox.keeperMsp;
      const body = JSON.stringify({ query: QUERY });
      const token = g.sandbox.devToken;
      const mark = g.mark();
      const first = await g.post(body, token);
      if (first.status !== 200 || first.errors.length || !first.data?.managedCompanies?.totalCount) throw new Error(`HTTP ${first.status}: ${first.text.slice(0, 200)}`);
      const calls = [...g.callsSince(mark).values()].flat();
      if (calls.length !== 1 || calls[0].route !== "current-usage") throw new Error(`the query made ${calls.map((c) => c.route).join(", ")}; expected one current-usage call`);
      const recorded = calls[0];

      const gateway: number[] = [];
      const direct: number[] = [];
      const callsPer: number[] = [];
      for (let i = 0; i < warmup + requests; i++) {
        const started = process.hrtime.bigint();
        const d = process.hrtime.bigint();
        const status = await replay(sim, recorded);
        const directMs = elapsedMs(d);
        if (status !== 200) throw new Error(`direct call answered ${status}`);
        const before = sim.calls.count();
        const r = await g.post(body, token);
        if (r.status !== 200 || r.errors.length) throw new Error(`HTTP ${r.status}, ${r.errors.map((e) => e.extensions?.code ?? e.message).join(", ")}`);
        if (i >= warmup) {
          direct.push(directMs);
          gateway.push(r.ms);
          callsPer.push(sim.calls.count() - before);
        }
        const left = periodMs - elapsedMs(started);
        if (left > 0) await sleep(left);
      }

      const pct = (xs: number[], q: number) => percentile([...xs].sort((a, b) => a - b), q);
      const callsMax = Math.max(...callsPer);
      const callsMin = Math.min(...callsPer);
      const metrics: Metric[] = [
        { name: `requests of each, alternating (after ${warmup} untimed), one per ${periodMs} ms`, value: requests },
        { name: "upstream calls per gateway request (cache off)", value: callsMin === callsMax ? callsMin : `${callsMin}–${callsMax}`, goal: "1", met: callsMin === 1 && callsMax === 1 },
        { name: "gateway: p50 / p99", value: `${round(pct(gateway, 50), 2)} / ${round(pct(gateway, 99), 2)}`, unit: "ms" },
        { name: "direct to the simulator: p50 / p99", value: `${round(pct(direct, 50), 2)} / ${round(pct(direct, 99), 2)}`, unit: "ms" },
        { name: "added by the gateway: p50", value: round(pct(gateway, 50) - pct(direct, 50), 2), unit: "ms" },
        { name: "added by the gateway: p99", value: round(pct(gateway, 99) - pct(direct, 99), 2), unit: "ms" },
      ];
      const notes = [
        `Query: ${QUERY}`,
        `Its one upstream call: ${recorded.method} ${recorded.path} (Keeper MSP current usage, ${first.data.managedCompanies.totalCount} companies), replayed for the direct figure with the connector's headers.`,
        `Cache off: cache.ttlSeconds all 0 (nothing is stored, so every request reads upstream). Paced at one pair per ${periodMs} ms: the Keeper MSP governor allows ${DEFAULT_GOVERNOR["keeper-msp"].maxPerSecond} calls/s.`,
      ];
      return { metrics, latencies: [seriesOf("gateway", gateway), seriesOf("direct", direct)], notes };
    } finally {
      await g.close();
    }
  },
};
