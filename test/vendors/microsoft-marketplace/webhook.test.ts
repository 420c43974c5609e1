/**
 * The marketplace webhook as Microsoft (and its emulator) call it, over real HTTP: the simulator signs
 * and posts to a gateway. Only Microsoft's marketplace app may call; the webhook is answered before
 * its operation is PATCHed (the simulator flags a PATCH that comes first); an event is acted on once,
 * however often and however concurrently it is delivered; and stop() waits for the work in flight.
 */
import { randomBytes } from "node:crypto";
import { request } from "undici";
import { parseConfig } from "../../../src/config";
import { createGateway, type Gateway } from "../../../src/gateway";
import { listEvents } from "../../../src/vendors/microsoft-marketplace/events";
import { createMarketplaceSimulator, MARKETPLACE_SANDBOX, type MarketplaceSimulator, type SimMsOperation } from "../../../src/vendors/microsoft-marketplace/simulator/server";
import { MARKETPLACE_RESOURCE } from "../../../src/vendors/microsoft-marketplace/wire";
import { FAST_UPSTREAM } from "../../helpers/gateway";
import { capturingLogger } from "../../helpers/logs";
import { DisposableStack } from "../../helpers/stack";

const CONNECTION = "mkt";
const OTHER_APP = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const stack = new DisposableStack();
afterAll(() => stack.dispose());

interface Setup {
  sim: MarketplaceSimulator;
  gateway: Gateway;
  logs: string[];
}

async function setup(webhook: Record<string, unknown> = {}, simOptions: Parameters<typeof createMarketplaceSimulator>[0] = {}, stopsItself = false): Promise<Setup> {
  const sim = stack.use(await createMarketplaceSimulator(simOptions));
  const config = parseConfig({
    auth: { issuer: "test", audience: "test", hs256Secret: randomBytes(32).toString("base64url") },
    upstream: FAST_UPSTREAM,
    connections: [
      {
        id: CONNECTION,
        vendor: "microsoft-marketplace",
        baseUrl: `${sim.url}/api`,
        tenantId: MARKETPLACE_SANDBOX.tenantId,
        clientId: MARKETPLACE_SANDBOX.clientId,
        clientSecret: MARKETPLACE_SANDBOX.clientSecret,
        tokenUrl: `${sim.url}/${MARKETPLACE_SANDBOX.tenantId}/oauth2/token`,
        webhook: { jwksUrl: sim.jwksUrl, issuer: sim.issuer, audience: MARKETPLACE_SANDBOX.publisherAppId, tenantId: MARKETPLACE_SANDBOX.tenantId, ...webhook },
      },
    ],
  });
  const { logger, lines } = capturingLogger();
  const gateway = await createGateway({ config, logger });
  if (!stopsItself) stack.defer(() => gateway.stop());
  sim.setWebhookUrl(`${gateway.url}/webhooks/microsoft-marketplace/${CONNECTION}`);
  return { sim, gateway, logs: lines };
}

const changeable = (sim: MarketplaceSimulator) =>
  sim.subscriptions.filter((s) => s.saasSubscriptionStatus === "Subscribed" && s.quantity !== null && s.allowedCustomerOperations.includes("Update"));

/** Polls what the simulator saw (no fixed sleep): resolves once `check` holds, fails after ~5 s. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** PATCHes of the operation the simulator has answered (a call is logged on arrival, its outcome once handled). */
const patchesOf = (sim: MarketplaceSimulator, op: SimMsOperation) =>
  sim.calls.list("update-operation").filter((c) => c.path.endsWith(`/operations/${op.id}`) && c.outcome !== undefined).length;
const eventOf = async (g: Gateway, op: SimMsOperation) => (await listEvents(g.cache, CONNECTION)).find((e) => e.operationId === op.id);

