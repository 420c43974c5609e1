/**
 * The audit log (issue 11, item 3): every mutation, who sent it, what, when and how it ended, kept in
 * the store and read by an admin of the same tenant. In memory for one instance; in Redis, shared by two
 * instances and kept through a Redis outage (a redis-server of the test's own).
 */
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createRedisStore } from "../../src/cache/redis";
import { startTestGateway, type TestGateway } from "../helpers/gateway";
import { freePort, startRedis, stopRedis } from "../helpers/redis-server";

const AUDIT = `query($first: Int, $after: String, $filter: AuditLogFilter) { auditLog(first: $first, after: $after, filter: $filter) {
  totalCount complete pageInfo { hasNextPage endCursor }
  nodes { at subject company requestId operationName mutation arguments outcome message } } }`;
const CONVERT = `mutation Convert($id: String!) { convertToPaid(input: { connectionId: "keeper-distributor", vendorInternalId: $id }) { message } }`;

async function auditOf(t: TestGateway, token: string, variables: Record<string, unknown> = {}) {
  const res = await t.gql(AUDIT, variables, token);
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.auditLog;
}

describe("audit log, in memory", () => {
  let t: TestGateway;
  let admin: string;
  beforeAll(async () => {
    t = await startTestGateway();
    admin = await t.token("*", "tenant-a", { roles: ["admin"], subject: "auditor" });
  });
  afterAll(() => t.close());

  it("records a mutation that ran, one the vendor refused, one a role refused and one refused before execution", async () => {
    const writer = await t.token("*", "tenant-a", { roles: ["billing:read", "accounts:write"], subject: "ops-user" });
    const reader = await t.token("*", "tenant-a", { roles: ["billing:read"], subject: "read-only" });

    const vendorRefused = await t.gql(CONVERT, { id: "no-such-msp" }, writer);
    expect(vendorRefused.body.errors![0].extensions!.code).toBe("VENDOR_REJECTED");
    const roleRefused = await t.gql(CONVERT, { id: "no-such-msp" }, reader);
    expect(roleRefused.body.errors![0].extensions!.code).toBe("FORBIDDEN");
    const badInput = await t.gql(`mutation { convertToPaid(input: { connectionId: "no-such-connection", vendorInternalId: "x" }) { message } }`, undefined, writer);
    expect(badInput.status).toBe(400);
    const created = await t.gql(
      `mutation { createTrialAccount(input: { connectionId: "keeper-distributor", name: "Audited MSP", email: "a@audited.test", country: "US", vendorInternalId: "audited-001" }) { vendorPartnerId } }`,
      undefined,
      writer,
    );
    expect(created.body.errors).toBeUndefined();

    const log = await auditOf(t, admin);
    expect(log.complete).toBe(true);
    expect(log.totalCount).toBe(4);
    // Newest first.
    expect(log.nodes.map((n: any) => [n.subject, n.mutation, n.outcome])).toEqual([
      ["ops-user", "createTrialAccount", "OK"],
      ["ops-user", "convertToPaid", "BAD_USER_INPUT"],
      ["read-only", "convertToPaid", "FORBIDDEN"],
      ["ops-user", "convertToPaid", "VENDOR_REJECTED"],
    ]);
    const [ok, , forbidden, rejected] = log.nodes;
    expect(JSON.parse(ok.arguments)).toEqual({ input: expect.objectContaining({ connectionId: "keeper-distributor", name: "Audited MSP", vendorInternalId: "audited-001" }) });
    expect(ok.message).toBeNull();
    expect(new Date(ok.at).getTime()).not.toBeNaN();
    expect(ok.requestId).toMatch(/\S/);
    expect(forbidden.message).toMatch(/accounts:write/);
    expect(rejected).toMatchObject({ operationName: "Convert", message: expect.stringMatching(/\S/) });
    expect(JSON.parse(rejected.arguments)).toEqual({ input: { connectionId: "keeper-distributor", vendorInternalId: "no-such-msp" } });
  });

  it("redacts what could act as someone: a marketplace purchase token never reaches the log", async () => {
    const writer = await t.token("*", "tenant-a", { roles: ["accounts:write"], subject: "landing-page" });
    const secretToken = `mkt-${randomUUID()}`;
    await t.gql(`mutation($t: String!) { resolvePurchaseToken(input: { connectionId: "microsoft-marketplace", marketplaceToken: $t }) { planId } }`, { t: secretToken }, writer);
    const log = await auditOf(t, admin, { filter: { mutation: "resolvePurchaseToken" } });
    expect(log.totalCount).toBe(1);
    expect(JSON.parse(log.nodes[0].arguments)).toEqual({ input: { connectionId: "microsoft-marketplace", marketplaceToken: "[redacted]" } });
    expect(JSON.stringify(await auditOf(t, admin))).not.toContain(secretToken);
    expect(t.logs.join("\n")).not.toContain(secretToken);
  });

  it("shows each tenant its own log only, and only to admin", async () => {
    const otherAdmin = await t.token("*", "tenant-b", { roles: ["admin"], subject: "other-auditor" });
    expect((await auditOf(t, otherAdmin)).totalCount).toBe(0);
    const reader = await t.token("*", "tenant-a", { roles: ["billing:read"] });
    const refused = await t.gql(AUDIT, {}, reader);
    expect(refused.body.data!.auditLog).toBeNull();
    expect(refused.body.errors![0].extensions).toMatchObject({ code: "FORBIDDEN", requiredRole: "admin" });
  });

  it("pages newest first with cursors that hold while new entries arrive, and filters", async () => {
    const first = await auditOf(t, admin, { first: 2 });
    expect(first.pageInfo.hasNextPage).toBe(true);
    const writer = await t.token("*", "tenant-a", { roles: ["accounts:write"], subject: "late-writer" });
    await t.gql(CONVERT, { id: "no-such-msp" }, writer); // arrives between the two pages
    const second = await auditOf(t, admin, { first: 2, after: first.pageInfo.endCursor });
    const all = await auditOf(t, admin, { first: 100 });
    expect(all.nodes[0].subject).toBe("late-writer");
    // The second page continues exactly after the first, as the log was when the first was read.
    expect([...first.nodes, ...second.nodes]).toEqual(all.nodes.slice(1, 5));
    const refusedOnly = await auditOf(t, admin, { filter: { outcome: "FORBIDDEN" } });
    expect(refusedOnly.nodes.map((n: any) => n.subject)).toEqual(["read-only"]);
    expect((await auditOf(t, admin, { filter: { subject: "ops-user" } })).totalCount).toBe(3);
  });

  it("writes each entry to the process log as well", () => {
    const lines = t.logs.filter((l) => l.includes('"audit"')).map((l) => JSON.parse(l));
    expect(lines.some((l) => l.audit?.mutation === "createTrialAccount" && l.audit.outcome === "OK" && l.audit.subject === "ops-user")).toBe(true);
  });
});

