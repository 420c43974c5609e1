/** Month-over-month change with its causes (issue 12, item 3): effects add up exactly, currencies apart. */
import { Dec } from "../../src/domain/money";
import { monthOverMonth, mrrSeries, type ProductMonth } from "../../src/domain/month-over-month";

const line = (productKey: string, quantity: string, amount: string, currency = "USD"): ProductMonth => ({ productKey, productName: productKey, currency, quantity: new Dec(quantity), amount: new Dec(amount) });
const text = (v: { toFixed(): string }) => v.toFixed();

describe("month over month", () => {
  it("explains each product's change: seats, price, added, dropped; the effects add up to the change", () => {
    const change = monthOverMonth(
      [line("keeper", "10", "45"), line("webex", "5", "50"), line("legacy", "2", "20"), line("same", "1", "1")],
      [line("keeper", "12", "54"), line("webex", "5", "60"), line("m365", "3", "108"), line("same", "1", "1")],
    );
    const causes = Object.fromEntries(change.products.map((p) => [p.productKey, p.causes.map((c) => [c.cause, text(c.amount)])]));
    expect(causes).toEqual({
      keeper: [["SEATS_ADDED", "9"]],
      webex: [["PRICE_CHANGED", "10"]],
      m365: [["PRODUCT_ADDED", "108"]],
      legacy: [["PRODUCT_DROPPED", "-20"]],
    });
    expect(change.byCurrency.map((c) => [c.currency, text(c.previous), text(c.current), text(c.change)])).toEqual([["USD", "116", "223", "107"]]);
    // Largest change first.
    expect(change.products.map((p) => p.productKey)).toEqual(["m365", "legacy", "webex", "keeper"]);
  });

  it("splits a change of both seats and price exactly, rounding the seat effect to the currency's minor unit", () => {
    const [p] = monthOverMonth([line("x", "3", "10")], [line("x", "4", "14")]).products;
    expect(p.causes.map((c) => [c.cause, text(c.amount)])).toEqual([["SEATS_ADDED", "3.33"], ["PRICE_CHANGED", "0.67"]]);
    expect(text(p.causes[0].amount.plus(p.causes[1].amount))).toBe(text(p.amountChange));
    const [jpy] = monthOverMonth([line("y", "3", "1000", "JPY")], [line("y", "4", "1400", "JPY")]).products;
    expect(jpy.causes.map((c) => text(c.amount))).toEqual(["333", "67"]);
  });

  it("keeps currencies apart: a product moving from USD to EUR is dropped in one and added in the other", () => {
    const change = monthOverMonth([line("m365", "3", "108", "USD")], [line("m365", "3", "99", "EUR")]);
    expect(change.products.map((p) => [p.currency, p.causes[0].cause])).toEqual([["EUR", "PRODUCT_ADDED"], ["USD", "PRODUCT_DROPPED"]]);
    expect(change.byCurrency.map((c) => [c.currency, text(c.change)])).toEqual([["USD", "-108"], ["EUR", "99"]]);
  });

  it("gives MRR per month and currency", () => {
    const series = mrrSeries([
      { period: "2025-07", lines: [line("a", "1", "10.10"), line("b", "1", "0.20"), line("c", "1", "5", "EUR")] },
      { period: "2025-08", lines: [] },
    ]);
    expect(series.map((m) => [m.period, m.byCurrency.map((c) => [c.currency, text(c.amount)])])).toEqual([
      ["2025-07", [["USD", "10.3"], ["EUR", "5"]]],
      ["2025-08", []],
    ]);
  });
});
