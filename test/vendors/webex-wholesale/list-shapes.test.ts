/** Webex report lists over real HTTP: a list (or a report's errors) of another shape is VENDOR_BAD_RESPONSE, never an empty list or a crash. */
import { Secret } from "../../../src/domain/secret";
import { createWebexConnector, WEBEX_PARTNER_SELF } from "../../../src/vendors/webex-wholesale";
import { createWebexSimulator, WEBEX_SANDBOX_TOKEN, type WebexSimulator } from "../../../src/vendors/webex-wholesale/simulator/server";
import { callContext, connectorDeps } from "../../helpers/connector";
import { DisposableStack } from "../../helpers/stack";

const stack = new DisposableStack();
let sim: WebexSimulator;
const NOW = Date.UTC(2026, 10, 23, 12);
beforeAll(async () => {
  sim = stack.use(await createWebexSimulator({ now: () => new Date(NOW), pollsToComplete: 2 }));
});
afterAll(() => stack.dispose());
beforeEach(() => {
  sim.calls.reset();
  sim.faults.clear();
});

const connector = () =>
  createWebexConnector(
    { id: "webex-1", baseUrl: sim.url, accessToken: new Secret(WEBEX_SANDBOX_TOKEN), subPartners: sim.world.subPartners, reportWait: { maxWaitMs: 3_000, pollBaseMs: 5, pollMaxMs: 20 } },
    connectorDeps(stack, () => NOW),
  );

describe("webex list shapes", () => {
  it.each([
    ["items that are not objects", '{"items":[null]}'],
    ["items under another key", '{"reports":[]}'],
    ["a bare list", "[]"],
  ])("answers a report list with %s as VENDOR_BAD_RESPONSE", async (_name, body) => {
    sim.faults.next("list-reports", { body });
    await expect(connector().reports.list(callContext(stack), WEBEX_PARTNER_SELF)).rejects.toMatchObject({ code: "VENDOR_BAD_RESPONSE", message: expect.stringContaining("report list") });
  });

  it("answers a failed report whose errors are not a list as VENDOR_BAD_RESPONSE", async () => {
    sim.faults.next("get-report", { body: '{"id":"r1","billingStartDate":"2026-08-01","billingEndDate":"2026-08-31","status":"FAILED","errors":"Billing Report not found."}' });
    await expect(connector().reports.get(callContext(stack), "r1")).rejects.toMatchObject({ code: "VENDOR_BAD_RESPONSE", message: expect.stringContaining("errors") });
  });

  it("reads a report's errors list, and a list item without one", async () => {
    sim.faults.next("get-report", { body: '{"id":"r1","billingStartDate":"2026-08-01","billingEndDate":"2026-08-31","status":"FAILED","errors":[{"code":2024,"description":"Billing Report not found."}]}' });
    expect((await connector().reports.get(callContext(stack), "r1")).value.errors).toEqual([{ code: "2024", message: "Billing Report not found." }]);
    sim.faults.next("list-reports", { body: '{"items":[{"id":"r2","billingStartDate":"2026-08-01","billingEndDate":"2026-08-31","status":"IN_PROGRESS","type":"PARTNER"}]}' });
    expect((await connector().reports.list(callContext(stack), WEBEX_PARTNER_SELF)).value.map((r) => [r.key, r.errors])).toEqual([["r2", []]]);
  });
});
