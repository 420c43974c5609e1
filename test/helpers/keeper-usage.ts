/** Checks on Keeper monthly-usage bodies shared by the Keeper simulator suites (keeper.md B arithmetic). */
import { Decimal } from "decimal.js";
import { isLosslessNumber, parse as losslessParse } from "lossless-json";
import type { KeeperMonthlyUsageFixture } from "../../src/vendors/keeper/simulator/fixtures";
import type { KeeperCompanyItem } from "../../src/vendors/keeper/wire";

const Dec = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });

/** A JSON number kept as text by lossless-json, as an exact decimal. */
export function dec(value: unknown): Decimal {
  if (!isLosslessNumber(value)) throw new Error(`not a JSON number: ${String(value)}`);
  return new Dec(value.value);
}

/** Recomputes every figure of a monthly body from its own text; returns the body. */
export function expectReconciles(text: string, totalKey: "total" | "totalCost"): KeeperMonthlyUsageFixture {
  const body = losslessParse(text) as KeeperMonthlyUsageFixture;
  expect(body.success).toBe(true);
  const { usage } = body;
  const companyTotal = (item: KeeperCompanyItem): Decimal => {
    let sum = new Dec(0);
    for (const row of item.products) {
      const cost = dec(row.unitPrice).times(dec(row.quantity)).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
      expect({ company: item.companyName, productId: String(row.productId), cost: dec(row.avgMonthlyCost).toFixed() }).toEqual({
        company: item.companyName,
        productId: String(row.productId),
        cost: cost.toFixed(),
      });
      sum = sum.plus(cost);
    }
    expect(dec(item.total).toFixed()).toBe(sum.toFixed());
    return sum;
  };
  let subTotal = companyTotal(usage.mspItem);
  for (const item of usage.mcItems) subTotal = subTotal.plus(companyTotal(item));
  expect(dec(usage.subTotal).toFixed()).toBe(subTotal.toFixed());
  expect(dec(usage[totalKey]).toFixed()).toBe(subTotal.plus(dec(usage.tax)).toFixed());
  expect(usage[totalKey === "total" ? "totalCost" : "total"]).toBeUndefined();
  expect(usage.currency).toBe("USD");
  return body;
}
