/** The marketplace through the gateway: subscriptions beside Keeper's, lifecycle mutations, the webhook. */
import { generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { request } from "undici";
import { MARKETPLACE_SANDBOX } from "../../src/vendors/microsoft-marketplace/simulator/server";
import { startTestGateway, type TestGateway } from "../helpers/gateway";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());
beforeEach(() => t.resetCalls());

const sim = () => t.sandbox.marketplace;
const gid = (id: string) => `subscription:microsoft-marketplace:${id}`;

async function follow(operationId: string): Promise<any> {
  for (let i = 0; i < 10; i++) {
    const res = await t.gql(`query($id: ID!) { marketplaceOperation(id: $id) { status done action subscription { quantity plan status } } }`, { id: operationId });
    if (res.body.data!.marketplaceOperation.done) return res.body.data!.marketplaceOperation;
  }
  throw new Error("operation never ended");
}

describe("marketplace subscriptions", () => {
  it("lists marketplace subscriptions with their plans beside the Keeper accounts", async () => {
    const res = await t.gql(`{ subscriptions(first: 100) { nodes { vendor connectionId status offer plan quantity plans { externalId unit } purchaser { tenantId } company { id } } } }`);
    expect(res.body.errors).toBeUndefined();
    const nodes = res.body.data!.subscriptions.nodes;
    expect(new Set(nodes.map((n: any) => n.vendor))).toEqual(new Set(["KEEPER", "MICROSOFT"]));
    const ms = nodes.filter((n: any) => n.vendor === "MICROSOFT");
    expect(ms).toHaveLength(sim().subscriptions.length);
    expect(ms[0].plans.length).toBeGreaterThan(1);
    expect(ms.some((n: any) => n.purchaser !== null)).toBe(true); // CSP purchases keep their purchaser
    const filtered = await t.gql(`{ subscriptions(filter: { offer: "contoso-mail-archive", status: [SUBSCRIBED] }) { nodes { offer status quantity } } }`);
    expect(filtered.body.data!.subscriptions.nodes.every((n: any) => n.offer === "contoso-mail-archive" && n.status === "SUBSCRIBED" && n.quantity === null)).toBe(true);
  });

  it("runs the whole lifecycle through mutations: resolve, activate, change plan and seats, cancel", async () => {
    const pending = sim().subscriptions.find((s) => s.saasSubscriptionStatus === "PendingFulfillmentStart" && s.quantity !== null)!;
    const token = encodeURIComponent(sim().purchaseToken(pending.id));
    const resolved = await t.gql(`mutation($tok: String!) { resolvePurchaseToken(input: { connectionId: "microsoft-marketplace", marketplaceToken: $tok }) { planId quantity subscription { id status } } }`, { tok: token });
    expect(resolved.body.data!.resolvePurchaseToken.subscription).toEqual({ id: gid(pending.id), status: "PENDING_FULFILLMENT_START" });
    const activated = await t.gql(`mutation($id: ID!, $plan: String!, $q: Int) { activateSubscription(input: { subscriptionId: $id, planId: $plan, quantity: $q }) { status } }`, {
      id: gid(pending.id),
      plan: pending.planId,
      q: pending.quantity,
    });
    expect(activated.body.data!.activateSubscription.status).toBe("SUBSCRIBED");

    const seats = await t.gql(`mutation($id: ID!) { changeQuantity(input: { subscriptionId: $id, quantity: 77 }) { id status done } }`, { id: gid(pending.id) });
    expect(seats.body.data!.changeQuantity).toMatchObject({ status: "IN_PROGRESS", done: false });
    expect(await follow(seats.body.data!.changeQuantity.id)).toMatchObject({ status: "SUCCEEDED", subscription: { quantity: "77" } });
    // The cached subscription was invalidated: a plain read shows the new quantity too.
    const read = await t.gql(`query($id: ID!) { subscription(id: $id) { quantity } }`, { id: gid(pending.id) });
    expect(read.body.data!.subscription.quantity).toBe("77");

    const otherPlan = pending.planId === "pro" ? "basic" : "pro";
    const plan = await t.gql(`mutation($id: ID!, $p: String!) { changePlan(input: { subscriptionId: $id, planId: $p }) { id } }`, { id: gid(pending.id), p: otherPlan });
    expect(await follow(plan.body.data!.changePlan.id)).toMatchObject({ status: "SUCCEEDED", subscription: { plan: otherPlan } });

    const cancel = await t.gql(`mutation($id: ID!) { cancelSubscription(input: { subscriptionId: $id }) { id action } }`, { id: gid(pending.id) });
    expect(await follow(cancel.body.data!.cancelSubscription.id)).toMatchObject({ action: "Unsubscribe", subscription: { status: "UNSUBSCRIBED" } });
  });
});

