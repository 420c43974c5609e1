/**
 * What the issue-13 scenarios (fanout, dedup, overhead) share: a sandbox gateway in this process (with
 * configuration overrides), caller tokens that each get cold data, a timed POST, calls counted per
 * simulator and route, and the replay of a call a connector made, straight to its simulator.
 *
 * Cold without turning anything off: every cache key carries the caller's scope, and a token with a
 * tenant of its own is a scope of its own. Vendor tokens (OAuth, JWT) are per connection, not per
 * caller, so they stay warm.
 */
import "reflect-metadata";
import { request } from "undici";
import { signCallerToken } from "../../src/auth/caller";
import { SANDBOX_AUDIENCE, SANDBOX_ISSUER, type SandboxOptions } from "../../src/sandbox";
import type { CallRecord, SimulatorHandle } from "../../src/simulator-kit";
import { sandboxGateway } from "./sandbox-figures";

export type SandboxGateway = Awaited<ReturnType<typeof coldSandboxGateway>>;

/** A sandbox gateway in this process; `post` times one GraphQL request with the given caller token. */
export async function coldSandboxGateway(options: Pick<SandboxOptions, "latencyMs" | "overrides"> = {}) {
  const started = await sandboxGateway(options);
  const { sandbox, gateway } = started;
  const post = async (payload: string, token: string) => {
    const started = process.hrtime.bigint();
    const res = await request(gateway.graphqlUrl, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: payload });
    const text = await res.body.text();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const parsed = JSON.parse(text) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> };
    return { ms, status: res.statusCode, text, data: parsed.data as Record<string, any> | undefined, errors: parsed.errors ?? [] };
  };
  let closing: Promise<void> | undefined;
  return {
    sandbox,
    gateway,
    post,
    /** Calls every simulator has seen so far. */
    upstream: started.upstream,
    /** Each simulator's number of calls so far, for `callsSince`. */
    mark: () => new Map(sandbox.simulators.map((s) => [s, s.calls.count()] as const)),
    /** The calls each simulator saw after `mark()`, by simulator name. */
    callsSince(mark: Map<SimulatorHandle, number>): Map<string, CallRecord[]> {
      return new Map(sandbox.simulators.map((s) => [s.name, s.calls.list().slice(mark.get(s) ?? 0)] as const));
    },
    /** Stops the gateway and the simulators; a second call waits for the first. */
    close(): Promise<void> {
      closing ??= started.close();
      return closing;
    },
  };
}

/**
 * `n` caller tokens with `billing:read`, each with a tenant of its own (so each request's data is
 * cold), signed before any timing starts.
 */
export async function coldCallerTokens(g: SandboxGateway, n: number, prefix: string): Promise<string[]> {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      signCallerToken(g.sandbox.callerSecret, {
        issuer: SANDBOX_ISSUER,
        audience: SANDBOX_AUDIENCE,
        subject: `bench-${prefix}`,
        tenant: `bench-${prefix}-${i}`,
        connections: "*",
        roles: ["billing:read"],
        expiresIn: "2h",
      }),
    ),
  );
}

/** Headers of a recorded call that describe the connection, not the hop (undici sets those again). */
const HOP_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive"]);

/**
 * Sends a call a connector made (same method, path, query, headers and body: its auth too) straight to
 * the simulator, and reads the whole answer. Returns the status.
 */
export async function replay(sim: SimulatorHandle, call: CallRecord): Promise<number> {
  const url = new URL(call.path, sim.url);
  for (const [k, v] of Object.entries(call.query)) url.searchParams.set(k, v);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(call.headers)) if (!HOP_HEADERS.has(k) && v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
  const res = await request(url, { method: call.method as "GET", headers, body: call.method === "GET" || call.method === "HEAD" ? undefined : call.body });
  await res.body.arrayBuffer();
  return res.statusCode;
}

/** Identity of the resource a call reads: route, path and query (two calls with the same one read the same thing). */
export function resourceOf(call: CallRecord): string {
  const query = Object.entries(call.query).sort(([a], [b]) => a.localeCompare(b));
  return `${call.route} ${call.method} ${call.path}?${new URLSearchParams(query).toString()} ${call.method === "GET" ? "" : call.body}`;
}

export const elapsedMs = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e6;
