/**
 * Partner Center invoice: a 1,000,000-line export from the simulator, downloaded (gzip JSON-lines over
 * several blobs), parsed to exact decimals and aggregated per customer, product and charge type by the
 * connector's streaming path; next to a bare gunzip + JSON.parse loop over the same blobs.
 */
import { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { createGunzip } from "node:zlib";
import { request } from "undici";
import type { ConnectionInfo, ReportedTotals } from "../src/domain/model";
import { moneyText } from "../src/domain/money";
import { GUNZIP_CHUNK, partnerLineCodec, readInvoiceBlobs } from "../src/vendors/microsoft-partner-billing/lines";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { PARTNER_BILLING_SANDBOX } from "../src/vendors/microsoft-partner-billing/simulator/server";
import { createPartnerBillingConnector } from "../src/vendors/microsoft-partner-billing";
import { createDispatcher, DEFAULT_HTTP_SETTINGS } from "../src/http/upstream";
import { createDeadline } from "../src/http/deadline";
import { ResponseCache } from "../src/cache/store";
import { DEFAULT_TTLS } from "../src/vendors/connector-kit";
import { createLogger } from "../src/logger";
import { makeScope } from "../src/auth/caller";
import { Secret } from "../src/domain/secret";

const LINES = Number(process.env.BENCH_PCB_LINES ?? 1_000_000);
const info: ConnectionInfo = { id: "bench", vendor: "MICROSOFT", api: "microsoft-partner-billing", name: null };
const period = { year: 2026, month: 10 };

/**
 * The connector's own path from blob bodies on: gunzip, parse, exact sums, the blobs kept on disk,
 * indexes, then the aggregates and the reconciliation (readInvoiceBlobs is what the connector's
 * download calls).
 */
/** The invoice's totals, one per currency (never added across currencies). */
function totalsText(reported: ReportedTotals): string {
  return reported.byCurrency.map((c) => `${c.total ? moneyText(c.total, c.currency) : "-"} ${c.currency}`).join(", ");
}

async function gatewayPath(blobs: Array<{ name: string; open: () => Promise<Readable> }>) {
  const codec = partnerLineCodec(info, "partner", period, "bench");
  const read = await readInvoiceBlobs(blobs, { codec, memoryLimit: 10_000, concurrency: 1 });
  const store = read.store!;
  const groups = store.aggregates("COMPANY").length + store.aggregates("PRODUCT").length + store.aggregates("CHARGE_TYPE").length;
  const result = { lines: store.size, problems: read.problems.length, groups, total: totalsText(read.reported), balanced: store.reconciliation.balanced };
  store.dispose();
  return result;
}

/** Gunzip, split into lines, JSON.parse each: nothing else. `chunkSize`: zlib's default, or the connector's. */
async function bareLoop(blobs: Buffer[], chunkSize: number): Promise<number> {
  let n = 0;
  for (const b of blobs) {
    const decoder = new StringDecoder("utf8");
    let rest = "";
    for await (const chunk of Readable.from([b]).pipe(createGunzip({ chunkSize })) as AsyncIterable<Buffer>) {
      const parts = (rest + decoder.write(chunk)).split("\n");
      rest = parts.pop() ?? "";
      for (const p of parts) if (p) { JSON.parse(p); n++; }
    }
    if (rest) { JSON.parse(rest); n++; }
  }
  return n;
}

export async function runPartnerBillingBench(): Promise<string[]> {
  // The simulator generates a million lines: it runs in its own process, so this one's RSS is the gateway's.
  const child = spawn(process.execPath, [join(__dirname, "partner-billing-sim.js")], { env: { ...process.env, BENCH_PCB_LINES: String(LINES) }, stdio: ["ignore", "pipe", "inherit"] });
  const simUrl = await new Promise<string>((resolve, reject) => {
    child.stdout.once("data", (d: Buffer) => resolve(String(d).trim()));
    child.once("exit", (code) => reject(new Error(`simulator exited ${code}`)));
  });
  const sim = { url: simUrl, close: async () => void child.kill("SIGTERM") };
  try {
    return await measure(sim);
  } finally {
    // Also when a step fails: a simulator left running would keep this process (and the bench) waiting.
    await sim.close();
  }
}

async function measure(sim: { url: string }): Promise<string[]> {
  const out: string[] = [];
  const line = (label: string, value: string) => out.push(`${label.padEnd(58)} ${value}`);
  const tok = (await (
    await request(`${sim.url}/${PARTNER_BILLING_SANDBOX.tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: PARTNER_BILLING_SANDBOX.clientId, client_secret: PARTNER_BILLING_SANDBOX.clientSecret, scope: "https://graph.microsoft.com/.default" }).toString(),
    })
  ).body.json()) as { access_token: string };
  const auth = { authorization: `Bearer ${tok.access_token}` };
  const started = await request(`${sim.url}/v1.0/reports/partners/billing/reconciliation/billed/export`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ invoiceId: "GBENCH0001", attributeSet: "full" }),
  });
  await started.body.dump();
  const opUrl = String(started.headers.location);
  let manifest: { rootDirectory: string; sasToken: string; blobs: Array<{ name: string }> } | undefined;
  while (!manifest) {
    const res = await request(opUrl, { headers: auth });
    const op = (await res.body.json()) as { status: string; resourceLocation?: typeof manifest };
    if (op.resourceLocation) manifest = op.resourceLocation;
    else await new Promise((r) => setTimeout(r, Number(res.headers["retry-after"] ?? 1) * 1000));
  }
  const m = manifest;
  const urlOf = (name: string) => `${m.rootDirectory}/${encodeURIComponent(name)}?${m.sasToken}`;

  // 1. The gateway's own connector, end to end: export, poll, download over HTTP from the simulator
  //    (which generates the lines as it serves them), parse, aggregate, and keep the lines in its
  //    compact file (an invoice this large never sits in memory).
  const dispatcher = createDispatcher(DEFAULT_HTTP_SETTINGS);
  const connector = createPartnerBillingConnector(
    {
      id: "bench",
      baseUrl: `${sim.url}/v1.0`,
      tenantId: PARTNER_BILLING_SANDBOX.tenantId,
      clientId: PARTNER_BILLING_SANDBOX.clientId,
      clientSecret: new Secret(PARTNER_BILLING_SANDBOX.clientSecret),
      tokenUrl: `${sim.url}/${PARTNER_BILLING_SANDBOX.tenantId}/oauth2/v2.0/token`,
      invoices: { "2026-10": "GBENCH0001" },
      attributeSet: "full",
      maxWaitMs: 600_000,
      blobConcurrency: 4,
      memoryLineLimit: Number(process.env.BENCH_PCB_MEMORY_LINES ?? 10_000),
    },
    { dispatcher, http: DEFAULT_HTTP_SETTINGS, cache: new ResponseCache(), ttls: DEFAULT_TTLS, logger: createLogger({ level: "silent" }), now: Date.now },
  );
  const deadline = createDeadline(600_000);
  const call = { scope: makeScope("bench", null, "*"), deadline, requestId: "bench", logger: createLogger({ level: "silent" }) };
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  let t0 = performance.now();
  const statement = (await connector.getStatement(call, "partner", period)).value!;
  const streamedMs = performance.now() - t0;
  clearInterval(sampler);
  const lineCount = statement.store?.size ?? statement.lines.length;
  line(`partner invoice: exported, streamed, stored and aggregated`, `${lineCount} lines in ${m.blobs.length} blobs, ${statement.problems.length} problems, reconciled: ${statement.store?.reconciliation.balanced}`);
  line("  lines/s (connector: HTTP + gunzip + parse + map + sums + store)", `${Math.round(lineCount / (streamedMs / 1000))}`);
  line("  peak RSS during the run (MiB)", `${(peak / 1048576).toFixed(0)} (from ${(rssBefore / 1048576).toFixed(0)} before)`);
  // The store keeps the blobs as they came: the first page in a blob inflates that blob into its text file.
  t0 = performance.now();
  const middle = Math.floor(lineCount / 2);
  const pageOf = await statement.store!.page({}, middle, 1000);
  const coldMs = performance.now() - t0;
  t0 = performance.now();
  const nextPage = await statement.store!.page({}, middle + 1000, 1000);
  line("  a page of 1,000 lines from the middle: first in its blob / next (ms)", `${coldMs.toFixed(1)} / ${(performance.now() - t0).toFixed(1)} (${pageOf.length + nextPage.length} lines)`);
  deadline.cancel();
  statement.store?.dispose();
  await dispatcher.close();
  const streamed = { total: totalsText(statement.reported) };

  // 2. The same gzip blobs from memory: the gateway's path against a bare gunzip + JSON.parse loop.
  const blobs: Buffer[] = [];
  for (const b of m.blobs) blobs.push(Buffer.from(await (await request(urlOf(b.name))).body.arrayBuffer()));
  const size = blobs.reduce((n, b) => n + b.length, 0);
  // Best of 3 each, taken in turns (as the Webex bench does), so neither side pays alone for a cold start.
  // The bare loop runs with zlib's default chunk and with the connector's larger one: the faster counts.
  let bareMs = Infinity;
  let oursMs = Infinity;
  let bareLines = 0;
  let ours: Awaited<ReturnType<typeof gatewayPath>> | undefined;
  for (let round = 0; round < 3; round++) {
    for (const chunkSize of [16 * 1024, GUNZIP_CHUNK]) {
      t0 = performance.now();
      bareLines = await bareLoop(blobs, chunkSize);
      bareMs = Math.min(bareMs, performance.now() - t0);
    }
    t0 = performance.now();
    ours = await gatewayPath(blobs.map((b, i) => ({ name: `blob-${i}`, open: async () => Readable.from([b]) })));
    oursMs = Math.min(oursMs, performance.now() - t0);
    if (ours.total !== streamed.total || ours.lines !== bareLines || !ours.balanced) throw new Error("the runs disagree");
  }
  if (!ours) throw new Error("no run");
  line(`  same ${(size / 1048576).toFixed(0)} MiB of gzip from memory, best of 3: bare gunzip + JSON.parse lines/s`, `${Math.round(bareLines / (bareMs / 1000))}`);
  line("  gateway path (exact sums, store, indexes, aggregates) lines/s", `${Math.round(ours.lines / (oursMs / 1000))}`);
  line("  gateway time / bare time (goal ≤ 1.5)", (oursMs / bareMs).toFixed(2));
  line("  invoice total (exact)", streamed.total);
  return out;
}

if (require.main === module) {
  runPartnerBillingBench().then(
    (lines) => process.stdout.write(`${lines.join("\n")}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
