/**
 * Per-caller rate limit (issue 11, item 2), over real HTTP: past its requests per window a caller
 * gets 429 with Retry-After and RATE_LIMITED, before any vendor call; other callers are not held
 * back; with Redis as the store, two gateway instances count one caller together.
 */
import { randomUUID } from "node:crypto";
import { request } from "undici";
import { signCallerToken } from "../../src/auth/caller";
import { createRedisStore } from "../../src/cache/redis";
import { createGateway, type Gateway } from "../../src/gateway";
import { SANDBOX_AUDIENCE, SANDBOX_ISSUER, startSandbox, type Sandbox } from "../../src/sandbox";
import { FAST_UPSTREAM, startTestGateway, type TestGateway } from "../helpers/gateway";
import { capturingLogger } from "../helpers/logs";
import { DisposableStack } from "../helpers/stack";

async function post(url: string, token: string, query: string) {
  const res = await request(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) });
  return { status: res.statusCode, retryAfter: res.headers["retry-after"], body: (await res.body.json()) as { errors?: Array<{ extensions?: Record<string, unknown> }> } };
}

describe("per-caller rate limit, one instance (in memory)", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ overrides: { rateLimit: { requests: 3, windowSeconds: 60 } } });
  });
  afterAll(() => t.close());

  it("answers a caller past its limit 429 with Retry-After, before any vendor call, and holds no other caller back", async () => {
    const alice = await t.token("*", "alice");
    for (let i = 0; i < 3; i++) expect((await post(t.gateway.graphqlUrl, alice, "{ connections { id } }")).status).toBe(200);
    t.resetCalls();
    const refused = await post(t.gateway.graphqlUrl, alice, `{ partner(id: "partner:keeper-msp:self") { managedCompanies { totalCount } } }`);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: "RATE_LIMITED", retryAfterSeconds: Number(refused.retryAfter) });
    expect(t.upstreamCalls()).toBe(0);
    // Another caller has its own count.
    const bob = await t.token("*", "bob");
    const other = await post(t.gateway.graphqlUrl, bob, `{ partner(id: "partner:keeper-msp:self") { managedCompanies { totalCount } } }`);
    expect(other.status).toBe(200);
    expect(t.upstreamCalls()).toBeGreaterThan(0);
  });
});

describe("per-caller rate limit, two instances sharing Redis", () => {
  const stack = new DisposableStack();
  let sandbox: Sandbox;
  let gateways: Gateway[];
  beforeAll(async () => {
    sandbox = await startSandbox({ overrides: { upstream: FAST_UPSTREAM, rateLimit: { requests: 4, windowSeconds: 60 } } });
    stack.defer(() => sandbox.close());
    const config = sandbox.config;
    gateways = [];
    for (let i = 0; i < 2; i++) {
      const gateway = await createGateway({ config, logger: capturingLogger().logger, cacheStore: createRedisStore(process.env.REDIS_URL ?? "redis://127.0.0.1:6379") });
      stack.defer(() => gateway.stop());
      gateways.push(gateway);
    }
  });
  afterAll(() => stack.dispose());

  it("counts one caller's requests on both instances together", async () => {
    // A subject of its own, so no earlier run's count in the shared Redis is met.
    const token = await signCallerToken(sandbox.callerSecret, { issuer: SANDBOX_ISSUER, audience: SANDBOX_AUDIENCE, connections: "*", roles: ["billing:read"], subject: `rl-${randomUUID()}` });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(gateways[i % 2].graphqlUrl, token, "{ connections { id } }")).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
  });
});