describe("calling app (appid / azp)", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup();
  });
  beforeEach(() => s.sim.calls.reset());

  it.each([
    ["a v1 token whose appid is another app", { appId: OTHER_APP, tokenVersion: "v1" as const }],
    ["a v2 token whose azp is another app", { appId: OTHER_APP, tokenVersion: "v2" as const }],
  ])("refuses %s with 401: no Get Operation, no PATCH, nothing recorded", async (_name, caller) => {
    const op = s.sim.newCustomerChange(changeable(s.sim)[0].id, { quantity: (changeable(s.sim)[0].quantity ?? 0) + 1 });
    expect(await s.sim.deliver(op, caller)).toEqual([401]);
    expect(s.sim.calls.count("get-operation")).toBe(0);
    expect(s.sim.calls.count("update-operation")).toBe(0);
    expect(await eventOf(s.gateway, op)).toBeUndefined();
    expect(op.status).not.toBe("Succeeded");
  });

  it("refuses a token that names no calling app at all", async () => {
    const op = s.sim.newCustomerChange(changeable(s.sim)[1].id, { quantity: (changeable(s.sim)[1].quantity ?? 0) + 1 });
    const token = await s.sim.signToken({}, { audience: MARKETPLACE_SANDBOX.publisherAppId });
    expect(await s.sim.deliver(op, { token })).toEqual([401]);
    expect(s.sim.calls.count("get-operation")).toBe(0);
    expect(await eventOf(s.gateway, op)).toBeUndefined();
  });

  it("takes Microsoft's marketplace app in a v2 token (azp) and acts on the event", async () => {
    const sub = changeable(s.sim)[2];
    const op = s.sim.newCustomerChange(sub.id, { quantity: (sub.quantity ?? 0) + 1 });
    expect(await s.sim.deliver(op, { tokenVersion: "v2" })).toEqual([200]);
    await until(() => patchesOf(s.sim, op) === 1, "the PATCH");
    expect(op.status).toBe("Succeeded");
  });

  it("takes the app ids the configuration allows instead", async () => {
    const custom = await setup({ allowedAppIds: [OTHER_APP] }, { webhookAppId: OTHER_APP });
    const sub = changeable(custom.sim)[0];
    const op = await custom.sim.customerChange(sub.id, { quantity: (sub.quantity ?? 0) + 2 });
    await until(() => patchesOf(custom.sim, op) === 1, "the PATCH");
    // ...and then Microsoft's own app is not allowed on that connection.
    const other = custom.sim.newCustomerChange(changeable(custom.sim)[1].id, { quantity: (changeable(custom.sim)[1].quantity ?? 0) + 1 });
    expect(await custom.sim.deliver(other, { appId: MARKETPLACE_RESOURCE })).toEqual([401]);
  });
});

