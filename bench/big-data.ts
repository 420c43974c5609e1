/**
 * Big data end to end through GraphQL: the Webex 200,000-row USER report (requestBillingReport, waited
 * for, its lines counted) and the Partner Center 1,000,000-line invoice (`invoice { totals
 * aggregates(by: PRODUCT) }`), each asked of a gateway in
 * this process (its simulators in processes of their own, so the peak RSS sampled here is the gateway's),
 * cold: time and peak RSS, next to the bare parse loop over the same bytes (webex.ts, partner-billing.ts).
 * Prints one line per figure; BENCH_WEBEX_ROWS and BENCH_PCB_LINES choose the sizes.
 */
import "reflect-metadata";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { request } from "undici";
import { signCallerToken } from "../src/auth/caller";
import { parseConfig } from "../src/config";
import { createGateway } from "../src/gateway";
import { createLogger } from "../src/logger";
import { PARTNER_BILLING_SANDBOX } from "../src/vendors/microsoft-partner-billing/simulator/server";
import { WEBEX_SANDBOX_TOKEN } from "../src/vendors/webex-wholesale/simulator/server";

const ROWS = Number(process.env.BENCH_WEBEX_ROWS ?? 200_000);
const LINES = Number(process.env.BENCH_PCB_LINES ?? 1_000_000);

function startChild(script: string, env: Record<string, string>): Promise<{ first: string; stop: () => void }> {
  const child = spawn(process.execPath, [join(__dirname, script)], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.stdout.once("data", (d: Buffer) => resolve({ first: String(d).trim(), stop: () => void child.kill("SIGTERM") }));
    child.once("exit", (code) => reject(new Error(`${script} exited ${code}`)));
  });
}

/** Peak RSS while `work` runs, sampled every 20 ms. */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; peak: number; before: number }> {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = performance.now();
  try {
    const value = await work();
    return { value, ms: performance.now() - started, peak: Math.max(peak, process.memoryUsage().rss), before };
  } finally {
    clearInterval(sampler);
  }
}

export async function runBigData(): Promise<string[]> {
  const [webex, pcb] = await Promise.all([startChild("webex-sim.js", { BENCH_WEBEX_ROWS: String(ROWS) }), startChild("partner-billing-sim.js", { BENCH_PCB_LINES: String(LINES) })]);
  const out: string[] = [];
  const line = (label: string, value: string) => out.push(`${label.padEnd(58)} ${value}`);
  try {
    const w = JSON.parse(webex.first) as { url: string; subPartners: unknown[]; partnerName: string };
    const secret = "big-data-bench-caller-secret-0123456789";
    const config = parseConfig({
      auth: { issuer: "bench", audience: "bench", hs256Secret: secret },
      connections: [
        { id: "webex", vendor: "webex-wholesale", name: w.partnerName, baseUrl: w.url, accessToken: WEBEX_SANDBOX_TOKEN, subPartners: w.subPartners, reportWait: { maxWaitMs: 120_000, pollBaseMs: 200, pollMaxMs: 1_000 } },
        {
          id: "pcb",
          vendor: "microsoft-partner-billing",
          baseUrl: `${pcb.first}/v1.0`,
          tenantId: PARTNER_BILLING_SANDBOX.tenantId,
          clientId: PARTNER_BILLING_SANDBOX.clientId,
          clientSecret: PARTNER_BILLING_SANDBOX.clientSecret,
          tokenUrl: `${pcb.first}/${PARTNER_BILLING_SANDBOX.tenantId}/oauth2/v2.0/token`,
          invoices: { "2026-10": "GBENCH0001" },
          maxWaitMs: 600_000,
        },
      ],
      upstream: { requestDeadlineMs: 600_000, bodyTimeoutMs: 120_000 },
      rateLimit: false,
    });
    const gateway = await createGateway({ config, logger: createLogger({ level: "silent" }) });
    try {
      const token = await signCallerToken(secret, { issuer: "bench", audience: "bench", connections: "*", roles: ["billing:read"] });
      const ask = async (partnerId: string, period: string) => {
        const res = await request(gateway.graphqlUrl, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: `query($id: ID!, $p: BillingPeriod!) { invoice(partnerId: $id, period: $p) { totals { currency lines } aggregates(by: PRODUCT) { key lines quantity } lines(first: 0) { totalCount } } }`, variables: { id: partnerId, p: period } }),
          bodyTimeout: 0,
          headersTimeout: 0,
        });
        const body = (await res.body.json()) as { data?: { invoice: { totals: Array<{ lines: number }>; aggregates: unknown[]; lines: { totalCount: number } } | null }; errors?: Array<{ message: string }> };
        if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join("; "));
        return body.data!.invoice!;
      };
      // A statement reads Webex's CUSTOMER report (customer × SKU sums); the 200,000 rows are the USER
      // report's, asked for through GraphQL and read whole to count its lines.
      const userReport = async () => {
        const res = await request(gateway.graphqlUrl, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({
            query: `mutation($id: ID!, $p: BillingPeriod!) { requestBillingReport(input: { partnerId: $id, period: $p, type: USER, wait: true }) { status lines(first: 1) { totalCount } } }`,
            variables: { id: "partner:webex:self", p: "2026-08" },
          }),
          bodyTimeout: 0,
          headersTimeout: 0,
        });
        const body = (await res.body.json()) as { data?: { requestBillingReport: { status: string; lines: { totalCount: number } | null } | null }; errors?: Array<{ message: string }> };
        if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join("; "));
        return body.data!.requestBillingReport!;
      };
      const wx = await withPeakRss(userReport);
      const wxRows = wx.value.lines?.totalCount ?? 0;
      line("webex USER report through GraphQL, cold", `${wxRows} rows (of ${ROWS} generated), status ${wx.value.status}`);
      line("  time (ms)", wx.ms.toFixed(0));
      line("  rows/s end to end (HTTP report + GraphQL)", String(Math.round(wxRows / (wx.ms / 1000))));
      line("  peak RSS during it (MiB)", `${(wx.peak / 1048576).toFixed(0)} (from ${(wx.before / 1048576).toFixed(0)} before)`);
      const pc = await withPeakRss(() => ask("partner:pcb:partner", "2026-10"));
      const pcLines = pc.value.lines.totalCount;
      line("partner invoice through GraphQL aggregates, cold", `${pcLines} lines, ${pc.value.aggregates.length} products`);
      line("  time (ms)", pc.ms.toFixed(0));
      line("  lines/s end to end (export + blobs + GraphQL)", String(Math.round(pcLines / (pc.ms / 1000))));
      line("  peak RSS during it (MiB)", `${(pc.peak / 1048576).toFixed(0)} (from ${(pc.before / 1048576).toFixed(0)} before)`);
    } finally {
      await gateway.stop();
    }
  } finally {
    webex.stop();
    pcb.stop();
  }
  return out;
}

if (require.main === module) {
  runBigData().then(
    (lines) => process.stdout.write(`${lines.join("\n")}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
