/** Webex through the gateway: lines beside Keeper's, report status over time, user lines paged. */
import { lastMonth } from "../../src/graphql/examples";
import { startTestGateway, type TestGateway } from "../helpers/gateway";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());
beforeEach(() => t.resetCalls());

const WEBEX = "partner:webex-wholesale:self";

describe("webex in the gateway", () => {
  it("returns last month's invoice lines for Keeper, Webex and Microsoft together, per customer", async () => {
    const res = await t.gql(
      `query($p: BillingPeriod!) { invoiceLines(period: $p, first: 1000) { totalCount nodes { vendor connectionId quantity amount { amount }
         company { id externalIds { kind value } } } } }`,
      { p: lastMonth() },
    );
    expect(res.body.errors).toBeUndefined();
    const lines = res.body.data!.invoiceLines.nodes;
    const vendors = new Set(lines.map((l: any) => l.vendor));
    expect(vendors).toEqual(new Set(["KEEPER", "WEBEX", "MICROSOFT"]));
    const webex = lines.filter((l: any) => l.vendor === "WEBEX");
    expect(webex.every((l: any) => l.amount === null && /^\d+(\.\d+)?$/.test(l.quantity))).toBe(true);
    expect(webex[0].company.externalIds.map((e: any) => e.kind)).toContain("webex.customerExternalId");
    // One customer report per Webex partner: the partner itself and its two sub-partners.
    expect(t.sandbox.webex.calls.count("create-report")).toBe(3);
  });

  it("shows a report's status moving from IN_PROGRESS to COMPLETED", async () => {
    const requested = await t.gql(`mutation { requestBillingReport(input: { partnerId: "${WEBEX}", period: "2026-05", type: USER }) { id status } }`);
    expect(requested.body.data!.requestBillingReport.status).toBe("IN_PROGRESS");
    const id = requested.body.data!.requestBillingReport.id;
    const statuses: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await t.gql(`query($id: ID!) { billingReport(id: $id) { status type periodStart periodEnd } }`, { id });
      statuses.push(res.body.data!.billingReport.status);
    }
    expect(statuses).toEqual(["IN_PROGRESS", "COMPLETED", "COMPLETED"]);
    const listed = await t.gql(`{ partner(id: "${WEBEX}") { billingReports { id status type } } }`);
    expect(listed.body.data!.partner.billingReports).toEqual(expect.arrayContaining([{ id, status: "COMPLETED", type: "USER" }]));
  });

  it("gives no lines with a report still IN_PROGRESS (an error on lines), and its lines once it shows COMPLETED", async () => {
    const requested = await t.gql(`mutation { requestBillingReport(input: { partnerId: "${WEBEX}", period: "2026-02", type: CUSTOMER }) { id status } }`);
    expect(requested.body.data!.requestBillingReport.status).toBe("IN_PROGRESS");
    const id = requested.body.data!.requestBillingReport.id;
    const q = `query($id: ID!) { billingReport(id: $id) { status lines(first: 5) { totalCount nodes { quantity } } } }`;
    t.resetCalls();

    const pending = await t.gql(q, { id });
    expect(pending.body.data!.billingReport).toEqual({ status: "IN_PROGRESS", lines: null });
    expect(pending.body.errors).toEqual([
      expect.objectContaining({ path: ["billingReport", "lines"], extensions: expect.objectContaining({ code: "VENDOR_REPORT_PENDING", reportStatus: "IN_PROGRESS" }) }),
    ]);
    // The status shown is the only one asked for: the lines did not poll the vendor again.
    expect(t.sandbox.webex.calls.count("get-report")).toBe(1);
    expect(t.sandbox.webex.calls.count("download")).toBe(0);

    const completed = await t.gql(q, { id });
    expect(completed.body.errors).toBeUndefined();
    expect(completed.body.data!.billingReport.status).toBe("COMPLETED");
    expect(completed.body.data!.billingReport.lines.totalCount).toBeGreaterThan(0);
  });

  it("pages a company's user-level lines", async () => {
    const companies = await t.gql(`{ partner(id: "${WEBEX}") { managedCompanies(first: 1) { nodes { id } } } }`);
    const companyId = companies.body.data!.partner.managedCompanies.nodes[0].id;
    const q = `query($id: ID!, $after: String) { managedCompany(id: $id) { userLines(period: "2026-09", first: 4, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { id quantity attributes { name value } } } } }`;
    const seen: string[] = [];
    let after: string | null = null;
    let total = 0;
    do {
      const res = await t.gql(q, { id: companyId, after });
      expect(res.body.errors).toBeUndefined();
      const page = res.body.data!.managedCompany.userLines;
      total = page.totalCount;
      seen.push(...page.nodes.map((n: any) => n.id));
      expect(page.nodes[0].attributes.map((a: any) => a.name)).toEqual(expect.arrayContaining(["SUBSCRIBER_ID"]));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(total).toBeGreaterThan(4);
    expect(new Set(seen).size).toBe(total);
  });

  it("reports unreadable rows beside the good lines", async () => {
    t.sandbox.webex.quirksForNextReport({ malformedRow: 2 });
    const res = await t.gql(`{ invoiceLines(period: "2026-04", first: 1000, filter: { connectionId: "webex-wholesale", partnerId: "${WEBEX}" }) { totalCount } }`);
    expect(res.body.data!.invoiceLines.totalCount).toBeGreaterThan(10);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0]).toMatchObject({ path: ["invoiceLines"], extensions: { code: "VENDOR_BAD_RESPONSE", connectionId: "webex-wholesale", problems: ['row 2: QUANTITY "n/a" is not a number'] } });
  });

  it("rejects a bad period before any upstream call", async () => {
    for (const period of ["2026-13", "26-01", "2999-01"]) {
      const res = await t.gql(`mutation($p: BillingPeriod!) { requestBillingReport(input: { partnerId: "${WEBEX}", period: $p }) { id } }`, { p: period });
      expect(res.body.errors![0].extensions?.code).toBe("BAD_USER_INPUT");
    }
    expect(t.upstreamCalls()).toBe(0);
  });

  it("surfaces a FAILED report with the vendor's errors on the field that needed it", async () => {
    t.sandbox.webex.failNextReport([{ code: 2024, description: "Billing Report generation failed." }]);
    const res = await t.gql(`{ partner(id: "${WEBEX}") { name invoice(period: "2026-03") { id } } }`);
    expect(res.body.data!.partner).toEqual({ name: "Acme Wholesale Partner", invoice: null });
    expect(res.body.errors![0].extensions).toMatchObject({ code: "VENDOR_REPORT_FAILED", problems: ["2024: Billing Report generation failed."] });
  });
});
