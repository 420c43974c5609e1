import { Dec, decimalFromText, decimalToText, minorUnit, moneyText, roundCents, sum, sumMoney, money } from "../../src/domain/money";
import { formatBillingPeriod, isClosedPeriod, parseBillingPeriod, periodBounds, previousPeriod } from "../../src/domain/period";

describe("exact decimals", () => {
  it("adds money without float error", () => {
    expect(decimalToText(sum(["0.1", "0.2"].map(decimalFromText)))).toBe("0.3");
  });

  it("rounds half up to cents like Keeper's avgMonthlyCost", () => {
    expect(decimalToText(roundCents(new Dec("4.8").times("0.89")))).toBe("4.27");
    expect(decimalToText(roundCents(new Dec("0.5").times("0.89")))).toBe("0.45"); // 0.445 -> 0.45
    expect(decimalToText(roundCents(new Dec("25.2").times("0.89")))).toBe("22.43");
  });

  it("rejects text that is not a plain decimal", () => {
    for (const bad of ["", "1,5", "NaN", "Infinity", "0x10", "1.2.3", " "]) {
      expect(() => decimalFromText(bad)).toThrow();
    }
  });

  it("writes money at its currency's ISO 4217 minor unit, padding but never rounding", () => {
    expect(moneyText(new Dec("7060187.9"), "USD")).toBe("7060187.90");
    expect(moneyText(new Dec("0"), "EUR")).toBe("0.00");
    expect(moneyText(new Dec("-0.5"), "eur")).toBe("-0.50");
    expect(moneyText(new Dec("1200"), "JPY")).toBe("1200");
    expect(moneyText(new Dec("1.5"), "KWD")).toBe("1.500");
    // More decimals than the minor unit (a sum of prorated amounts) are kept: exact, not rounded.
    expect(moneyText(new Dec("49.3512"), "USD")).toBe("49.3512");
    // A code ISO does not list is written as it is.
    expect(moneyText(new Dec("1.5"), "XTS1")).toBe("1.5");
    expect([minorUnit("USD"), minorUnit("JPY"), minorUnit("BHD"), minorUnit("nope")]).toEqual([2, 0, 3, null]);
  });

  it("refuses to add different currencies", () => {
    expect(() => sumMoney([money(new Dec(1), "USD"), money(new Dec(1), "EUR")], "USD")).toThrow(/EUR/);
  });
});

describe("billing periods", () => {
  it.each(["2025-13", "2025-8", "25-08", "2025-00", "2025/08", "202508", " 2025-08", 202508, null])("rejects %p", (text) => {
    expect(typeof parseBillingPeriod(text)).toBe("string");
  });

  it("parses and formats YYYY-MM", () => {
    expect(parseBillingPeriod("2025-08")).toEqual({ year: 2025, month: 8 });
    expect(formatBillingPeriod({ year: 2025, month: 8 })).toBe("2025-08");
    expect(previousPeriod({ year: 2025, month: 1 })).toEqual({ year: 2024, month: 12 });
    expect(periodBounds({ year: 2024, month: 2 })).toEqual({ start: "2024-02-01", end: "2024-02-29" });
  });

  it("knows which months are closed", () => {
    const now = new Date("2025-09-15T12:00:00Z");
    expect(isClosedPeriod({ year: 2025, month: 8 }, now)).toBe(true);
    expect(isClosedPeriod({ year: 2025, month: 9 }, now)).toBe(false);
  });
});
