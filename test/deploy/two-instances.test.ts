/**
 * Two gateway processes on one Redis, as an operator runs them (`node dist/src/main.js` with
 * GATEWAY_CONFIG, over real HTTP): what one instance did, the other sees. The vendors are simulators in
 * this process, so each check reads what they (or Redis) saw; the processes know them only by URL.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@keyv/redis";
import { request } from "undici";
import { signCallerToken } from "../../src/auth/caller";
import type { Role } from "../../src/auth/roles";
import { formatBillingPeriod, periodOf, previousPeriod } from "../../src/domain/period";
import { SANDBOX_CONNECTIONS, SANDBOX_MAPPING_FILE, sandboxInvoices } from "../../src/sandbox";
import type { SimulatorHandle } from "../../src/simulator-kit";
import { createKeeperMspSimulator, KEEPER_MSP_SANDBOX_TOKEN, type KeeperMspSimulator } from "../../src/vendors/keeper-msp/simulator/server";
import { createPartnerBillingSimulator, PARTNER_BILLING_SANDBOX, type PartnerBillingSimulator } from "../../src/vendors/microsoft-partner-billing/simulator/server";
import { createWebexSimulator, WEBEX_SANDBOX_TOKEN, type WebexSimulator } from "../../src/vendors/webex-wholesale/simulator/server";
import { freePort, startRedis, stopRedis } from "../helpers/redis-server";
import { until } from "../helpers/until";
import { buildDist } from "../helpers/build";

const root = join(__dirname, "..", "..");
// The first build of a fresh checkout compiles everything; on a busy two-core machine that takes a while.
const BUILD_MS = 180_000;
const START_MS = 60_000;
const STOP_MS = 15_000;
const TEST_MS = 30_000;

const ISSUER = "two-instances-test";
const AUDIENCE = "billing-gateway";
/**
 * Requests per caller per window: small, so the shared count is reached in a few requests. Each test
 * has a caller (token subject) of its own, and the others make fewer requests than this.
 */
const RATE_LIMIT = 10;
const MSP = `partner:${SANDBOX_CONNECTIONS.keeperMsp}:self`;
const WEBEX = `partner:${SANDBOX_CONNECTIONS.webex}:self`;
const PARTNER_CENTER = `partner:${SANDBOX_CONNECTIONS.partnerBilling}:partner`;

interface Instance {
  name: string;
  child: ChildProcess;
  output: string;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** e.g. http://127.0.0.1:41234 (no path). */
  url: string;
}

interface GqlAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { data?: Record<string, any> | null; errors?: Array<{ message: string; extensions?: Record<string, any> }> };
}

const secrets = {
  // The callers' signing key, made for this run: it reaches the processes through the environment only.
  jwt: randomBytes(32).toString("base64url"),
  metrics: randomBytes(16).toString("base64url"),
};

let work: string | undefined;
let redis: ChildProcess | undefined;
let redisUrl = "";
let keeper: KeeperMspSimulator;
let webex: WebexSimulator;
let partnerCenter: PartnerBillingSimulator;
/** The Partner Center simulator's invoices (one a month for the last six), as the config maps them. */
let billedInvoices: ReturnType<typeof sandboxInvoices> = [];
const simulators: SimulatorHandle[] = [];
const instances: Instance[] = [];
let a: Instance;
let b: Instance;

function logRecords(instance: Instance): Array<Record<string, any>> {
  return instance.output
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, any>];
      } catch {
        return [];
      }
    });
}

/** Starts `node dist/src/main.js` and resolves once it has logged the URL it listens on. */
async function startInstance(name: string, configPath: string, cwd: string): Promise<Instance> {
  const child = spawn(process.execPath, [join(root, "dist", "src", "main.js")], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      GATEWAY_CONFIG: configPath,
      PORT: "0",
      HOST: "127.0.0.1",
      NODE_ENV: "production",
      LOG_FORMAT: "json",
      LOG_LEVEL: "info",
      SHUTDOWN_GRACE_MS: "2000",
      // The config names these (`{ "env": ... }`), as a production config keeps its secrets out of the file.
      GATEWAY_JWT_SECRET: secrets.jwt,
      METRICS_TOKEN: secrets.metrics,
      KEEPER_API_TOKEN: KEEPER_MSP_SANDBOX_TOKEN,
      WEBEX_ACCESS_TOKEN: WEBEX_SANDBOX_TOKEN,
      PARTNER_CENTER_CLIENT_SECRET: PARTNER_BILLING_SANDBOX.clientSecret,
    },
  });
  const instance: Instance = { name, child, output: "", exit: undefined, url: "" };
  instances.push(instance);
  child.stdout!.on("data", (chunk: Buffer) => (instance.output += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (instance.output += chunk.toString("utf8")));
  child.once("exit", (code, signal) => (instance.exit = { code, signal }));
  const listening = () => logRecords(instance).find((r) => r.msg === "gateway listening");
  await until(`instance ${name} to listen`, START_MS, () => listening() !== undefined || instance.exit !== undefined);
  const record = listening();
  if (!record) throw new Error(`instance ${name} ended before it listened (${JSON.stringify(instance.exit)}):\n${instance.output.slice(-3000)}`);
  instance.url = new URL(record.url as string).origin;
  return instance;
}