describe("answer first, then confirm and PATCH", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup();
  });
  beforeEach(() => s.sim.calls.reset());

  it("answers the webhook before it PATCHes the operation, and still PATCHes it", async () => {
    const sub = changeable(s.sim)[0];
    const op = await s.sim.customerChange(sub.id, { quantity: (sub.quantity ?? 0) + 3 });
    await until(() => patchesOf(s.sim, op) === 1, "the PATCH");
    expect(s.sim.earlyPatches).not.toContain(op.id);
    expect(s.sim.earlyPatches).toHaveLength(0);
    expect(op.status).toBe("Succeeded");
    expect(sub.quantity).toBe(Number(op.quantity));
    // Confirmed with Get Operation before the PATCH.
    const routes = s.sim.calls.list().map((c) => c.route).filter((r) => r === "get-operation" || r === "update-operation");
    expect(routes.indexOf("get-operation")).toBeLessThan(routes.indexOf("update-operation"));
    await until(async () => (await eventOf(s.gateway, op))?.outcome === "ACCEPTED", "the outcome");
  });

  it("PATCHes once however often, and however concurrently, the event is delivered", async () => {
    // A fresh gateway: both first deliveries wait on its first JWKS fetch and go on together.
    const s = await setup();
    const sub = changeable(s.sim)[1];
    const op = s.sim.newCustomerChange(sub.id, { quantity: (sub.quantity ?? 0) + 4 });
    // Two deliveries at once, then one more while or after the first is worked on, then a minimal one.
    expect(await Promise.all([s.sim.deliver(op), s.sim.deliver(op)])).toEqual([[200], [200]]);
    expect(await s.sim.deliver(op)).toEqual([200]);
    await until(() => patchesOf(s.sim, op) === 1, "the PATCH");
    await until(async () => (await eventOf(s.gateway, op))?.outcome === "ACCEPTED", "the outcome");
    expect(await s.sim.deliver(op, { minimal: true })).toEqual([200]);
    expect(patchesOf(s.sim, op)).toBe(1);
    expect(s.sim.calls.list("get-operation").filter((c) => c.path.endsWith(op.id)).length).toBeGreaterThanOrEqual(1);
    expect(await eventOf(s.gateway, op)).toMatchObject({ outcome: "ACCEPTED", deliveries: 4 });
  });

  it("retries a PATCH that failed on a 5xx, once confirmed, and records the outcome", async () => {
    const sub = changeable(s.sim)[2];
    const op = s.sim.newCustomerChange(sub.id, { quantity: (sub.quantity ?? 0) + 1 });
    s.sim.faults.next("update-operation", { status: 503 });
    expect(await s.sim.deliver(op)).toEqual([200]);
    await until(async () => (await eventOf(s.gateway, op))?.outcome === "ACCEPTED", "the outcome");
    expect(patchesOf(s.sim, op)).toBe(2);
    expect(op.status).toBe("Succeeded");
  });

  it("records FAILED, and logs it without secrets, when the operation cannot be confirmed", async () => {
    const sub = changeable(s.sim)[3];
    const op = s.sim.newCustomerChange(sub.id, { quantity: (sub.quantity ?? 0) + 1 });
    s.sim.faults.next("get-operation", { status: 503 }).times(FAST_UPSTREAM.maxAttempts);
    expect(await s.sim.deliver(op)).toEqual([200]);
    await until(async () => (await eventOf(s.gateway, op))?.outcome === "FAILED", "the outcome");
    expect((await eventOf(s.gateway, op))!.detail).toContain("VENDOR_UNAVAILABLE");
    expect(patchesOf(s.sim, op)).toBe(0);
    const logged = s.logs.join("");
    expect(logged).toContain("marketplace webhook handled");
    expect(logged).not.toContain(MARKETPLACE_SANDBOX.clientSecret);
  });

  it("answers a body it cannot read with 400 and an unverified caller with 401, doing nothing", async () => {
    const url = `${s.gateway.url}/webhooks/microsoft-marketplace/${CONNECTION}`;
    const token = await s.sim.signToken({ ver: "1.0", appid: MARKETPLACE_RESOURCE }, { audience: MARKETPLACE_SANDBOX.publisherAppId });
    const unreadable = await request(url, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{not json" });
    await unreadable.body.dump();
    expect(unreadable.statusCode).toBe(400);
    const unsigned = await request(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    await unsigned.body.dump();
    expect(unsigned.statusCode).toBe(401);
    expect(s.sim.calls.count("get-operation")).toBe(0);
  });
});

describe("stop()", () => {
  it("waits for the events it answered to be confirmed and PATCHed", async () => {
    const s = await setup({}, {}, true);
    const sub = changeable(s.sim)[0];
    const op = s.sim.newCustomerChange(sub.id, { quantity: (sub.quantity ?? 0) + 1 });
    // The confirmation is slow: the webhook is answered long before the PATCH can go.
    s.sim.faults.next("get-operation", { delayMs: 300 });
    expect(await s.sim.deliver(op)).toEqual([200]);
    expect(patchesOf(s.sim, op)).toBe(0);
    await s.gateway.stop();
    expect(patchesOf(s.sim, op)).toBe(1);
    expect(op.status).toBe("Succeeded");
  });
});
