/** One customer across vendors: the directory joins its companies on the vendors' own ids. */
import { Dec, sum } from "../../src/domain/money";
import { lastMonth } from "../../src/graphql/examples";
import { startTestGateway, type TestGateway } from "../helpers/gateway";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());

describe("customers across vendors", () => {
  it("gives last month's lines of one customer from Keeper, Webex and Microsoft", async () => {
    const res = await t.gql(
      `query($p: BillingPeriod!) { customer(id: "harbor-dental") { name externalIds { kind value }
         invoiceLines(period: $p, first: 500) { totalCount nodes { vendor connectionId company { name externalIds { kind value } } quantity amount { amount currency } } } } }`,
      { p: lastMonth() },
    );
    expect(res.body.errors).toBeUndefined();
    const customer = res.body.data!.customer;
    const lines = customer.invoiceLines.nodes;
    expect(customer.invoiceLines.totalCount).toBe(lines.length);
    expect(new Set(lines.map((l: any) => l.vendor))).toEqual(new Set(["KEEPER", "WEBEX", "MICROSOFT"]));
    const ids = new Set(customer.externalIds.map((e: any) => `${e.kind}=${e.value}`));
    for (const l of lines) expect(l.company.externalIds.some((e: any) => ids.has(`${e.kind}=${e.value}`))).toBe(true);
    // Each vendor's money as it reports it: Keeper in USD, Webex none (usage only), Microsoft in the invoice currency.
    expect(lines.filter((l: any) => l.vendor === "KEEPER").every((l: any) => l.amount.currency === "USD")).toBe(true);
    expect(lines.filter((l: any) => l.vendor === "WEBEX").every((l: any) => l.amount === null)).toBe(true);
    const microsoft = lines.filter((l: any) => l.vendor === "MICROSOFT");
    expect(sum(microsoft.map((l: any) => new Dec(l.amount.amount))).toFixed()).toMatch(/^-?\d+(\.\d{1,2})?$/);
  });

  it("adds up one customer's month per currency: Keeper's USD and Microsoft's EUR are never added together", async () => {
    const res = await t.gql(
      `query($p: BillingPeriod!) { customer(id: "contoso-pharma") {
         totals(period: $p) { lines linesWithoutAmount byCurrency { currency lines subtotal { amount currency } tax { amount currency } total { amount currency } } }
         invoiceLines(period: $p, first: 500) { totalCount nodes { vendor currency amount { amount } tax { amount } total { amount } } } } }`,
      { p: lastMonth() },
    );
    expect(res.body.errors).toBeUndefined();
    const { totals, invoiceLines } = res.body.data!.customer;
    const lines = invoiceLines.nodes as any[];
    expect(invoiceLines.totalCount).toBe(lines.length);
    expect(totals.lines).toBe(lines.length);
    expect(totals.linesWithoutAmount).toBe(lines.filter((l) => l.amount === null).length);
    expect(totals.linesWithoutAmount).toBeGreaterThan(0); // Webex usage: no money
    expect(totals.byCurrency.map((c: any) => c.currency).sort()).toEqual(["EUR", "USD"]);
    expect(new Set(lines.filter((l) => l.vendor === "MICROSOFT").map((l) => l.currency))).toEqual(new Set(["EUR"]));
    expect(new Set(lines.filter((l) => l.vendor === "KEEPER").map((l) => l.currency))).toEqual(new Set(["USD"]));
    for (const c of totals.byCurrency) {
      const own = lines.filter((l) => l.currency === c.currency && l.amount !== null);
      expect(c.lines).toBe(lines.filter((l) => l.currency === c.currency).length);
      expect(c.subtotal).toEqual({ amount: sum(own.map((l) => new Dec(l.amount.amount))).toFixed(2), currency: c.currency });
    }
  });

  it("filters Query.invoiceLines by customer, and rejects an unknown one before any upstream call", async () => {
    const res = await t.gql(`query($p: BillingPeriod!) { invoiceLines(period: $p, filter: { customerId: "kestrel-logistics", vendor: WEBEX }) { totalCount nodes { vendor } } }`, { p: lastMonth() });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.invoiceLines.totalCount).toBeGreaterThan(0);
    expect(new Set(res.body.data!.invoiceLines.nodes.map((n: any) => n.vendor))).toEqual(new Set(["WEBEX"]));
    t.resetCalls();
    const bad = await t.gql(`{ invoiceLines(period: "2025-08", filter: { customerId: "nobody" }) { totalCount } }`);
    expect(bad.body.errors![0].extensions?.code).toBe("BAD_USER_INPUT");
    expect(t.upstreamCalls()).toBe(0);
  });
});
