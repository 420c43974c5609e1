/**
 * Issue 13, item 3: the sandbox month overview with a warm cache, 50 concurrent clients, against a bare
 * Apollo Server in the same process answering the same response from a constant: the gateway's own SDL
 * (printSchema, then graphql's buildSchema, so no resolvers and no type-graphql) with the captured
 * response's `data` as the root value, so graphql-js still walks the same selection and serialises the
 * same values. The two are loaded in turn (A, B, A, B) for the same time each; the goal is at least 0.8
 * of the bare server's requests/s. The load runs in an autocannon worker thread, so the main thread's
 * CPU profile (taken of each server under the same load) is the servers' work only.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildSchema, printSchema } from "graphql";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { startStandaloneServer } from "@apollo/server/standalone";
import { request } from "undici";
import { lastMonth, operationsDir } from "../../src/graphql/examples";
import { buildGatewaySchema } from "../../src/graphql/schema";
import { round, seriesFromAutocannon, type LatencySeries, type Metric, type Scenario } from "../harness";
import { profileNotes, profileWhile, summariseProfile } from "../profile";
import { sandboxGateway } from "./sandbox-figures";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require("autocannon") as (opts: Record<string, unknown>) => Promise<any>;

const GOAL_RATIO = 0.8;

interface Target {
  label: string;
  url: string;
  headers: Record<string, string>;
}

export const warmThroughput: Scenario = {
  name: "warm-throughput",
  title: "the sandbox month overview, warm, 50 clients: the gateway against a bare Apollo Server answering the same response from a constant",
  async run(ctx) {
    const smoke = ctx.size === "smoke";
    const connections = smoke ? 5 : 50;
    const seconds = smoke ? 1 : Number(process.env.BENCH_SECONDS ?? 10);
    const profileSeconds = smoke ? 1 : 5;
    const g = await sandboxGateway();
    let bare: ApolloServer | undefined;
    try {
      const body = JSON.stringify({ query: readFileSync(join(operationsDir(), "month-overview.graphql"), "utf8"), variables: { period: lastMonth() } });
      await g.post(body); // cold: fills the cache
      const warm = await g.post(body);
      const captured = JSON.parse(warm.text) as { data?: Record<string, unknown>; errors?: unknown[]; [k: string]: unknown };
      if (!captured.data || warm.errors > 0) throw new Error(`the warm month overview had ${warm.errors} error(s): ${warm.text.slice(0, 300)}`);

      const schema = buildSchema(printSchema(await buildGatewaySchema()));
      // Apollo as the gateway configures it (no landing page, no cache-control hints), without our plugins.
      bare = new ApolloServer({ schema, rootValue: captured.data, plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled()] });
      const { url: bareUrl } = await startStandaloneServer(bare, { listen: { port: 0, host: "127.0.0.1" } });
      const bareRes = await request(bareUrl, { method: "POST", headers: { "content-type": "application/json" }, body });
      const bareText = await bareRes.body.text();
      const bareJson = JSON.parse(bareText) as { data?: unknown; errors?: unknown[] };
      const sameData = JSON.stringify(bareJson.data) === JSON.stringify(captured.data);
      if (bareRes.statusCode !== 200 || bareJson.errors) throw new Error(`the bare server answered ${bareRes.statusCode}: ${bareText.slice(0, 300)}`);

      const targets: Target[] = [
        { label: "gateway", url: g.gateway.graphqlUrl, headers: g.headers },
        { label: "bare Apollo", url: bareUrl, headers: { "content-type": "application/json" } },
      ];
      const load = (t: Target, duration: number) =>
        autocannon({ url: t.url, method: "POST", headers: t.headers, body, connections, duration, workers: 1 });

      // Warm-up of both (JIT, sockets, Apollo's document caches); not counted.
      for (const t of targets) await load(t, smoke ? 1 : 2);

      const runs: Array<{ target: Target; result: any }> = [];
      for (let round_ = 0; round_ < 2; round_++) for (const t of targets) runs.push({ target: t, result: await load(t, seconds) });

      const of = (label: string) => runs.filter((r) => r.target.label === label).map((r) => r.result);
      const gw = of("gateway");
      const ba = of("bare Apollo");
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const rps = (rs: any[]) => rs.map((r) => round(r.requests.average, 0));
      const ratio = mean(gw.map((r) => r.requests.average)) / mean(ba.map((r) => r.requests.average));
      const bad = (rs: any[]) => rs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0);

      // The profiles: each server in turn under the same load, the load in its worker thread.
      const notes: string[] = [];
      for (const t of targets) {
        const { profile } = await profileWhile(() => load(t, profileSeconds));
        notes.push(...profileNotes(`profile of the ${t.label} (${connections} clients, ${profileSeconds} s)`, summariseProfile(profile)));
      }

      const metrics: Metric[] = [
        { name: "response body (gateway / bare)", value: `${round(warm.bytes / 1024, 0)} / ${round(bareText.length / 1024, 0)}`, unit: "KiB" },
        { name: "same data from both", value: sameData ? "yes" : "no", goal: "yes", met: sameData },
        { name: `gateway, ${connections} clients, ${seconds} s × 2: requests/s`, value: rps(gw).join(", ") },
        { name: `bare Apollo, ${connections} clients, ${seconds} s × 2: requests/s`, value: rps(ba).join(", ") },
        { name: "gateway ÷ bare (means of requests/s)", value: round(ratio, 2), goal: `≥ ${GOAL_RATIO}`, met: ratio >= GOAL_RATIO },
        { name: "gateway p50 / p99", value: gw.map((r) => `${r.latency.p50} / ${r.latency.p99}`).join(", "), unit: "ms" },
        { name: "bare Apollo p50 / p99", value: ba.map((r) => `${r.latency.p50} / ${r.latency.p99}`).join(", "), unit: "ms" },
        { name: "non-2xx / errors / timeouts, all runs", value: bad(gw) + bad(ba), goal: "0", met: bad(gw) + bad(ba) === 0 },
      ];
      const latencies: LatencySeries[] = runs.map((r, i) => seriesFromAutocannon(`${r.target.label} #${Math.floor(i / 2) + 1}`, r.result.latency));
      notes.unshift(
        `runs in order: ${runs.map((r) => `${r.target.label} ${round(r.result.requests.average, 0)}/s`).join(", ")}`,
        `load from an autocannon worker thread; the gateway, its simulators and the bare server share the main thread (only one is loaded at a time)`,
      );
      return { metrics, latencies, notes };
    } finally {
      await bare?.stop();
      await g.close();
    }
  },
};
