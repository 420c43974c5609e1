/** Webex Wholesale billing reports over real HTTP: lifecycle, reuse, joins, expired links, CSV quirks. */
import { request } from "undici";
import { Dec, sum } from "../../../src/domain/money";
import { Secret } from "../../../src/domain/secret";
import type { VendorError } from "../../../src/domain/errors";
import { createWebexConnector, nextLink, WEBEX_PARTNER_SELF } from "../../../src/vendors/webex-wholesale";
import {
  createWebexSimulator,
  WEBEX_SANDBOX_READONLY_TOKEN,
  WEBEX_SANDBOX_TOKEN,
  type WebexSimulator,
} from "../../../src/vendors/webex-wholesale/simulator/server";
import { webexId } from "../../../src/vendors/webex-wholesale/simulator/fixtures";
import { ResponseCache } from "../../../src/cache/store";
import { callContext, connectorDeps } from "../../helpers/connector";
import { DisposableStack } from "../../helpers/stack";

const stack = new DisposableStack();
let sim: WebexSimulator;
const NOW = Date.UTC(2026, 10, 23, 12);
const now = () => NOW;
const AUG = { year: 2026, month: 8 };
let tenant = 0;
const call = () => callContext(stack, `webex-${++tenant}`);

beforeAll(async () => {
  sim = stack.use(await createWebexSimulator({ now: () => new Date(NOW), pollsToComplete: 2 }));
});
afterAll(() => stack.dispose());
beforeEach(() => {
  sim.calls.reset();
  sim.faults.clear();
  sim.reports.length = 0;
});

function connector(options: { token?: string; cache?: ResponseCache } = {}) {
  const deps = connectorDeps(stack, now);
  return createWebexConnector(
    {
      id: "webex-1",
      baseUrl: sim.url,
      accessToken: new Secret(options.token ?? WEBEX_SANDBOX_TOKEN),
      subPartners: sim.world.subPartners,
      reportWait: { maxWaitMs: 3_000, pollBaseMs: 5, pollMaxMs: 20 },
    },
    options.cache ? { ...deps, cache: options.cache } : deps,
  );
}

