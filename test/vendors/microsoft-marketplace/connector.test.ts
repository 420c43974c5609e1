/** Microsoft marketplace SaaS Fulfillment v2 over real HTTP: tokens, every endpoint, paging, quirks. */
import { Secret } from "../../../src/domain/secret";
import { createMarketplaceConnector, type MarketplaceConnector } from "../../../src/vendors/microsoft-marketplace";
import { dateOf, mapOperation, mapSubscription, quantityOf } from "../../../src/vendors/microsoft-marketplace/mapper";
import {
  createMarketplaceSimulator,
  defaultMarketplaceSubscriptions,
  MARKETPLACE_SANDBOX,
  type MarketplaceSimulator,
} from "../../../src/vendors/microsoft-marketplace/simulator/server";
import { MARKETPLACE_RESOURCE } from "../../../src/vendors/microsoft-marketplace/wire";
import { MarketplaceWebhooks } from "../../../src/vendors/microsoft-marketplace/webhook";
import { listEvents } from "../../../src/vendors/microsoft-marketplace/events";
import type { ConnectionInfo } from "../../../src/domain/model";
import { callContext, connectorDeps } from "../../helpers/connector";
import { DisposableStack } from "../../helpers/stack";
import { Dec } from "../../../src/domain/money";

const stack = new DisposableStack();
let sim: MarketplaceSimulator;
let clock = Date.UTC(2026, 10, 23, 12);
const now = () => clock;
let n = 0;
const call = () => callContext(stack, `ms-${++n}`);

beforeAll(async () => {
  sim = stack.use(await createMarketplaceSimulator({ now: () => new Date(clock), operationPolls: 2 }));
});
afterAll(() => stack.dispose());
beforeEach(() => {
  sim.calls.reset();
  sim.faults.clear();
});

function connector(o: { secret?: string; resource?: string; version?: "v1" | "v2"; target?: MarketplaceSimulator } = {}): MarketplaceConnector {
  const s = o.target ?? sim;
  return createMarketplaceConnector(
    {
      id: "ms-1",
      baseUrl: `${s.url}/api`,
      tenantId: MARKETPLACE_SANDBOX.tenantId,
      clientId: MARKETPLACE_SANDBOX.clientId,
      clientSecret: new Secret(o.secret ?? MARKETPLACE_SANDBOX.clientSecret),
      tokenUrl: `${s.url}/${MARKETPLACE_SANDBOX.tenantId}/oauth2/${o.version === "v2" ? "v2.0/" : ""}token`,
      tokenVersion: o.version ?? "v1",
      resource: o.resource ?? MARKETPLACE_RESOURCE,
    },
    connectorDeps(stack, now),
  );
}

const byStatus = (status: string) => sim.subscriptions.find((s) => s.saasSubscriptionStatus === status && s.allowedCustomerOperations.includes("Update") && s.quantity !== null)!;

