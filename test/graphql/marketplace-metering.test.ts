/**
 * Marketplace metering through the gateway, over real HTTP against the simulator: one event
 * (usageEvent) and batches (batchUsageEvent, 25 at a time), with the service's per-hour dedupe, its
 * 24-hour window, its per-event statuses, bad input refused before any call, and failed calls
 * reported per event instead of lost.
 */
import { MS_METERED_DIMENSIONS } from "../../src/vendors/microsoft-marketplace/simulator/server";
import { startTestGateway, type TestGateway } from "../helpers/gateway";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());
beforeEach(() => t.resetCalls());

const sim = () => t.sandbox.marketplace;
const gid = (id: string) => `subscription:microsoft-marketplace:${id}`;
const HOUR = 3_600_000;
/** The start of the hour `hoursAgo` hours before this one. */
const hour = (hoursAgo: number) => new Date((Math.floor(Date.now() / HOUR) - hoursAgo) * HOUR).toISOString();

/** Subscribed subscriptions, each with its offer's dimensions. */
function subscribed() {
  return sim()
    .subscriptions.filter((s) => s.saasSubscriptionStatus === "Subscribed")
    .map((s) => ({ sub: s, dimensions: MS_METERED_DIMENSIONS[s.offerId] }));
}

const RESULT = "index status rawStatus usageEventId message errorCode subscriptionId planId dimension quantity effectiveStartTime";
const single = (input: Record<string, unknown>) => t.gql(`mutation($input: MarketplaceUsageInput!) { reportMarketplaceUsage(input: $input) { ${RESULT} } }`, { input });
const batch = (events: Array<Record<string, unknown>>) => t.gql(`mutation($events: [MarketplaceUsageInput!]!) { reportMarketplaceUsageBatch(events: $events) { ${RESULT} } }`, { events });

