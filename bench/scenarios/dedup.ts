/**
 * Issue 13, dedup: one query over 500 managed companies of a Keeper MSP, each with its current usage,
 * its invoice lines for last month and, on every line, the line's company again. The query needs two
 * distinct upstream resources, however many companies and lines it names: the MSP's current usage
 * (`GET current-usage`: the companies, their usage, and the company of every line) and the month's
 * statement (`GET billing-usage?month=M&year=YYYY`: every company's lines). Each request has a tenant
 * of its own, so it is cold. The simulator generates the month from the account's current usage,
 * pricing every product of every company, so all 500 companies have lines (checked below).
 */
import { lastMonth } from "../../src/graphql/examples";
import { parseBillingPeriod, type BillingPeriod } from "../../src/domain/period";
import { SANDBOX_CONNECTIONS } from "../../src/sandbox";
import { generateCurrentUsage } from "../../src/vendors/keeper/simulator/fixtures";
import { KEEPER_MSP_PREFIX } from "../../src/vendors/keeper/wire";
import { percentile, round, seriesOf, type Metric, type Scenario } from "../harness";
import { coldCallerTokens, coldSandboxGateway, resourceOf } from "./cold-requests";

const QUERY = `query Dedup($period: BillingPeriod!) {
  managedCompanies(first: 1000, filter: { connectionId: "${SANDBOX_CONNECTIONS.keeperMsp}" }) {
    totalCount
    nodes {
      id name plan
      currentUsage { quantity unit product { externalId name } }
      invoiceLines(period: $period) { id quantity amount { amount currency } product { externalId } company { id name } }
    }
  }
}`;

export const dedup: Scenario = {
  name: "dedup",
  title: "one query over 500 managed companies' usage and invoice lines (Keeper MSP), cold: upstream calls against distinct resources",
  async run(ctx) {
    const companies = ctx.size === "smoke" ? 50 : 500;
    const requests = ctx.size === "smoke" ? 2 : 20;
    const g = await coldSandboxGateway();
    try {
      g.sandbox.keeperMsp.current = generateCurrentUsage("bench-dedup", companies, { mspName: "Dedup MSP", idBase: 60000 });
      const period = lastMonth();
      const { year, month } = parseBillingPeriod(period) as BillingPeriod;
      // The distinct resources the query needs, as the simulator names them (route, path, query).
      const needed = [
        `current-usage GET ${KEEPER_MSP_PREFIX}/current-usage? `,
        `billing-usage GET ${KEEPER_MSP_PREFIX}/billing-usage?${new URLSearchParams([["month", String(month)], ["year", String(year)]]).toString()} `,
      ];
      const body = JSON.stringify({ query: QUERY, variables: { period } });
      const tokens = await coldCallerTokens(g, requests, "dedup");
      const samples: number[] = [];
      const callsPer: number[] = [];
      const seen = new Set<string>();
      let lines = 0;
      let withLines = 0;
      let total = 0;
      for (const token of tokens) {
        const mark = g.mark();
        const r = await g.post(body, token);
        if (r.status !== 200 || r.errors.length) throw new Error(`HTTP ${r.status}, ${r.errors.map((e) => e.extensions?.code ?? e.message).join(", ")}`);
        samples.push(r.ms);
        const calls = [...g.callsSince(mark).values()].flat();
        callsPer.push(calls.length);
        for (const c of calls) seen.add(resourceOf(c));
        const nodes = r.data!.managedCompanies.nodes as Array<{ id: string; invoiceLines: Array<{ company: { id: string } | null }> | null }>;
        total = r.data!.managedCompanies.totalCount as number;
        lines = nodes.reduce((n, c) => n + (c.invoiceLines?.length ?? 0), 0);
        withLines = nodes.filter((c) => (c.invoiceLines?.length ?? 0) > 0).length;
        if (nodes.some((c) => c.invoiceLines?.some((l) => l.company?.id !== c.id))) throw new Error("a line's company is not the company it was listed under");
      }
      if (total !== companies || withLines !== companies) throw new Error(`${total} companies listed, ${withLines} with lines; expected ${companies} of each`);
      const extra = [...seen].filter((r) => !needed.includes(r));
      const callsMin = Math.min(...callsPer);
      const callsMax = Math.max(...callsPer);
      const sorted = [...samples].sort((a, b) => a - b);
      const metrics: Metric[] = [
        { name: "managed companies / with lines in the month", value: `${total} / ${withLines}` },
        { name: "invoice lines in the answer (each naming its company)", value: lines },
        { name: `cold requests (a tenant each)`, value: requests },
        { name: "distinct upstream resources needed", value: needed.length, unit: "(current usage, the month's statement)" },
        { name: "upstream calls per query", value: callsMin === callsMax ? callsMin : `${callsMin}–${callsMax}`, goal: `one per distinct resource (${needed.length})`, met: callsMax === needed.length && callsMin === needed.length && extra.length === 0 },
        { name: "resources read beyond those needed", value: extra.length, goal: "0", met: extra.length === 0 },
        { name: "cold: latency p50 / p99", value: `${round(percentile(sorted, 50))} / ${round(percentile(sorted, 99))}`, unit: "ms" },
      ];
      const notes = [`Resources read: ${[...seen].map((r) => r.trim()).join("; ")}.`];
      return { metrics, latencies: [seriesOf(`cold, ${companies} companies`, samples)], notes };
    } finally {
      await g.close();
    }
  },
};