describe("tokens", () => {
  it("caches the Entra token (numbers arriving as strings) and renews it shortly before it expires", async () => {
    const c = connector();
    await c.saas.list(call());
    await c.saas.get(call(), sim.subscriptions[0].id);
    expect(sim.calls.count("token-v1")).toBe(1);
    expect(new URLSearchParams(sim.calls.last("token-v1")!.body).get("resource")).toBe(MARKETPLACE_RESOURCE);
    clock += 50 * 60_000; // 50 of its 60 minutes: still good
    await c.saas.get(call(), sim.subscriptions[2].id);
    expect(sim.calls.count("token-v1")).toBe(1);
    clock += 6 * 60_000; // 56 minutes: inside the 5-minute renewal margin
    await c.saas.get(call(), sim.subscriptions[1].id);
    expect(sim.calls.count("token-v1")).toBe(2);
    expect(c.tokens.fetched).toBe(2);
  });

  it("uses the v2 endpoint with a scope when configured", async () => {
    await connector({ version: "v2" }).saas.get(call(), sim.subscriptions[0].id);
    expect(new URLSearchParams(sim.calls.last("token-v2")!.body).get("scope")).toBe(`${MARKETPLACE_RESOURCE}/.default`);
  });

  it("maps a bad client secret and a token for another audience (403) to VENDOR_AUTH_FAILED", async () => {
    await expect(connector({ secret: "wrong" }).saas.list(call())).rejects.toMatchObject({ code: "VENDOR_AUTH_FAILED", details: { upstreamStatus: 401 } });
    await expect(connector({ resource: "https://graph.microsoft.com" }).saas.list(call())).rejects.toMatchObject({ code: "VENDOR_AUTH_FAILED", details: { upstreamStatus: 403 } });
  });

  it("sends x-ms-requestid and x-ms-correlationid, and the service echoes them", async () => {
    await connector().saas.get(call(), sim.subscriptions[0].id);
    const seen = sim.calls.last("get-subscription")!;
    expect(seen.headers["x-ms-requestid"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.headers["x-ms-correlationid"]).toBe("test-request");
    expect(seen.query["api-version"]).toBe("2018-08-31");
  });
});

describe("subscriptions", () => {
  it("reads every page (100 a page) and an empty body as no subscriptions", async () => {
    const big = stack.use(await createMarketplaceSimulator({ now: () => new Date(clock), subscriptions: defaultMarketplaceSubscriptions(230) }));
    const { value } = await connector({ target: big }).saas.list(call());
    expect(value).toHaveLength(230);
    expect(new Set(value.map((s) => s.key)).size).toBe(230);
    expect(big.calls.count("list-subscriptions")).toBe(3);
    const none = stack.use(await createMarketplaceSimulator({ now: () => new Date(clock), subscriptions: [] }));
    expect((await connector({ target: none }).saas.list(call())).value).toEqual([]);
  });

  it("resolves a URL-encoded landing-page token, then activates the subscription once", async () => {
    const pending = sim.subscriptions.find((s) => s.saasSubscriptionStatus === "PendingFulfillmentStart")!;
    const token = sim.purchaseToken(pending.id);
    const c = connector();
    const resolved = await c.saas.resolve(call(), encodeURIComponent(token));
    expect(sim.calls.last("resolve")!.headers["x-ms-marketplace-token"]).toBe(token);
    expect(resolved.subscription).toMatchObject({ key: pending.id, status: "PENDING_FULFILLMENT_START", offer: pending.offerId });
    await c.saas.activate(call(), pending.id, pending.planId, resolved.quantity);
    expect(pending.saasSubscriptionStatus).toBe("Subscribed");
    await expect(c.saas.activate(call(), pending.id, pending.planId, resolved.quantity)).rejects.toMatchObject({ code: "VENDOR_REJECTED", details: { upstreamStatus: 400 } });
    await expect(c.saas.resolve(call(), "not-a-token")).rejects.toMatchObject({ code: "VENDOR_REJECTED", details: { upstreamStatus: 400 } });
  });

  it("answers 404 for an unknown subscription", async () => {
    await expect(connector().saas.get(call(), "00000000-0000-0000-0000-000000000000")).rejects.toMatchObject({ code: "VENDOR_REJECTED", details: { upstreamStatus: 404 } });
  });

  it("reads a subscription's plans", async () => {
    const flat = sim.subscriptions.find((s) => s.offerId === "contoso-mail-archive")!;
    const { value } = await connector().saas.plans(call(), flat.id);
    expect(value.map((p) => [p.key, p.unit])).toEqual([["contoso-mail-archive/standard", "flat"], ["contoso-mail-archive/premium", "flat"]]);
  });

  it("changes quantity and plan through operations that end, and refuses invalid changes", async () => {
    const c = connector();
    const sub = byStatus("Subscribed");
    const op = await c.saas.changeQuantity(call(), sub.id, (sub.quantity ?? 0) + 3);
    expect(op).toMatchObject({ action: "ChangeQuantity", status: "IN_PROGRESS" });
    expect(sim.calls.last("change-subscription")!.outcome).toBe(202);
    const done = await c.saas.getOperation(call(), sub.id, op.key);
    expect(done.value.status).toBe("SUCCEEDED");
    expect((await c.saas.get(call(), sub.id)).value.quantity!.toNumber()).toBe(sub.quantity);
    await expect(c.saas.changeQuantity(call(), sub.id, 100_000)).rejects.toMatchObject({ code: "VENDOR_REJECTED", details: { upstreamStatus: 400 } });
    await expect(c.saas.changePlan(call(), sub.id, sub.planId)).rejects.toMatchObject({ code: "VENDOR_REJECTED" });
    sim.endNextOperationWith("Conflict");
    const conflicted = await c.saas.changePlan(call(), sub.id, sub.planId === "basic" ? "pro" : "basic");
    expect((await c.saas.getOperation(call(), sub.id, conflicted.key)).value.status).toBe("CONFLICT");
    await expect(c.saas.acknowledge(call(), sub.id, conflicted.key, true)).rejects.toMatchObject({ details: { upstreamStatus: 409 } });
  });

  it("lists pending operations ({} when none) and never retries a change", async () => {
    const c = connector();
    const sub = byStatus("Subscribed");
    expect((await c.saas.pendingOperations(call(), sub.id)).value).toEqual([]);
    sim.faults.next("change-subscription", { status: 503 });
    await expect(c.saas.changeQuantity(call(), sub.id, (sub.quantity ?? 0) + 1)).rejects.toMatchObject({ code: "VENDOR_UNAVAILABLE" });
    expect(sim.calls.count("change-subscription")).toBe(1);
  });
});

describe("list bodies of unknown shape", () => {
  const sub = () => byStatus("Subscribed");

  it("reads the operations list as a bare array, as Microsoft's emulator sends it", async () => {
    const bare = stack.use(await createMarketplaceSimulator({ now: () => new Date(clock), operationList: "bare" }));
    const s = bare.subscriptions.find((x) => x.saasSubscriptionStatus === "Subscribed" && x.quantity !== null && x.allowedCustomerOperations.includes("Update"))!;
    const c = connector({ target: bare });
    expect((await c.saas.pendingOperations(call(), s.id)).value).toEqual([]);
    expect(bare.calls.last("list-operations")!.outcome).toBe(200);
    const op = bare.newCustomerChange(s.id, { quantity: (s.quantity ?? 0) + 1 });
    const { value } = await c.saas.pendingOperations(call(), s.id);
    expect(value).toHaveLength(1);
    expect(value[0]).toMatchObject({ key: op.id, action: "ChangeQuantity", status: "IN_PROGRESS" });
  });

  it("reads {operations: [...]}, {} and an empty body as Microsoft sends them", async () => {
    const c = connector();
    const s = sub();
    const op = sim.newCustomerChange(s.id, { quantity: (s.quantity ?? 0) + 1 });
    expect((await c.saas.pendingOperations(call(), s.id)).value.map((o) => o.key)).toContain(op.id);
    sim.faults.next("list-operations", { body: "{}" });
    expect((await c.saas.pendingOperations(call(), s.id)).value).toEqual([]);
    sim.faults.next("list-operations", { body: "" });
    expect((await c.saas.pendingOperations(call(), s.id)).value).toEqual([]);
  });

  it.each([
    ["an array under another key", '{"value":[{"id":"x","subscriptionId":"y"}]}'],
    ["an object without the list", '{"nextLink":null}'],
    ["a string", '"operations"'],
    ["null", "null"],
    ["a list that is not one", '{"operations":"none"}'],
    ["items that are not objects", '{"operations":[1,2]}'],
  ])("answers VENDOR_BAD_RESPONSE for an operations list that is %s, never an empty list", async (_name, text) => {
    sim.faults.next("list-operations", { body: text });
    await expect(connector().saas.pendingOperations(call(), sub().id)).rejects.toMatchObject({ code: "VENDOR_BAD_RESPONSE" });
  });

  it("answers VENDOR_BAD_RESPONSE for a subscription list, plan list or allowedCustomerOperations of another shape", async () => {
    sim.faults.next("list-subscriptions", { body: '{"value":[]}' });
    await expect(connector().saas.list(call())).rejects.toMatchObject({ code: "VENDOR_BAD_RESPONSE", message: expect.stringContaining('"subscriptions" is missing') });
    sim.faults.next("list-plans", { body: '{"plan":[]}' });
    await expect(connector().saas.plans(call(), sub().id)).rejects.toMatchObject({ code: "VENDOR_BAD_RESPONSE" });
    sim.faults.next("get-subscription", { body: JSON.stringify({ ...sub(), allowedCustomerOperations: "Read" }) });
    await expect(connector().saas.get(call(), sub().id)).rejects.toMatchObject({ code: "VENDOR_BAD_RESPONSE" });
    // The documented empty answers stay "none": an unknown id's plans as an empty body, or the emulator's [].
    sim.faults.next("list-plans", { body: "[]" });
    expect((await connector().saas.plans(call(), sub().id)).value).toEqual([]);
  });

  it("reports a batch answer without its result list as UNCONFIRMED per event (VENDOR_BAD_RESPONSE)", async () => {
    const s = sub();
    const start = new Date(Math.floor(clock / 3_600_000) * 3_600_000 - 3_600_000);
    const events = [0, 1].map((i) => ({ subscriptionKey: s.id, planId: s.planId, dimension: `dim-${i}`, quantity: new Dec(1), effectiveStartTime: start }));
    sim.faults.next("batch-usage-event", { body: '{"count":2}' });
    const results = await connector().saas.reportUsageBatch(call(), events);
    expect(results.map((r) => `${r.status}:${r.errorCode}`)).toEqual(["UNCONFIRMED:VENDOR_BAD_RESPONSE", "UNCONFIRMED:VENDOR_BAD_RESPONSE"]);
  });
});

describe("webhook policy", () => {
  it("rejects a customer's change when the policy says so, and records it", async () => {
    const deps = connectorDeps(stack, now);
    const c = createMarketplaceConnector(
      {
        id: "ms-reject",
        baseUrl: `${sim.url}/api`,
        tenantId: MARKETPLACE_SANDBOX.tenantId,
        clientId: MARKETPLACE_SANDBOX.clientId,
        clientSecret: new Secret(MARKETPLACE_SANDBOX.clientSecret),
        tokenUrl: `${sim.url}/${MARKETPLACE_SANDBOX.tenantId}/oauth2/token`,
        tokenVersion: "v1",
        resource: MARKETPLACE_RESOURCE,
        webhook: {
          jwksUrl: sim.jwksUrl,
          issuer: sim.issuer,
          audience: MARKETPLACE_SANDBOX.publisherAppId,
          tenantId: MARKETPLACE_SANDBOX.tenantId,
          allowedAppIds: [MARKETPLACE_RESOURCE],
          policy: { changePlan: "reject", changeQuantity: "accept" },
        },
      },
      deps,
    );
    const sub = byStatus("Subscribed");
    const before = sub.planId;
    // This simulator has no webhook URL: the customer's operation is created, then handed to the handler directly.
    const op = await sim.customerChange(sub.id, { planId: sub.planId === "basic" ? "pro" : "basic" });
    const token = await sim.signToken({ appid: MARKETPLACE_RESOURCE }, { audience: MARKETPLACE_SANDBOX.publisherAppId });
    const body = JSON.stringify({ id: op.id, subscriptionId: sub.id, action: "ChangePlan", status: "InProgress" });
    const webhooks = new MarketplaceWebhooks({ store: deps.cache, logger: deps.logger, now });
    const result = await webhooks.handle(c, `Bearer ${token}`, body);
    expect(result).toEqual({ status: 200, body: { outcome: "RECEIVED" } });
    expect(await webhooks.drain()).toBe(true);
    expect(sim.calls.count("update-operation")).toBe(1);
    expect(JSON.parse(sim.calls.last("update-operation")!.body)).toEqual({ status: "Failure" });
    expect(op.status).toBe("Failed");
    expect(sub.planId).toBe(before);
    expect((await listEvents(deps.cache, "ms-reject"))[0]).toMatchObject({ operationId: op.id, outcome: "REJECTED" });
  });
});

describe("simulator webhook sender", () => {
  it("auto-accepts a change nobody answered within the window", async () => {
    const quick = stack.use(await createMarketplaceSimulator({ now: () => new Date(clock), autoAcceptMs: 30 }));
    const sub = quick.subscriptions.find((s) => s.saasSubscriptionStatus === "Subscribed" && s.quantity !== null && s.allowedCustomerOperations.includes("Update"))!;
    const op = await quick.customerChange(sub.id, { quantity: (sub.quantity ?? 0) + 2 });
    expect(op.status).toBe("InProgress");
    await new Promise((r) => setTimeout(r, 80));
    expect(op.status).toBe("Succeeded");
    expect(sub.quantity).toBe(Number(op.quantity));
  });
});

describe("quirks", () => {
  const info: ConnectionInfo = { id: "ms", vendor: "MICROSOFT", api: "microsoft-marketplace", name: null };
  it("reads quantity as number, string, empty or null; trims statuses; drops 0001 dates", () => {
    expect(quantityOf(10)?.toFixed()).toBe("10");
    expect(quantityOf("20")?.toFixed()).toBe("20");
    expect(quantityOf("")).toBeNull();
    expect(quantityOf(null)).toBeNull();
    expect(dateOf("0001-01-01T00:00:00")).toBeNull();
    expect(dateOf("2025-04-03")).toBe("2025-04-03");
    const s = mapSubscription(info, { id: "x", saasSubscriptionStatus: " Subscribed ", quantity: "", term: { startDate: "2025-03-04T00:00:00Z", endDate: "2025-04-03", termUnit: "P1M" } });
    expect(s).toMatchObject({ status: "SUBSCRIBED", rawStatus: "Subscribed", quantity: null, term: { start: "2025-03-04T00:00:00Z", end: "2025-04-03", unit: "P1M" } });
    expect(mapSubscription(info, { id: "y", saasSubscriptionStatus: "Frozen" }).status).toBe("UNKNOWN");
    const op = mapOperation(info, { "id  ": "op-1", subscriptionId: "x", status: " InProgress ", quantity: "20", action: "ChangeQuantity" } as never, "x");
    expect(op).toMatchObject({ key: "op-1", status: "IN_PROGRESS" });
    expect(op.quantity?.toFixed()).toBe("20");
  });
});
