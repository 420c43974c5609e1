/**
 * /metrics and the access log, end to end: sandbox simulators ← real HTTP ← gateway ← real HTTP ← test.
 * Counters are compared before and after each request, so the tests do not depend on their order.
 */
import { request } from "undici";
import { createGateway, type Gateway } from "../../src/gateway";
import { lastMonth } from "../../src/graphql/examples";
import { Secret } from "../../src/domain/secret";
import { startTestGateway, type TestGateway } from "../helpers/gateway";
import { capturingLogger } from "../helpers/logs";

const METRICS_TOKEN = "metrics-scrape-token-0123456789";
const MSP_SELF = "partner:keeper-msp:self";
const USAGE = `query Usage { partner(id: "${MSP_SELF}") { managedCompanies { nodes { currentUsage { quantity } } } } }`;

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ overrides: { metrics: { token: METRICS_TOKEN } } });
});
afterAll(() => t.close());
beforeEach(() => t.resetCalls());

async function scrape(url = `${t.gateway.url}/metrics`, token: string | null = METRICS_TOKEN): Promise<string> {
  const res = await request(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.body.text();
  expect(res.statusCode).toBe(200);
  return text;
}

/** The value of one sample (0 when the series does not exist yet). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return 0;
}

const MSP_USAGE = { vendor: "KEEPER", connection: "keeper-msp", route: "current-usage" };

describe("upstream metrics", () => {
  it("counts each vendor call by vendor, connection, route and status, with its latency", async () => {
    // Its own caller scope, so the response cache (keyed by scope) cannot answer instead of the vendor.
    const token = await t.token(["keeper-msp"], "metrics-upstream");
    const before = await scrape();
    const res = await t.gql(USAGE, undefined, token);
    expect(res.body.errors).toBeUndefined();
    expect(t.sandbox.keeperMsp.calls.count("current-usage")).toBe(1);
    const after = await scrape();
    const ok = { ...MSP_USAGE, status: "200" };
    expect(sample(after, "gateway_upstream_requests_total", ok) - sample(before, "gateway_upstream_requests_total", ok)).toBe(1);
    const h = "gateway_upstream_request_duration_seconds_count";
    expect(sample(after, h, MSP_USAGE) - sample(before, h, MSP_USAGE)).toBe(1);
    expect(after).toMatch(/gateway_upstream_request_duration_seconds_bucket\{le="0\.1",vendor="KEEPER",connection="keeper-msp",route="current-usage"\}/);
  });

  it("counts retries after a vendor fault, and the failed attempt by its status", async () => {
    const token = await t.token(["keeper-msp"], "metrics-retry");
    const before = await scrape();
    t.sandbox.keeperMsp.faults.next("current-usage", { status: 503 });
    const res = await t.gql(USAGE, undefined, token);
    expect(res.body.errors).toBeUndefined(); // the retry succeeded
    expect(t.sandbox.keeperMsp.calls.count("current-usage")).toBe(2);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta("gateway_upstream_retries_total", { ...MSP_USAGE, reason: "503" })).toBe(1);
    expect(delta("gateway_upstream_requests_total", { ...MSP_USAGE, status: "503" })).toBe(1);
    expect(delta("gateway_upstream_requests_total", { ...MSP_USAGE, status: "200" })).toBe(1);
  });

  it("counts cache misses, then hits when the same caller repeats the query", async () => {
    const token = await t.token(["keeper-msp"], "metrics-cache");
    const first = await scrape();
    await t.gql(USAGE, undefined, token);
    const second = await scrape();
    expect(sample(second, "gateway_cache_misses_total") - sample(first, "gateway_cache_misses_total")).toBeGreaterThanOrEqual(1);
    expect(sample(second, "gateway_cache_hits_total") - sample(first, "gateway_cache_hits_total")).toBe(0);
    t.resetCalls();
    await t.gql(USAGE, undefined, token);
    expect(t.sandbox.keeperMsp.calls.count()).toBe(0); // served from the cache
    const third = await scrape();
    expect(sample(third, "gateway_cache_hits_total") - sample(second, "gateway_cache_hits_total")).toBeGreaterThanOrEqual(1);
    expect(sample(third, "gateway_cache_misses_total")).toBe(sample(second, "gateway_cache_misses_total"));
    expect(third).toMatch(/^gateway_cache_joined_total \d+$/m);
  });
});

describe("GraphQL metrics", () => {
  it("counts operations by name and type, with their duration", async () => {
    const before = await scrape();
    await t.gql(`query MetricsNamed { __typename }`);
    const after = await scrape();
    expect(sample(after, "gateway_graphql_operations_total", { operation: "MetricsNamed", type: "query" }) - sample(before, "gateway_graphql_operations_total", { operation: "MetricsNamed", type: "query" })).toBe(1);
    expect(sample(after, "gateway_graphql_operation_duration_seconds_count", { operation: "MetricsNamed" })).toBe(1);
  });

  it("counts errors by code: refused before execution (invalid) and by input checks (named)", async () => {
    const before = await scrape();
    const invalid = await t.gql(`query NoSuchField { noSuchField }`);
    expect(invalid.status).toBe(400);
    const bad = await t.gql(`query FuturePeriod { invoice(partnerId: "${MSP_SELF}", period: "2999-01") { total { amount } } }`);
    expect(bad.body.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    const after = await scrape();
    const delta = (labels: Record<string, string>) => sample(after, "gateway_graphql_errors_total", labels) - sample(before, "gateway_graphql_errors_total", labels);
    // The invalid document's caller-chosen name is not a label: it never validated.
    expect(delta({ operation: "(invalid)", code: "GRAPHQL_VALIDATION_FAILED" })).toBe(1);
    expect(after).not.toContain('operation="NoSuchField"');
    expect(delta({ operation: "FuturePeriod", code: "BAD_USER_INPUT" })).toBe(1);
  });

  it("bounds operation-name labels: truncated, capped, the rest counted as (other)", async () => {
    const long = `Q${"x".repeat(300)}`;
    await t.gql(`query ${long} { __typename }`);
    for (let i = 0; i < 110; i++) await t.gql(`query Flood${i} { __typename }`);
    const text = await scrape();
    expect(text).toContain(`operation="${long.slice(0, 64)}"`);
    expect(text).not.toContain(long.slice(0, 65));
    const names = new Set([...text.matchAll(/^gateway_graphql_operations_total\{operation="([^"]*)"/gm)].map((m) => m[1]));
    expect(names.size).toBeLessThanOrEqual(102); // 100 names, "(anonymous)", "(other)"
    expect(sample(text, "gateway_graphql_operations_total", { operation: "(other)" })).toBeGreaterThan(0);
  });
});

describe("request ids at the vendors", () => {
  it("sends the gateway's request id in each vendor's request-id header (none for Keeper)", async () => {
    const res = await request(t.gateway.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${await t.token("*", "metrics-ids")}` },
      body: JSON.stringify({
        query: `query($p: BillingPeriod!) { ms: invoice(partnerId: "partner:microsoft-partner-billing:partner", period: $p) { total { amount } }
                  subscriptions(first: 5) { nodes { status } } partners { nodes { id invoice(period: $p) { total { amount } } } } }`,
        variables: { p: lastMonth() },
      }),
    });
    await res.body.text();
    const requestId = res.headers["x-request-id"] as string;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const graph = t.sandbox.partnerBilling.calls.list().filter((c) => c.route === "billed-export");
    expect(graph.length).toBeGreaterThan(0);
    for (const c of graph) expect(c.headers["client-request-id"]).toBe(requestId);
    const saas = t.sandbox.marketplace.calls.list("list-subscriptions");
    expect(saas.length).toBeGreaterThan(0);
    for (const c of saas) expect(c.headers["x-ms-correlationid"]).toBe(requestId);
    const webex = t.sandbox.webex.calls.list();
    expect(webex.length).toBeGreaterThan(0);
    for (const c of webex) expect(c.headers["trackingid"]).toBe(requestId);
    const keeper = t.sandbox.keeperMsp.calls.list().concat(t.sandbox.keeperDistributor.calls.list());
    for (const c of keeper) expect(Object.values(c.headers)).not.toContain(requestId);
  });
});

describe("access log", () => {
  const accessLines = () =>
    t.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "request");

  it("writes one line per request: method, path, status, duration, request id and caller subject, no token", async () => {
    const token = await t.token(["keeper-msp"], "metrics-log-subject");
    const seen = accessLines().length;
    const res = await request(`${t.gateway.graphqlUrl}?trace=1`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    await res.body.text();
    const refused = await request(t.gateway.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}x` },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    await refused.body.text();
    expect(refused.statusCode).toBe(401);
    // A line is written when the response is done: wait for both.
    for (let i = 0; i < 50 && accessLines().length < seen + 2; i++) await new Promise((r) => setTimeout(r, 10));
    const lines = accessLines().slice(seen);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ method: "POST", path: "/graphql", status: 200, requestId: res.headers["x-request-id"], subject: "metrics-log-subject" });
    expect(typeof lines[0].durationMs).toBe("number");
    expect(lines[1]).toMatchObject({ method: "POST", path: "/graphql", status: 401, requestId: refused.headers["x-request-id"] });
    expect(lines[1].subject).toBeUndefined();
    const text = t.logs.join("");
    expect(text).not.toContain(token);
    expect(text).not.toContain(METRICS_TOKEN);
  });
});

describe("/metrics access", () => {
  it("needs the configured bearer token", async () => {
    for (const authorization of [undefined, "Bearer wrong", `Basic ${METRICS_TOKEN}`]) {
      const res = await request(`${t.gateway.url}/metrics`, { headers: authorization ? { authorization } : {} });
      const text = await res.body.text();
      expect(res.statusCode).toBe(401);
      expect(text).not.toContain("gateway_");
    }
  });

  describe("other settings, on the same simulators", () => {
    const started: Gateway[] = [];
    afterAll(() => Promise.all(started.map((g) => g.stop())));
    const start = async (metrics: { token?: Secret; port?: number } | undefined, sandbox = false) => {
      const g = await createGateway({ config: { ...t.sandbox.config, metrics }, logger: capturingLogger().logger, sandbox: sandbox ? { devToken: t.sandbox.devToken } : undefined });
      started.push(g);
      return g;
    };

    it("is off when not configured", async () => {
      const g = await start(undefined);
      expect(g.metricsUrl).toBeUndefined();
      const res = await request(`${g.url}/metrics`);
      await res.body.text();
      expect(res.statusCode).toBe(404);
    });

    it("is served open on its own port, and not on the gateway's", async () => {
      const g = await start({ port: 0 });
      expect(g.metricsUrl).not.toBe(`${g.url}/metrics`);
      expect(await scrape(g.metricsUrl, null)).toContain("gateway_cache_hits_total");
      const main = await request(`${g.url}/metrics`);
      await main.body.text();
      expect(main.statusCode).toBe(404);
    });

    it("is open in the sandbox", async () => {
      const g = await start(undefined, true);
      expect(await scrape(`${g.url}/metrics`, null)).toContain("gateway_upstream_requests_total");
    });
  });
});