describe("report lifecycle", () => {
  it("creates, polls until COMPLETED, fetches a fresh link by id, streams the CSV, and deletes", async () => {
    const c = connector();
    const requested = await c.reports.request(call(), WEBEX_PARTNER_SELF, AUG, "CUSTOMER");
    expect(requested).toMatchObject({ status: "IN_PROGRESS", type: "CUSTOMER", periodStart: "2026-08-01", periodEnd: "2026-08-31" });
    expect(JSON.parse(sim.calls.last("create-report")!.body)).toEqual({ billingStartDate: "2026-08-01", billingEndDate: "2026-08-31", type: "CUSTOMER" });

    const statement = await c.getStatement(call(), WEBEX_PARTNER_SELF, AUG);
    expect(sim.calls.count("create-report")).toBe(1); // the request above is reused
    expect(statement.value!.lines.length).toBeGreaterThan(20);
    expect(statement.value!.lines.every((l) => l.amount === null && l.currency === null)).toBe(true);
    expect(sim.calls.count("download")).toBe(1);
    // The link is unauthenticated: the bearer token never goes to it.
    expect(sim.calls.last("download")!.headers.authorization).toBeUndefined();

    await c.reports.remove(call(), requested.key!);
    expect(sim.calls.last("delete-report")!.outcome).toBe(204);
    await expect(c.reports.get(call(), requested.key!)).rejects.toMatchObject({ code: "VENDOR_REJECTED", details: { upstreamStatus: 404 } });
  });

  it("reuses a COMPLETED report that already exists: zero creates", async () => {
    const c = connector();
    const first = await c.getStatement(call(), WEBEX_PARTNER_SELF, AUG);
    const other = connector(); // another gateway instance with its own store: finds it through the list
    sim.calls.reset();
    const second = await other.getStatement(call(), WEBEX_PARTNER_SELF, AUG);
    expect(sim.calls.count("create-report")).toBe(0);
    expect(sim.calls.count("list-reports")).toBe(1);
    expect(second.value!.lines.length).toBe(first.value!.lines.length);
  });

  it("makes one create for two concurrent requests of the same period, and for two instances sharing a store", async () => {
    const store = new ResponseCache({ now });
    const a = connector({ cache: store });
    const b = connector({ cache: store });
    const [x, y] = await Promise.all([a.getStatement(call(), WEBEX_PARTNER_SELF, AUG), a.getStatement(call(), WEBEX_PARTNER_SELF, AUG)]);
    expect(x.value!.documentId).toBe(y.value!.documentId);
    expect(sim.calls.count("create-report")).toBe(1);
    await b.reports.request(call(), WEBEX_PARTNER_SELF, AUG, "CUSTOMER");
    expect(sim.calls.count("create-report")).toBe(1);
    expect(sim.calls.count("list-reports")).toBe(1); // b found the job in the shared store, not by listing
  });

  it("finds or creates another report when the one it tracked was deleted at Webex", async () => {
    const c = connector();
    const first = await c.getStatement(call(), WEBEX_PARTNER_SELF, AUG);
    const reportId = first.value!.documentId.replace("webex-report:", "");
    await c.reports.remove(call(), reportId);
    const second = await c.getStatement(call(), WEBEX_PARTNER_SELF, AUG);
    expect(second.value!.documentId).not.toBe(first.value!.documentId);
    expect(second.value!.lines.length).toBe(first.value!.lines.length);
    expect(sim.calls.count("create-report")).toBe(2);
  });

  it("refetches an expired download link instead of failing", async () => {
    const c = connector();
    await c.reports.request(call(), WEBEX_PARTNER_SELF, AUG, "CUSTOMER", { wait: true });
    sim.expireLinks();
    const realGet = sim.calls.count("get-report");
    sim.faults.next("download", { status: 403, body: "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", contentType: "application/xml" });
    const statement = await c.getStatement(call(), WEBEX_PARTNER_SELF, AUG);
    expect(statement.value!.lines.length).toBeGreaterThan(0);
    expect(sim.calls.list("download").map((d) => d.outcome)).toEqual([403, 200]);
    expect(sim.calls.count("get-report")).toBeGreaterThan(realGet + 1);
  });

  it("surfaces a FAILED report with the vendor's errors, and regenerates on request", async () => {
    const c = connector();
    sim.failNextReport([{ code: 2024, description: "Billing Report generation failed." }]);
    expect.assertions(4);
    try {
      await c.getStatement(call(), WEBEX_PARTNER_SELF, AUG);
    } catch (err) {
      expect((err as VendorError).code).toBe("VENDOR_REPORT_FAILED");
      expect((err as VendorError).extensions.problems).toEqual(["2024: Billing Report generation failed."]);
    }
    const again = await c.reports.request(call(), WEBEX_PARTNER_SELF, AUG, "CUSTOMER", { regenerate: true, wait: true });
    expect(again.status).toBe("COMPLETED");
    expect(sim.calls.count("create-report")).toBe(2);
  });

  it("deletes a completed report before regenerating it (Webex refuses a duplicate period)", async () => {
    const c = connector();
    const first = await c.reports.request(call(), WEBEX_PARTNER_SELF, AUG, "PARTNER", { wait: true });
    const second = await c.reports.request(call(), WEBEX_PARTNER_SELF, AUG, "PARTNER", { regenerate: true });
    expect(second.key).not.toBe(first.key);
    expect(sim.calls.count("delete-report")).toBe(1);
    expect(sim.reports.map((r) => r.id)).toEqual([second.key]);
  });

  it("waits only within its budget, then says IN_PROGRESS", async () => {
    const slow = stack.use(await createWebexSimulator({ now: () => new Date(NOW), pollsToComplete: 1000 }));
    const deps = connectorDeps(stack, now);
    const c = createWebexConnector(
      { id: "slow", baseUrl: slow.url, accessToken: new Secret(WEBEX_SANDBOX_TOKEN), subPartners: [], reportWait: { maxWaitMs: 60, pollBaseMs: 10, pollMaxMs: 20 } },
      deps,
    );
    await expect(c.getStatement(call(), WEBEX_PARTNER_SELF, AUG)).rejects.toMatchObject({ code: "VENDOR_REPORT_PENDING", extensions: { reportStatus: "IN_PROGRESS" } });
    expect(slow.calls.count("get-report")).toBeGreaterThanOrEqual(1);
  });
});

