/** Exact running sums: the integer fast path against decimal.js, on values built to hit every branch. */
import { Decimal } from "decimal.js";
import { ExactSum, scaledOrNaN } from "../../src/domain/exact-sum";
import { Dec } from "../../src/domain/money";
import { seededRandom } from "../../src/vendors/keeper/simulator/fixtures";

/** Decimal text with `digits` significant digits and `decimals` places, from a seeded PRNG. */
function decimalText(rnd: () => number, digits: number, decimals: number): string {
  let s = String(1 + Math.floor(rnd() * 9));
  for (let i = 1; i < digits; i++) s += String(Math.floor(rnd() * 10));
  const sign = rnd() < 0.3 ? "-" : "";
  if (decimals === 0) return sign + s;
  if (decimals >= s.length) return `${sign}0.${s.padStart(decimals, "0")}`;
  return `${sign}${s.slice(0, s.length - decimals)}.${s.slice(s.length - decimals)}`;
}

describe("scaledOrNaN", () => {
  it("gives the exact count of 10⁻⁸ for literals of up to 15 significant digits and 8 places", () => {
    const rnd = seededRandom("scaled");
    for (let i = 0; i < 20_000; i++) {
      const digits = 1 + Math.floor(rnd() * 15);
      const decimals = Math.min(8, Math.floor(rnd() * (digits + 1)));
      const text = decimalText(rnd, digits, decimals);
      const n = scaledOrNaN(Number(text));
      if (new Dec(text).abs().gte(1e7)) continue; // beyond the fast path's range: checked below
      expect(new Dec(n).div(1e8).toFixed()).toBe(new Dec(text).toFixed());
    }
  });

  it("refuses what it cannot carry exactly", () => {
    expect(scaledOrNaN(0.123456789)).toBeNaN(); // 9 places
    expect(scaledOrNaN(1 / 3)).toBeNaN();
    expect(scaledOrNaN(12345678.5)).toBeNaN(); // ≥ 10⁷: too large for 10¹⁵ units
    expect(scaledOrNaN(1e300)).toBeNaN();
    expect(scaledOrNaN(0.1)).toBe(10_000_000);
    expect(scaledOrNaN(-2387.74)).toBe(-238_774_000_000);
  });
});

describe("ExactSum", () => {
  it("adds exactly what decimal.js adds: fast-path numbers, slow-path numbers, Decimals, and past 2⁵³", () => {
    const rnd = seededRandom("exact-sum");
    for (let round = 0; round < 40; round++) {
      const sum = new ExactSum();
      let expected = new Dec(0);
      const count = 1 + Math.floor(rnd() * 3000);
      for (let i = 0; i < count; i++) {
        const kind = rnd();
        if (kind < 0.7) {
          // Ordinary money and quantities; some big enough to spill the integer part.
          const text = decimalText(rnd, 1 + Math.floor(rnd() * 15), Math.floor(rnd() * 5));
          sum.add(Number(text));
          expected = expected.plus(text);
        } else if (kind < 0.85) {
          // More places than the fast path carries: the number's own shortest text is its value.
          const x = Number(decimalText(rnd, 12, 11));
          sum.add(x);
          expected = expected.plus(String(x));
        } else {
          // A literal longer than a double holds, as a Decimal.
          const text = decimalText(rnd, 20 + Math.floor(rnd() * 10), 12);
          sum.add(new Dec(text));
          expected = expected.plus(text);
        }
      }
      expect(sum.value().toFixed()).toBe(expected.toFixed());
      expect(sum.count).toBe(count);
    }
  });

  it("stays exact through spills: a thousand values at the top of the fast path", () => {
    const sum = new ExactSum();
    for (let i = 0; i < 1000; i++) sum.add(9_999_999.99999999);
    expect(sum.value().toFixed()).toBe(new Dec("9999999.99999999").times(1000).toFixed());
  });

  it("merges sums, and tells an empty sum from a sum of zeros", () => {
    const a = new ExactSum();
    const b = new ExactSum();
    expect(a.valueOrNull()).toBeNull();
    a.add(0);
    expect(a.valueOrNull()!.toFixed()).toBe("0");
    for (let i = 0; i < 3; i++) b.add(6_000_000);
    b.add(new Decimal("0.000000000000000001"));
    a.add(4_000_000.5);
    a.merge(b);
    expect(a.count).toBe(6);
    expect(a.value().toFixed()).toBe("22000000.500000000000000001");
  });
});