describe("marketplace metering", () => {
  it("reports an event exactly, and answers a repeat in the same hour as DUPLICATE of the first", async () => {
    const { sub, dimensions } = subscribed()[0];
    const event = { subscriptionId: gid(sub.id), planId: sub.planId, dimension: dimensions[0], quantity: "12.125", effectiveStartTime: hour(2) };
    const first = await single(event);
    expect(first.body.errors).toBeUndefined();
    const accepted = first.body.data!.reportMarketplaceUsage;
    expect(accepted).toMatchObject({ index: 0, status: "ACCEPTED", rawStatus: "Accepted", subscriptionId: gid(sub.id), quantity: "12.125", message: null });
    const stored = sim().usageEvents.find((u) => u.usageEventId === accepted.usageEventId)!;
    expect(stored).toMatchObject({ resourceId: sub.id, dimension: dimensions[0], planId: sub.planId, quantity: 12.125 });
    // On the wire the quantity is a JSON number written from its decimal text.
    expect(sim().calls.last("usage-event")!.body).toContain('"quantity":12.125');

    const again = await single({ ...event, quantity: "3" });
    expect(again.body.data!.reportMarketplaceUsage).toMatchObject({ status: "DUPLICATE", usageEventId: accepted.usageEventId, quantity: "3" });
    expect(sim().usageEvents.filter((u) => u.resourceId === sub.id && u.dimension === dimensions[0])).toHaveLength(1);
    expect(sim().calls.count("usage-event")).toBe(2);
  });

  it("answers the marketplace's refusals as statuses with its message", async () => {
    const { sub } = subscribed()[1];
    const unknownDimension = await single({ subscriptionId: gid(sub.id), planId: sub.planId, dimension: "no-such-dimension", quantity: "1", effectiveStartTime: hour(1) });
    expect(unknownDimension.body.data!.reportMarketplaceUsage).toMatchObject({ status: "INVALID_DIMENSION", usageEventId: null, message: expect.stringContaining("no-such-dimension") });
    const suspended = sim().subscriptions.find((s) => s.saasSubscriptionStatus === "Suspended")!;
    const inactive = await single({ subscriptionId: gid(suspended.id), planId: suspended.planId, dimension: MS_METERED_DIMENSIONS[suspended.offerId][0], quantity: "1", effectiveStartTime: hour(1) });
    expect(inactive.body.data!.reportMarketplaceUsage).toMatchObject({ status: "RESOURCE_NOT_ACTIVE", rawStatus: "ResourceNotActive" });
  });

  it("refuses bad input with BAD_USER_INPUT before any call", async () => {
    const { sub, dimensions } = subscribed()[0];
    const ok = { subscriptionId: gid(sub.id), planId: sub.planId, dimension: dimensions[0], quantity: "1", effectiveStartTime: hour(1) };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...ok, quantity: "0" }, /quantity must be above 0/],
      [{ ...ok, quantity: "-2" }, /quantity must be above 0/],
      [{ ...ok, quantity: 2 }, /Decimal values are strings/],
      [{ ...ok, effectiveStartTime: hour(25) }, /more than 24 hours ago/],
      [{ ...ok, effectiveStartTime: new Date(Date.now() + HOUR).toISOString() }, /in the future/],
      [{ ...ok, dimension: "  " }, /dimension must be 1 to 200 characters/],
      [{ ...ok, subscriptionId: "partner:keeper-msp:1" }, /expected a subscription id/],
    ];
    for (const [input, message] of cases) {
      const res = await single(input);
      expect([res.body.errors?.[0]?.extensions?.code, res.body.errors?.[0]?.message]).toEqual(["BAD_USER_INPUT", expect.stringMatching(message)]);
    }
    const tooMany = await batch(Array.from({ length: 501 }, () => ok));
    expect(tooMany.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const oneBad = await batch([ok, { ...ok, quantity: "0" }]);
    expect(oneBad.body.errors?.[0]?.message).toMatch(/events\[1\]\.quantity/);
    expect(t.upstreamCalls()).toBe(0);
  });

  it("sends a batch 25 events at a time and gives a status per event, in the order sent", async () => {
    const subs = subscribed().slice(2, 4);
    // 30 events: two subscriptions × 15 hours, one event planted with a dimension the plan lacks.
    const events = Array.from({ length: 30 }, (_, i) => {
      const { sub, dimensions } = subs[i % 2];
      return { subscriptionId: gid(sub.id), planId: sub.planId, dimension: dimensions[dimensions.length - 1], quantity: `${i + 1}.5`, effectiveStartTime: hour(3 + Math.floor(i / 2)) };
    });
    events[7] = { ...events[7], dimension: "bogus" };
    const res = await batch(events);
    expect(res.body.errors).toBeUndefined();
    const results = res.body.data!.reportMarketplaceUsageBatch;
    expect(results.map((r: any) => r.index)).toEqual(events.map((_, i) => i));
    expect(results.map((r: any) => r.quantity)).toEqual(events.map((e) => e.quantity));
    expect(results.filter((r: any) => r.status !== "ACCEPTED").map((r: any) => [r.index, r.status])).toEqual([[7, "INVALID_DIMENSION"]]);
    expect(sim().calls.list("batch-usage-event").map((c) => (JSON.parse(c.body) as { request: unknown[] }).request.length)).toEqual([25, 5]);

    // The same events again: every accepted one is now a duplicate of itself.
    const repeat = (await batch(events)).body.data!.reportMarketplaceUsageBatch;
    results.forEach((r: any, i: number) => {
      if (r.status === "ACCEPTED") expect(repeat[i]).toMatchObject({ status: "DUPLICATE", usageEventId: r.usageEventId });
    });
  });

  it("reports a failed batch per event (UNCONFIRMED, then NOT_SENT), and a repeat delivers them", async () => {
    const { sub, dimensions } = subscribed()[4];
    const events = Array.from({ length: 27 }, (_, i) => ({ subscriptionId: gid(sub.id), planId: sub.planId, dimension: dimensions[i % dimensions.length], quantity: "1", effectiveStartTime: hour(Math.floor(i / dimensions.length)) }));
    sim().faults.next("batch-usage-event", { status: 503 });
    const failed = await batch(events);
    expect(failed.body.errors).toBeUndefined();
    const statuses = failed.body.data!.reportMarketplaceUsageBatch.map((r: any) => `${r.status}:${r.errorCode}`);
    expect(statuses).toEqual([...Array(25).fill("UNCONFIRMED:VENDOR_UNAVAILABLE"), ...Array(2).fill("NOT_SENT:VENDOR_UNAVAILABLE")]);
    // Not retried blindly: one call, the one that failed.
    expect(sim().calls.count("batch-usage-event")).toBe(1);

    const again = await batch(events);
    expect(again.body.data!.reportMarketplaceUsageBatch.every((r: any) => r.status === "ACCEPTED")).toBe(true);
  });

  it("answers a failed single event with a typed error, not retried", async () => {
    const { sub, dimensions } = subscribed()[5];
    sim().faults.next("usage-event", { status: 503 });
    const res = await single({ subscriptionId: gid(sub.id), planId: sub.planId, dimension: dimensions[0], quantity: "1", effectiveStartTime: hour(4) });
    expect(res.body.errors?.[0]?.extensions?.code).toBe("VENDOR_UNAVAILABLE");
    expect(sim().calls.count("usage-event")).toBe(1);
  });
});