describe("audit log, in Redis", () => {
  it("is shared by two instances: written on one, read on the other", async () => {
    // The shared Redis outlives the test: a tenant of its own keeps earlier runs' entries out.
    const tenant = `shared-${randomUUID()}`;
    const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
    const a = await startTestGateway({ cacheStore: createRedisStore(redisUrl) });
    const b = await startTestGateway({ cacheStore: createRedisStore(redisUrl) });
    try {
      const writer = await a.token("*", tenant, { roles: ["accounts:write"], subject: "on-a" });
      await Promise.all([1, 2, 3].map(() => a.gql(CONVERT, { id: "no-such-msp" }, writer)));
      const log = await auditOf(b, await b.token("*", tenant, { roles: ["admin"] }));
      expect(log.totalCount).toBe(3);
      expect(log.nodes.every((n: any) => n.subject === "on-a" && n.outcome === "VENDOR_REJECTED")).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("keeps the entries made while Redis is down, and writes them once it is back", async () => {
    const port = await freePort();
    let redis: ChildProcess | undefined = await startRedis(port);
    const t = await startTestGateway({
      cacheStore: createRedisStore(`redis://127.0.0.1:${port}`, { connectMs: 200, reconnectMaxDelayMs: 50 }),
      storeGuard: { timeoutMs: 150, probeIntervalMs: 25 },
    });
    try {
      const writer = await t.token("*", "outage", { roles: ["accounts:write"], subject: "during-outage" });
      const admin = await t.token("*", "outage", { roles: ["admin"] });
      await t.gql(CONVERT, { id: "before" }, writer);
      await stopRedis(redis);
      const during = await t.gql(CONVERT, { id: "during" }, writer);
      expect(during.body.errors![0].extensions!.code).toBe("VENDOR_REJECTED"); // the mutation still ran
      const whileDown = await auditOf(t, admin);
      expect(whileDown.complete).toBe(false);
      expect(whileDown.nodes.map((n: any) => JSON.parse(n.arguments).input.vendorInternalId)).toEqual(["during"]);

      redis = await startRedis(port); // empty: the entry from before the outage went with the old server
      for (let i = 0; i < 100 && (await t.gateway.cache.checkStore()).status !== "up"; i++) await new Promise((r) => setTimeout(r, 50));
      await t.gql(CONVERT, { id: "after" }, writer);
      const after = await auditOf(t, admin);
      expect(after.complete).toBe(true);
      expect(after.nodes.map((n: any) => JSON.parse(n.arguments).input.vendorInternalId)).toEqual(["after", "during"]);
    } finally {
      await t.close();
      await stopRedis(redis);
    }
  });
});
