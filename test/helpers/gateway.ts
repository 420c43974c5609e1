/** A gateway on the sandbox simulators, over real HTTP, with captured logs and caller tokens. */
import { request } from "undici";
import { signCallerToken } from "../../src/auth/caller";
import type { Role } from "../../src/auth/roles";
import { createGateway, type Gateway, type GatewayOptions } from "../../src/gateway";
import { SANDBOX_AUDIENCE, SANDBOX_ISSUER, startSandbox, type Sandbox } from "../../src/sandbox";
import { capturingLogger } from "./logs";
import { DisposableStack } from "./stack";

export interface GqlResult {
  status: number;
  body: { data?: Record<string, any> | null; errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }> };
  text: string;
}

export interface TestGateway {
  sandbox: Sandbox;
  gateway: Gateway;
  logs: string[];
  /** A caller token for the given connections and tenant (roles: billing:read and accounts:write unless given). */
  token(connections?: "*" | string[], tenant?: string, grants?: { roles?: Role[]; company?: string; subject?: string }): Promise<string>;
  gql(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<GqlResult>;
  /** Upstream calls seen by every simulator, by route. */
  upstreamCalls(): number;
  resetCalls(): void;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  /** Start as in sandbox mode (no token needed). Default false: a caller token is required. */
  sandboxMode?: boolean;
  now?: () => number;
  overrides?: Record<string, unknown>;
  /** A shared cache store (e.g. Redis) and how calls to it are bounded. */
  cacheStore?: GatewayOptions["cacheStore"];
  storeGuard?: GatewayOptions["storeGuard"];
}

/** What the suite's callers may do unless a test says otherwise: read and run lifecycle actions, not admin. */
export const DEFAULT_TEST_ROLES: Role[] = ["billing:read", "accounts:write"];

/** Retry delays are configuration: tiny in tests (STYLE.md, Tests). */
export const FAST_UPSTREAM = {
  maxAttempts: 3,
  baseDelayMs: 1,
  maxDelayMs: 5,
  maxRetryAfterSeconds: 2,
  headersTimeoutMs: 1000,
  bodyTimeoutMs: 1000,
  requestDeadlineMs: 8000,
  // Generous: the suite's bursts must not queue; test/http/governor.test.ts sets tight bounds of its own.
  governor: { maxConcurrent: 64, maxPerSecond: 10_000, maxQueue: 10_000 },
};

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const stack = new DisposableStack();
  const now = options.now;
  const sandbox = await startSandbox({
    now: now ? () => new Date(now()) : undefined,
    overrides: { upstream: FAST_UPSTREAM, ...options.overrides },
  });
  stack.defer(() => sandbox.close());
  const { logger, lines: logs } = capturingLogger();
  const gateway = await createGateway({
    config: sandbox.config,
    logger,
    now,
    random: () => 0.5,
    sandbox: options.sandboxMode ? { devToken: sandbox.devToken } : undefined,
    cacheStore: options.cacheStore,
    storeGuard: options.storeGuard,
  });
  stack.defer(() => gateway.stop());
  sandbox.marketplace.setWebhookUrl(`${gateway.url}/webhooks/microsoft-marketplace/microsoft-marketplace`);
  const defaultToken = await signCallerToken(sandbox.callerSecret, { issuer: SANDBOX_ISSUER, audience: SANDBOX_AUDIENCE, connections: "*", roles: DEFAULT_TEST_ROLES });

  return {
    sandbox,
    gateway,
    logs,
    token: (connections = "*", tenant, grants = {}) =>
      signCallerToken(sandbox.callerSecret, {
        issuer: SANDBOX_ISSUER,
        audience: SANDBOX_AUDIENCE,
        connections,
        tenant,
        subject: grants.subject ?? tenant ?? "test",
        roles: grants.roles ?? DEFAULT_TEST_ROLES,
        company: grants.company,
      }),
    async gql(query, variables, token = defaultToken) {
      const res = await request(gateway.graphqlUrl, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const text = await res.body.text();
      return { status: res.statusCode, body: JSON.parse(text), text };
    },
    upstreamCalls: () => sandbox.simulators.reduce((n, s) => n + s.calls.count(), 0),
    resetCalls: () => {
      for (const s of sandbox.simulators) {
        s.calls.reset();
        s.faults.clear();
      }
    },
    close: () => stack.dispose(),
  };
}