describe("listing", () => {
  function seedReports(n: number) {
    for (let i = 0; i < n; i++) {
      sim.reports.push({
        id: webexId("BILLING_REPORT", `seed-${i}`),
        billingStartDate: "2026-07-01",
        billingEndDate: "2026-07-31",
        type: i % 2 ? "USER" : "CUSTOMER",
        status: "COMPLETED",
        created: new Date(NOW).toISOString(),
        polls: 0,
        errors: [],
        quirks: {},
      });
    }
  }

  it("follows Link rel=next to the last page", async () => {
    seedReports(250);
    const { value } = await connector().reports.list(call(), WEBEX_PARTNER_SELF);
    expect(value).toHaveLength(250);
    expect(sim.calls.count("list-reports")).toBe(3);
    expect(new Set(value.map((r) => r.key)).size).toBe(250);
  });

  it("re-applies filters when a next link drops them", async () => {
    const quirky = stack.use(await createWebexSimulator({ now: () => new Date(NOW), nextLinkDropsFilters: true }));
    const sub = quirky.world.subPartners[0].orgId;
    for (let i = 0; i < 300; i++) {
      quirky.reports.push({
        id: webexId("BILLING_REPORT", `q-${i}`),
        billingStartDate: "2026-07-01",
        billingEndDate: "2026-07-31",
        type: "CUSTOMER",
        ...(i % 2 === 0 ? { subPartnerOrgId: sub } : {}),
        status: "COMPLETED",
        created: new Date(NOW).toISOString(),
        polls: 0,
        errors: [],
        quirks: {},
      });
    }
    const deps = connectorDeps(stack, now);
    const c = createWebexConnector(
      { id: "quirky", baseUrl: quirky.url, accessToken: new Secret(WEBEX_SANDBOX_TOKEN), subPartners: quirky.world.subPartners, reportWait: { maxWaitMs: 100, pollBaseMs: 5, pollMaxMs: 10 } },
      deps,
    );
    const { value } = await c.reports.list(call(), sub);
    expect(value).toHaveLength(150);
    expect(new Set(value.map((r) => r.key)).size).toBe(150);
    expect(value.every((r) => r.subPartnerId === sub)).toBe(true);
    const pages = quirky.calls.list("list-reports");
    expect(pages).toHaveLength(2);
    expect(pages[1].query.subPartnerOrgId).toBe(sub); // put back by the client
  });

  it("reads the next link of an RFC 5988 Link header", () => {
    expect(nextLink('<https://x.test/a?cursor=2>; rel="next", <https://x.test/a>; rel="first"')).toBe("https://x.test/a?cursor=2");
    expect(nextLink('<https://x.test/a>; rel="first"')).toBeUndefined();
  });
});

describe("CSV", () => {
  it("reads BOM, CRLF, quoted commas, reordered lower-case headers, and reports a malformed row by number", async () => {
    const c = connector();
    sim.quirksForNextReport({ bom: true, shuffleColumns: true, lowerCaseHeaders: true, malformedRow: 3 });
    const statement = await c.getStatement(call(), WEBEX_PARTNER_SELF, AUG);
    const s = statement.value!;
    expect(s.problems).toEqual(['row 3: QUANTITY "n/a" is not a number']);
    expect(s.lines.some((l) => l.description === "Webex Calling, Professional")).toBe(true);
    expect(s.lines.find((l) => l.source.rowRef === "row 1")!.companyExternalIds.map((e) => e.kind)).toEqual(["webex.orgId", "webex.customerExternalId"]);
    expect(s.lines.find((l) => l.source.rowRef === "row 3")).toBeUndefined();
    expect(s.lines.find((l) => l.source.rowRef === "row 4")).toBeDefined();
  });

  it("keeps fractional quantities exact: customer rows sum to the user rows", async () => {
    const c = connector();
    const customer = await c.getStatement(call(), WEBEX_PARTNER_SELF, AUG);
    const customerTotal = sum(customer.value!.lines.map((l) => l.quantity));
    expect(customer.value!.lines.some((l) => !l.quantity.isInteger())).toBe(true);
    const company = customer.value!.lines[0].companyKey!;
    const companyTotal = sum(customer.value!.lines.filter((l) => l.companyKey === company).map((l) => l.quantity));
    const users = await c.reports.userLines(call(), WEBEX_PARTNER_SELF, company, AUG, 0, 1000);
    expect(users.value.total).toBe(users.value.lines.length);
    expect(sum(users.value.lines.map((l) => l.quantity)).equals(companyTotal)).toBe(true);
    expect(customerTotal.greaterThan(new Dec(0))).toBe(true);
    const page = await c.reports.userLines(call(), WEBEX_PARTNER_SELF, company, AUG, 2, 3);
    expect(page.value.lines.map((l) => l.source.rowRef)).toEqual(users.value.lines.slice(2, 5).map((l) => l.source.rowRef));
  });
});