function token(subject: string, roles: Role[], connections: "*" | string[] = "*"): Promise<string> {
  return signCallerToken(secrets.jwt, { issuer: ISSUER, audience: AUDIENCE, subject, connections, roles });
}

async function gql(instance: Instance, bearer: string, query: string, variables?: Record<string, unknown>): Promise<GqlAnswer> {
  const res = await request(`${instance.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: JSON.parse(text) };
}

/** Every simulator's calls, by simulator and route, to compare before and after. */
function callCounts(): Record<string, number> {
  const routes: Record<string, string[]> = {
    keeper: ["billing-usage", "current-usage"],
    webex: ["create-report", "list-reports", "get-report", "download"],
    partnerCenter: ["token", "billed-export", "get-operation", "get-manifest", "blob"],
  };
  const sims: Record<string, SimulatorHandle> = { keeper, webex, partnerCenter };
  const counts: Record<string, number> = {};
  for (const [sim, names] of Object.entries(routes)) {
    for (const route of names) counts[`${sim} ${route}`] = sims[sim].calls.count(route);
    counts[`${sim} (all)`] = sims[sim].calls.count();
  }
  return counts;
}

beforeAll(async () => {
  await buildDist();
  work = mkdtempSync(join(tmpdir(), "two-instances-"));
  const port = await freePort();
  redis = await startRedis(port);
  redisUrl = `redis://127.0.0.1:${port}`;

  keeper = await createKeeperMspSimulator();
  simulators.push(keeper);
  // Reports complete on the first poll: the report test asks for a creation, not for waiting.
  webex = await createWebexSimulator({ pollsToComplete: 1 });
  simulators.push(webex);
  billedInvoices = sandboxInvoices(new Date());
  partnerCenter = await createPartnerBillingSimulator({ invoices: billedInvoices, pollsToComplete: 1, retryAfterSeconds: 1, linesPerBlob: 100 });
  simulators.push(partnerCenter);

  const config = {
    auth: { issuer: ISSUER, audience: AUDIENCE, hs256Secret: { env: "GATEWAY_JWT_SECRET" } },
    connections: [
      { id: SANDBOX_CONNECTIONS.keeperMsp, vendor: "keeper-msp", baseUrl: keeper.url, apiToken: { env: "KEEPER_API_TOKEN" } },
      {
        id: SANDBOX_CONNECTIONS.webex,
        vendor: "webex-wholesale",
        baseUrl: webex.url,
        accessToken: { env: "WEBEX_ACCESS_TOKEN" },
        subPartners: webex.world.subPartners,
        reportWait: { maxWaitMs: 5_000, pollBaseMs: 100, pollMaxMs: 500 },
      },
      {
        id: SANDBOX_CONNECTIONS.partnerBilling,
        vendor: "microsoft-partner-billing",
        baseUrl: `${partnerCenter.url}/v1.0`,
        tenantId: PARTNER_BILLING_SANDBOX.tenantId,
        clientId: PARTNER_BILLING_SANDBOX.clientId,
        clientSecret: { env: "PARTNER_CENTER_CLIENT_SECRET" },
        tokenUrl: `${partnerCenter.url}/${PARTNER_BILLING_SANDBOX.tenantId}/oauth2/v2.0/token`,
        invoices: Object.fromEntries(billedInvoices.map((i) => [i.period, i.invoiceId])),
      },
    ],
    customerDirectory: { mappingFile: SANDBOX_MAPPING_FILE, dataDir: join(work, "data") },
    cache: { redisUrl },
    rateLimit: { requests: RATE_LIMIT, windowSeconds: 60 },
    // Retry delays are configuration: tiny here (STYLE.md, Tests); the governor never queues this suite.
    upstream: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterSeconds: 2, governor: { maxConcurrent: 64, maxPerSecond: 10_000, maxQueue: 10_000 } },
    metrics: { token: { env: "METRICS_TOKEN" } },
  };
  const configPath = join(work, "gateway.json");
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  [a, b] = await Promise.all([startInstance("A", configPath, work), startInstance("B", configPath, work)]);
}, BUILD_MS + START_MS);

