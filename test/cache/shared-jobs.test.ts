/**
 * Two gateway instances sharing a Redis store join the same vendor job instead of starting another:
 * a Webex report and a Partner Center export (REDIS_URL; .ci/run fails when Redis is unreachable).
 */
import KeyvRedis from "@keyv/redis";
import { randomUUID } from "node:crypto";
import { ResponseCache } from "../../src/cache/store";
import { Secret } from "../../src/domain/secret";
import { createPartnerBillingConnector, PARTNER_SELF } from "../../src/vendors/microsoft-partner-billing";
import { createPartnerBillingSimulator, PARTNER_BILLING_SANDBOX } from "../../src/vendors/microsoft-partner-billing/simulator/server";
import { createWebexConnector, WEBEX_PARTNER_SELF } from "../../src/vendors/webex-wholesale";
import { createWebexSimulator, WEBEX_SANDBOX_TOKEN } from "../../src/vendors/webex-wholesale/simulator/server";
import { callContext, connectorDeps } from "../helpers/connector";
import { DisposableStack } from "../helpers/stack";

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const stack = new DisposableStack();
afterAll(() => stack.dispose());

/** A store as a separate gateway instance would have it: its own client, the same Redis namespace. */
function instanceStore(namespace: string): ResponseCache {
  const cache = new ResponseCache({ store: new KeyvRedis(url), namespace });
  stack.defer(async () => {
    await cache.clear();
    await cache.disconnect();
  });
  return cache;
}

describe("jobs shared through Redis", () => {
  it("a second instance joins the first instance's Webex report", async () => {
    const sim = stack.use(await createWebexSimulator({ pollsToComplete: 1 }));
    const namespace = `jobs-${randomUUID()}`;
    const make = () =>
      createWebexConnector(
        { id: "webex", baseUrl: sim.url, accessToken: new Secret(WEBEX_SANDBOX_TOKEN), subPartners: [], reportWait: { maxWaitMs: 2000, pollBaseMs: 5, pollMaxMs: 20 } },
        { ...connectorDeps(stack), cache: instanceStore(namespace) },
      );
    const period = { year: 2026, month: 8 };
    const a = make();
    const b = make();
    await a.reports.request(callContext(stack, "a"), WEBEX_PARTNER_SELF, period, "CUSTOMER");
    const joined = await b.reports.request(callContext(stack, "b"), WEBEX_PARTNER_SELF, period, "CUSTOMER");
    expect(sim.calls.count("create-report")).toBe(1);
    expect(sim.calls.count("list-reports")).toBe(1); // b found the job in Redis; only a listed
    expect(joined.key).toBe(sim.reports[0].id);
    // Two more instances missing the same new month at the same moment: one create between them.
    const [c, d] = await Promise.all([make(), make()].map((x, i) => x.reports.request(callContext(stack, `c${i}`), WEBEX_PARTNER_SELF, { year: 2026, month: 7 }, "USER")));
    expect(c.key).toBe(d.key);
    expect(sim.calls.count("create-report")).toBe(2);
  });

  it("a second instance joins the first instance's Partner Center export", async () => {
    const sim = stack.use(await createPartnerBillingSimulator({ invoices: [{ invoiceId: "G0SHARED", periodStart: "2026-10-01", lines: 50 }], pollsToComplete: 1, retryAfterSeconds: 1 }));
    const namespace = `jobs-${randomUUID()}`;
    const make = () =>
      createPartnerBillingConnector(
        {
          id: "pcb",
          baseUrl: `${sim.url}/v1.0`,
          tenantId: PARTNER_BILLING_SANDBOX.tenantId,
          clientId: PARTNER_BILLING_SANDBOX.clientId,
          clientSecret: new Secret(PARTNER_BILLING_SANDBOX.clientSecret),
          tokenUrl: `${sim.url}/${PARTNER_BILLING_SANDBOX.tenantId}/oauth2/v2.0/token`,
          invoices: { "2026-10": "G0SHARED" },
          attributeSet: "full",
          maxWaitMs: 5000,
          blobConcurrency: 2,
          memoryLineLimit: 10_000,
        },
        { ...connectorDeps(stack), cache: instanceStore(namespace) },
      );
    const period = { year: 2026, month: 10 };
    const [x, y] = await Promise.all([make().getStatement(callContext(stack, "x"), PARTNER_SELF, period), make().getStatement(callContext(stack, "y"), PARTNER_SELF, period)]);
    expect(x.value!.lines).toHaveLength(50);
    expect(y.value!.lines).toHaveLength(50);
    // Both instances missed at the same time: the store's atomic claim let exactly one start the export.
    expect(sim.calls.count("billed-export")).toBe(1);
    const third = await make().getStatement(callContext(stack, "z"), PARTNER_SELF, period);
    expect(third.value!.lines).toHaveLength(50);
    expect(sim.calls.count("billed-export")).toBe(1);
  });
});