describe("amounts", () => {
  it("keeps the vendor's own figure: no amount, no unit price, no currency (the price book prices Webex lines as their cost, above the connector)", async () => {
    const { value } = await connector().getStatement(call(), WEBEX_PARTNER_SELF, AUG);
    expect(value!.lines.length).toBeGreaterThan(0);
    expect(value!.lines.filter((l) => l.amount !== null || l.unitPrice !== null || l.currency !== null)).toEqual([]);
  });
});

describe("vendor errors", () => {
  it("retries a read after 429 with Retry-After", async () => {
    const c = connector();
    await c.reports.request(call(), WEBEX_PARTNER_SELF, AUG, "CUSTOMER", { wait: true });
    sim.faults.next("list-reports", { status: 429, retryAfter: 0 });
    const { value } = await c.reports.list(call(), WEBEX_PARTNER_SELF);
    expect(value).toHaveLength(1);
    expect(sim.calls.list("list-reports").map((r) => r.outcome).slice(-2)).toEqual([429, 200]);
  });

  it("maps a token without the write scope to VENDOR_AUTH_FAILED (403) on create", async () => {
    await expect(connector({ token: WEBEX_SANDBOX_READONLY_TOKEN }).reports.request(call(), WEBEX_PARTNER_SELF, AUG, "CUSTOMER")).rejects.toMatchObject({
      code: "VENDOR_AUTH_FAILED",
      details: { upstreamStatus: 403 },
    });
  });

  it("refuses a month Webex no longer keeps before any call", async () => {
    await expect(connector().getStatement(call(), WEBEX_PARTNER_SELF, { year: 2019, month: 1 })).rejects.toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
    expect(sim.calls.count()).toBe(0);
  });
});

describe("webex simulator contract", () => {
  async function create(body: unknown, token = WEBEX_SANDBOX_TOKEN) {
    const res = await request(`${sim.url}/wholesale/billing/reports`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  }

  it.each([
    ["a bad date format", { billingStartDate: "2026/08/01", billingEndDate: "2026-08-31" }],
    ["an end before the start", { billingStartDate: "2026-08-31", billingEndDate: "2026-08-01" }],
    ["today", { billingStartDate: "2026-11-01", billingEndDate: "2026-11-23" }],
    ["more than five years back", { billingStartDate: "2020-01-01", billingEndDate: "2020-01-31" }],
    ["a bad type", { billingStartDate: "2026-08-01", billingEndDate: "2026-08-31", type: "MONTHLY" }],
  ])("answers 400 to %s", async (_name, body) => {
    const res = await create(body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ message: expect.any(String), trackingId: expect.stringMatching(/^ROUTER_/) });
  });

  it("answers 401 without a token, 409 to a duplicate period, 204 then 404 on delete, and kills the link", async () => {
    expect((await create({ billingStartDate: "2026-08-01", billingEndDate: "2026-08-31" }, "nope")).status).toBe(401);
    const first = await create({ billingStartDate: "2026-08-01", billingEndDate: "2026-08-31", type: "USER" });
    expect(first.status).toBe(200);
    const id = String(first.body.id);
    const get = async () => {
      const r = await request(`${sim.url}/wholesale/billing/reports/${id}`, { headers: { authorization: `Bearer ${WEBEX_SANDBOX_TOKEN}` } });
      return { status: r.statusCode, body: (await r.body.json().catch(() => ({}))) as Record<string, any> };
    };
    expect((await get()).body.status).toBe("IN_PROGRESS");
    const done = await get();
    expect(done.body).toMatchObject({ status: "COMPLETED", tempDownloadURL: expect.stringContaining("Signature=") });
    expect((await create({ billingStartDate: "2026-08-01", billingEndDate: "2026-08-31", type: "USER" })).status).toBe(409);
    const del = await request(`${sim.url}/wholesale/billing/reports/${id}`, { method: "DELETE", headers: { authorization: `Bearer ${WEBEX_SANDBOX_TOKEN}` } });
    expect(del.statusCode).toBe(204);
    expect((await get()).status).toBe(404);
    const link = await request(done.body.tempDownloadURL);
    await link.body.dump();
    expect(link.statusCode).toBe(404);
  });
});

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
