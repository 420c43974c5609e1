import { createDeadline } from "../../src/http/deadline";
import { createDispatcher, DEFAULT_HTTP_SETTINGS, parseRetryAfter, pathOf, UnsafePathError, Upstream, type HttpSettings } from "../../src/http/upstream";
import { VendorError } from "../../src/domain/errors";
import { makeScope } from "../../src/auth/caller";
import { startSimulator, type SimulatorHandle } from "../../src/simulator-kit";
import type { CallContext } from "../../src/domain/connector";
import { capturingLogger } from "../helpers/logs";
import { DisposableStack } from "../helpers/stack";

const settings: HttpSettings = {
  ...DEFAULT_HTTP_SETTINGS,
  headersTimeoutMs: 300,
  bodyTimeoutMs: 300,
  baseDelayMs: 5,
  maxDelayMs: 20,
  maxRetryAfterMs: 2_000,
  maxAttempts: 3,
};

const stack = new DisposableStack();
let sim: SimulatorHandle;
let upstream: Upstream;
const { logger, lines: logLines } = capturingLogger();

function call(budgetMs = 5_000): CallContext {
  const deadline = createDeadline(budgetMs);
  stack.defer(() => deadline.cancel());
  return { scope: makeScope("t", null, "*"), deadline, requestId: "req-1", logger };
}

const SECRET_HEADER = "Bearer sup3r-secret-token-value";
const get = (idempotent = true) => ({
  route: "thing",
  method: "GET" as const,
  path: "/thing",
  headers: () => ({ "x-api-token": SECRET_HEADER }),
  idempotent,
});

beforeAll(async () => {
  sim = stack.use(
    await startSimulator({
      name: "test",
      routes: [{ name: "thing", method: "GET", path: "/thing", handle: () => ({ status: 200, body: { ok: true } }) }],
    }),
  );
  const dispatcher = createDispatcher(settings);
  stack.defer(() => dispatcher.close());
  upstream = new Upstream({ vendor: "KEEPER", connectionId: "conn-1", baseUrl: sim.url, describeError: (_s, b) => JSON.parse(b).message }, settings, dispatcher, logger);
});
afterAll(() => stack.dispose());
beforeEach(() => {
  sim.calls.reset();
  sim.faults.clear();
});

describe("Upstream", () => {
  it("retries a safe call on 503 and succeeds", async () => {
    sim.faults.next("thing", { status: 503 }).times(2);
    const res = await upstream.send(call(), get());
    expect(res.status).toBe(200);
    expect(res.attempts).toBe(3);
    expect(sim.calls.count("thing")).toBe(3);
  });

  it("honours Retry-After on 429 (seconds and HTTP date)", async () => {
    sim.faults.next("thing", { status: 429, retryAfter: 0 });
    sim.faults.next("thing", { status: 429, retryAfter: new Date(Date.now() + 100).toUTCString() });
    const res = await upstream.send(call(), get());
    expect(res.attempts).toBe(3);
    expect(sim.calls.count("thing")).toBe(3);
  });

  it("gives VENDOR_RATE_LIMITED at once when Retry-After is beyond the cap", async () => {
    expect.assertions(3);
    sim.faults.next("thing", { status: 429, retryAfter: 120 });
    try {
      await upstream.send(call(), get());
    } catch (err) {
      expect((err as VendorError).code).toBe("VENDOR_RATE_LIMITED");
      expect((err as VendorError).extensions.retryAfterSeconds).toBe(120);
    }
    expect(sim.calls.count("thing")).toBe(1);
  });

  it("never retries a call that is not idempotent", async () => {
    sim.faults.next("thing", { status: 503 });
    await expect(upstream.send(call(), get(false))).rejects.toMatchObject({ code: "VENDOR_UNAVAILABLE" });
    expect(sim.calls.count("thing")).toBe(1);
  });

  it("does not start a retry that could not finish before the deadline", async () => {
    sim.faults.next("thing", { status: 429, retryAfter: 1 });
    await expect(upstream.send(call(400), get())).rejects.toMatchObject({ code: "VENDOR_RATE_LIMITED" });
    expect(sim.calls.count("thing")).toBe(1);
  });

  it("retries after a connection reset", async () => {
    sim.faults.next("thing", { reset: true });
    const res = await upstream.send(call(), get());
    expect(res.attempts).toBe(2);
  });

  it("gives VENDOR_UNAVAILABLE when the vendor hangs past every attempt", async () => {
    sim.faults.next("thing", { hang: true }).times(3);
    await expect(upstream.send(call(), get())).rejects.toMatchObject({ code: "VENDOR_UNAVAILABLE" });
    expect(sim.calls.count("thing")).toBe(3);
  });

  it("maps 401 to VENDOR_AUTH_FAILED and 400 to VENDOR_REJECTED with the vendor's message, without retrying", async () => {
    sim.faults.next("thing", { status: 401, body: '{"success":false,"message":"Unauthorized"}' });
    await expect(upstream.send(call(), get())).rejects.toMatchObject({ code: "VENDOR_AUTH_FAILED", extensions: { upstreamStatus: 401 } });
    sim.faults.next("thing", { status: 400, body: '{"success":false,"message":"month is missing or invalid"}' });
    await expect(upstream.send(call(), get())).rejects.toMatchObject({
      code: "VENDOR_REJECTED",
      extensions: { upstreamCode: "month is missing or invalid", vendor: "KEEPER", connectionId: "conn-1" },
    });
    expect(sim.calls.count("thing")).toBe(2);
  });

  it("never logs credentials", () => {
    expect(logLines.length).toBeGreaterThan(5);
    expect(logLines.join("\n")).not.toContain("sup3r-secret-token-value");
  });
});

describe("vendor paths", () => {
  const at = (path: string) => ({ route: "any", method: "GET" as const, path, idempotent: true, answers: [404] });

  it("sends each value as one percent-encoded segment: the vendor sees the value, not another path", async () => {
    await upstream.send(call(), at(pathOf("/thing/", "../../admin", "a/b?c#d%e f")));
    expect(sim.calls.list().map((c) => ({ path: c.path, query: c.query }))).toEqual([{ path: "/thing/..%2F..%2Fadmin/a%2Fb%3Fc%23d%25e%20f", query: {} }]);
  });

  it("refuses a segment that a URL would drop or climb, and any path the URL parser would rewrite, with no call", async () => {
    for (const segment of ["..", ".", ""]) expect(() => pathOf("/thing", segment)).toThrow(UnsafePathError);
    for (const path of ["/thing/../admin", "/thing/%2e%2E/admin", "/thing/.%2e", "/thing/a\\b", "/thing/a b"]) {
      await expect(upstream.send(call(), at(path))).rejects.toThrow(UnsafePathError);
    }
    expect(sim.calls.count()).toBe(0);
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and dates, and ignores garbage", () => {
    expect(parseRetryAfter("3", 0)).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter("soon", 0)).toBeUndefined();
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
  });
});