describe("marketplace webhook", () => {
  const url = () => `${t.gateway.url}/webhooks/microsoft-marketplace/microsoft-marketplace`;
  const events = async () => (await t.gql(`{ marketplaceEvents(first: 100) { nodes { operationId action outcome deliveries detail } } }`)).body.data!.marketplaceEvents.nodes;
  const subscribed = () => sim().subscriptions.find((s) => s.saasSubscriptionStatus === "Subscribed" && s.quantity !== null && s.allowedCustomerOperations.includes("Update"))!;
  /** The event once its background work has ended (answered first, acted on after), polled through the API. */
  async function settled(operationId: string): Promise<any> {
    for (let i = 0; i < 200; i++) {
      const event = (await events()).find((e: any) => e.operationId === operationId);
      if (event && event.outcome !== "RECEIVED") return event;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error("the event was never handled");
  }

  it("accepts a customer's change once, however often it is delivered", async () => {
    const sub = subscribed();
    const op = await sim().customerChange(sub.id, { quantity: (sub.quantity ?? 0) + 5 });
    expect(await settled(op.id)).toMatchObject({ outcome: "ACCEPTED" });
    expect(op.status).toBe("Succeeded"); // accepted by the gateway through the API
    expect(sub.quantity).toBe(Number(op.quantity));
    expect(sim().calls.count("get-operation")).toBeGreaterThanOrEqual(1); // confirmed before acting
    expect(sim().calls.count("update-operation")).toBe(1);
    expect((await sim().deliver(op))[0]).toBe(200);
    expect((await sim().deliver(op, { minimal: true }))[0]).toBe(200);
    expect(sim().calls.count("update-operation")).toBe(1);
    const event = (await events()).find((e: any) => e.operationId === op.id);
    expect(event).toMatchObject({ action: "ChangeQuantity", outcome: "ACCEPTED", deliveries: 3 });
  });

  it("records an event whose operation the API does not confirm, and does nothing", async () => {
    const sub = subscribed();
    const fake = { ...sim().operations[0], id: "11111111-2222-3333-4444-555555555555", subscriptionId: sub.id, action: "ChangePlan" };
    expect((await sim().deliver(fake as never))[0]).toBe(200);
    expect(await settled(fake.id)).toMatchObject({ outcome: "IGNORED_UNCONFIRMED" });
    expect(sim().calls.count("get-operation")).toBe(1);
    expect(sim().calls.count("update-operation")).toBe(0);
  });

  it.each([
    ["a wrong audience", () => sim().signToken({}, { audience: "someone-else" })],
    ["a wrong issuer", () => sim().signToken({}, { audience: MARKETPLACE_SANDBOX.publisherAppId, issuer: "https://sts.windows.net/evil/" })],
    ["an expired token", () => sim().signToken({}, { audience: MARKETPLACE_SANDBOX.publisherAppId, expiresInSeconds: -600 })],
    ["an unsigned token (alg none)", async () => new UnsecuredJWT({ tid: MARKETPLACE_SANDBOX.tenantId }).setIssuer(sim().issuer).setAudience(MARKETPLACE_SANDBOX.publisherAppId).setExpirationTime("5m").encode()],
    [
      "a token signed by an unknown key",
      async () => {
        const { privateKey } = await generateKeyPair("RS256");
        return new SignJWT({ tid: MARKETPLACE_SANDBOX.tenantId }).setProtectedHeader({ alg: "RS256", kid: "sim-key-1" }).setIssuer(sim().issuer).setAudience(MARKETPLACE_SANDBOX.publisherAppId).setExpirationTime("5m").sign(privateKey);
      },
    ],
    ["another tenant", () => sim().signToken({ tid: "00000000-0000-0000-0000-000000000000" }, { audience: MARKETPLACE_SANDBOX.publisherAppId })],
  ])("rejects %s with 401 and no side effect", async (_name, makeToken) => {
    const before = (await events()).length;
    const op = sim().operations[sim().operations.length - 1];
    const res = await request(url(), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${await makeToken()}` },
      body: JSON.stringify({ id: "99999999-0000-0000-0000-000000000001", subscriptionId: op.subscriptionId, action: "ChangePlan" }),
    });
    await res.body.dump();
    expect(res.statusCode).toBe(401);
    expect(sim().calls.count("get-operation")).toBe(0);
    expect((await events()).length).toBe(before);
  });
});