afterAll(async () => {
  // Whatever the tests found, leave no process behind.
  for (const instance of instances) {
    if (instance.exit === undefined) {
      const exited = new Promise((resolve) => instance.child.once("exit", resolve));
      instance.child.kill("SIGKILL");
      await exited;
    }
  }
  await Promise.all(simulators.map((s) => s.close()));
  await stopRedis(redis);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("two gateway processes on one Redis", () => {
  it(
    "both say ready, with the shared store up",
    async () => {
      for (const instance of [a, b]) {
        const res = await request(`${instance.url}/readyz`);
        const body = (await res.body.json()) as Record<string, any>;
        expect([instance.name, res.statusCode]).toEqual([instance.name, 200]);
        expect(body).toMatchObject({ status: "ready", store: { kind: "shared", status: "up" } });
        expect(body.connections.map((c: any) => [c.id, c.ready])).toEqual([
          [SANDBOX_CONNECTIONS.keeperMsp, true],
          [SANDBOX_CONNECTIONS.webex, true],
          [SANDBOX_CONNECTIONS.partnerBilling, true],
        ]);
      }
    },
    TEST_MS,
  );

  it(
    "a cache warmed by A is hit by B: the same query on B calls no vendor and answers the same data",
    async () => {
      const reader = await token("cache-reader", ["billing:read"], [SANDBOX_CONNECTIONS.keeperMsp]);
      const query = `{ partner(id: "${MSP}") { name managedCompanies(first: 10) { totalCount nodes { id name plan } } invoice(period: "2025-08") { documentId total { amount currency } lines(first: 5) { totalCount nodes { quantity amount { amount } } } } } }`;
      const before = callCounts();
      const onA = await gql(a, reader, query);
      expect(onA.body.errors).toBeUndefined();
      const warmed = callCounts();
      // A went to Keeper for both the companies (current usage) and the month (billing usage).
      expect(warmed["keeper current-usage"]).toBeGreaterThan(before["keeper current-usage"]);
      expect(warmed["keeper billing-usage"]).toBeGreaterThan(before["keeper billing-usage"]);
      expect(onA.body.data!.partner.invoice.total.amount).toBe("2387.74");

      const onB = await gql(b, reader, query);
      expect(onB.body.errors).toBeUndefined();
      expect(callCounts()).toEqual(warmed);
      expect(onB.body.data).toEqual(onA.body.data);
    },
    TEST_MS,
  );

  it(
    "a Webex report asked for on both at once is created once, and a Partner Center invoice read on both at once is exported once",
    async () => {
      const reader = await token("job-reader", ["billing:read"]);
      // A month no other test reads, so no report exists for it yet.
      const reportPeriod = formatBillingPeriod(previousPeriod(previousPeriod(previousPeriod(periodOf(new Date())))));
      const report = `mutation($p: BillingPeriod!) { requestBillingReport(input: { partnerId: "${WEBEX}", period: $p, type: USER }) { id periodStart } }`;
      const creates = webex.calls.count("create-report");
      // The create is slow to answer, so the two requests overlap whichever instance claims it first:
      // only the atomic claim in Redis (not a record written after the create) keeps the other out.
      webex.faults.next("create-report", { delayMs: 500 });
      const reports = await Promise.all([gql(a, reader, report, { p: reportPeriod }), gql(b, reader, report, { p: reportPeriod })]);
      for (const r of reports) expect(r.body.errors).toBeUndefined();
      expect(webex.calls.count("create-report")).toBe(creates + 1);
      expect(reports[1].body.data!.requestBillingReport.id).toBe(reports[0].body.data!.requestBillingReport.id);
      // Asked again on B later: it finds the report A or B recorded, and still creates none.
      const again = await gql(b, reader, report, { p: reportPeriod });
      expect(again.body.data!.requestBillingReport.id).toBe(reports[0].body.data!.requestBillingReport.id);
      expect(webex.calls.count("create-report")).toBe(creates + 1);

      const billed = billedInvoices[1];
      const invoice = `query($p: BillingPeriod!) { invoice(partnerId: "${PARTNER_CENTER}", period: $p) { documentId totals { currency lines total { amount } } } }`;
      const exportsBefore = partnerCenter.calls.count("billed-export");
      partnerCenter.faults.next("billed-export", { delayMs: 500 });
      const invoices = await Promise.all([gql(a, reader, invoice, { p: billed.period }), gql(b, reader, invoice, { p: billed.period })]);
      for (const r of invoices) expect(r.body.errors).toBeUndefined();
      expect(partnerCenter.calls.count("billed-export")).toBe(exportsBefore + 1);
      expect(invoices[0].body.data!.invoice.totals.reduce((n: number, t: any) => n + t.lines, 0)).toBe(billed.lines);
      expect(invoices[1].body.data).toEqual(invoices[0].body.data);
    },
    TEST_MS,
  );

  it(
    "a customer link made on A is seen by B, and so is its removal, both in the audit log B reads",
    async () => {
      // Keeper only: the companies come from one current-usage call, and no Webex or Microsoft month is read.
      const scope = [SANDBOX_CONNECTIONS.keeperMsp];
      const writer = await token("directory-writer", ["billing:read", "accounts:write"], scope);
      const companiesOf = async (instance: Instance) => {
        const res = await gql(instance, writer, `{ customer(id: "northstar-cu") { companies { id } } }`);
        expect(res.body.errors).toBeUndefined();
        return res.body.data!.customer.companies.map((c: { id: string }) => c.id);
      };
      // B answers once before the edit, so it holds a snapshot of the directory that the edit makes stale.
      expect(await companiesOf(b)).toEqual([]);
      const listed = await gql(a, writer, `{ partner(id: "${MSP}") { managedCompanies(first: 100) { nodes { id customer { id } } } } }`);
      const company: string = listed.body.data!.partner.managedCompanies.nodes.find((n: any) => n.customer === null).id;

      const linked = await gql(a, writer, `mutation($co: ID!) { linkCompany(input: { customerId: "northstar-cu", companyId: $co }) { id } }`, { co: company });
      expect(linked.body.errors).toBeUndefined();
      expect(await companiesOf(b)).toEqual([company]);

      const unlinked = await gql(a, writer, `mutation($co: ID!) { unlinkCompany(input: { customerId: "northstar-cu", companyId: $co }) { id } }`, { co: company });
      expect(unlinked.body.errors).toBeUndefined();
      expect(await companiesOf(b)).toEqual([]);

      // Both edits are in the audit log B reads (one log per tenant in Redis, written by every instance).
      const admin = await token("directory-auditor", ["admin"], scope);
      const audit = await gql(b, admin, `{ auditLog(first: 10) { complete nodes { subject mutation outcome } } }`);
      expect(audit.body.errors).toBeUndefined();
      expect(audit.body.data!.auditLog.complete).toBe(true);
      expect(audit.body.data!.auditLog.nodes.filter((n: any) => n.subject === "directory-writer")).toEqual([
        { subject: "directory-writer", mutation: "unlinkCompany", outcome: "OK" },
        { subject: "directory-writer", mutation: "linkCompany", outcome: "OK" },
      ]);
    },
    TEST_MS,
  );

  it(
    `counts a caller's requests on both together: ${RATE_LIMIT} answered, the next one on either is 429`,
    async () => {
      const caller = await token("rate-limited-caller", ["billing:read"]);
      const cheap = `{ connections { id } }`;
      for (let i = 0; i < RATE_LIMIT; i++) {
        const res = await gql(i % 2 === 0 ? a : b, caller, cheap);
        expect([i, res.status]).toEqual([i, 200]);
      }
      const calls = callCounts();
      for (const instance of [a, b]) {
        const res = await gql(instance, caller, cheap);
        expect([instance.name, res.status]).toEqual([instance.name, 429]);
        expect(res.body.errors![0].extensions).toMatchObject({ code: "RATE_LIMITED", retryAfterSeconds: expect.any(Number) });
        const retryAfter = Number(res.headers["retry-after"]);
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(60);
      }
      expect(callCounts()).toEqual(calls);
      // The count is Redis's, not either process's: every request of the caller, refused ones included.
      const client = createClient({ url: redisUrl });
      await client.connect();
      try {
        expect(await client.get(`gw-rate:\u0000rate-limited-caller`)).toBe(String(RATE_LIMIT + 2));
      } finally {
        await client.quit();
      }
    },
    TEST_MS,
  );

  it(
    "both stop on SIGTERM with exit code 0, having logged no secret",
    async () => {
      for (const instance of [a, b]) instance.child.kill("SIGTERM");
      await until("both instances to exit", STOP_MS, () => a.exit !== undefined && b.exit !== undefined);
      expect([a.exit, b.exit]).toEqual([
        { code: 0, signal: null },
        { code: 0, signal: null },
      ]);
      for (const instance of [a, b]) {
        expect(logRecords(instance).map((r) => r.msg)).toEqual(expect.arrayContaining(["gateway listening", "stopping", "stopped"]));
        for (const secret of [secrets.jwt, secrets.metrics, KEEPER_MSP_SANDBOX_TOKEN, WEBEX_SANDBOX_TOKEN, PARTNER_BILLING_SANDBOX.clientSecret]) {
          expect(instance.output).not.toContain(secret);
        }
      }
    },
    STOP_MS + 5_000,
  );
});
