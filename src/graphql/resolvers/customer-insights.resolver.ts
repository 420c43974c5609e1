/**
 * What an MSP asks of a customer's months, across vendors, at resale (what the customer is billed):
 * Customer.changes (this month against the one before, with the causes), Customer.mrr (monthly
 * recurring revenue over the last months), and Query.psaReconciliation (what the PSA billed against the
 * vendors' usage). All per currency, exact; lines without a resale price are counted, never guessed.
 */
import type { GraphQLResolveInfo } from "graphql";
import { Arg, Ctx, Field, FieldResolver, Info, InputType, Int, ObjectType, Query, Resolver, Root } from "type-graphql";
import { Access } from "../../auth/roles";
import type { DirectoryCustomer } from "../../customers/directory";
import { BadUserInputError } from "../../domain/errors";
import { linePages } from "../../domain/line-source";
import type { InvoiceLineRecord } from "../../domain/model";
import { Dec, money } from "../../domain/money";
import { monthOverMonth, mrrSeries, type ProductMonth } from "../../domain/month-over-month";
import { formatBillingPeriod, periodIndex, periodOf, previousPeriod, type BillingPeriod } from "../../domain/period";
import { reconcilePsa, skuKey, type VendorUsageInput } from "../../domain/psa-reconcile";
import type { Decimal } from "decimal.js";
import type { GatewayContext } from "../context";
import { BillingPeriodScalar } from "../scalars/billing-period.scalar";
import { DecimalScalar } from "../scalars/decimal.scalar";
import { Money } from "../types/common.type";
import { connectorFor } from "./access";
import { Customer } from "./customer.resolver";
import { lineSourcesAcross } from "./query.resolver";

const PAGE = 5000;
export const MAX_MRR_MONTHS = 12;
export const MAX_PSA_CHARGES = 10_000;
/** Charge types that are not recurring (a purchase, a refund): left out of MRR. */
const ONE_TIME_CHARGE = /one.?time|purchase|refund/i;

/** Every line of the month that the filter selects, a page at a time, with its customer. */
async function forEachLine(
  ctx: GatewayContext,
  info: GraphQLResolveInfo,
  period: BillingPeriod,
  customerId: string | null,
  visit: (line: InvoiceLineRecord, customer: DirectoryCustomer | null) => void,
): Promise<void> {
  const asked = customerId ? (ctx.directory.get(customerId) ?? null) : null;
  for (const { invoice, filter } of (await lineSourcesAcross(ctx, info, period, customerId ? { customerId } : null)) ?? []) {
    for await (const page of linePages(invoice.lineSource(), filter, PAGE)) {
      for (const line of page) visit(line, ctx.directory.customerOfLine(line) ?? asked);
    }
  }
}

/** A customer's month per product at resale; lines without a resale are counted apart. */
async function resaleMonth(ctx: GatewayContext, info: GraphQLResolveInfo, customerId: string, period: BillingPeriod, recurringOnly = false) {
  const products: ProductMonth[] = [];
  let unpriced = 0;
  await forEachLine(ctx, info, period, customerId, (line, customer) => {
    if (recurringOnly && ONE_TIME_CHARGE.test(line.chargeType)) return;
    const resale = ctx.priceBook.price(line, customer).resale;
    if (!resale) {
      unpriced++;
      return;
    }
    const productKey = `${line.connectionId}:${line.productKey}`;
    products.push({ productKey, productName: connectorFor(ctx, line.connectionId).productFor(line.productKey, line.description).name, currency: resale.currency, quantity: line.quantity, amount: resale.amount });
  });
  return { products, unpriced };
}

@ObjectType({ description: "One cause of a product's change in amount, and its share of it." })
class ChangeEffect {
  @Field(() => String, { description: "PRODUCT_ADDED, PRODUCT_DROPPED, SEATS_ADDED, SEATS_REMOVED or PRICE_CHANGED." })
  cause!: string;

  @Field(() => Money)
  amount!: Money;

  @Field(() => String)
  detail!: string;
}

@ObjectType()
class ProductMonthFigures {
  @Field(() => DecimalScalar)
  quantity!: Decimal;

  @Field(() => Money)
  amount!: Money;
}

@ObjectType({ description: "A product whose amount or quantity changed from the month before, and why." })
class ProductChange {
  @Field(() => String, { description: "connection id and vendor product id." })
  productKey!: string;

  @Field(() => String, { nullable: true })
  productName!: string | null;

  @Field(() => ProductMonthFigures, { nullable: true })
  previous!: ProductMonthFigures | null;

  @Field(() => ProductMonthFigures, { nullable: true })
  current!: ProductMonthFigures | null;

  @Field(() => Money, { description: "The effects add up to this exactly." })
  amountChange!: Money;

  @Field(() => [ChangeEffect])
  causes!: ChangeEffect[];
}

@ObjectType()
class CurrencyChange {
  @Field(() => String)
  currency!: string;

  @Field(() => Money)
  previous!: Money;

  @Field(() => Money)
  current!: Money;

  @Field(() => Money)
  change!: Money;
}

@ObjectType({ description: "A customer's month at resale against the month before, per currency, with what caused each change." })
class CustomerMonthChange {
  @Field(() => BillingPeriodScalar)
  period!: BillingPeriod;

  @Field(() => BillingPeriodScalar)
  previousPeriod!: BillingPeriod;

  @Field(() => [CurrencyChange])
  byCurrency!: CurrencyChange[];

  @Field(() => [ProductChange], { description: "Largest change first within each currency." })
  products!: ProductChange[];

  @Field(() => Int, { description: "Lines of either month without a resale price: not in the figures." })
  unpricedLines!: number;
}

@ObjectType({ description: "Monthly recurring revenue of one month: recurring lines at resale, per currency." })
class MrrMonth {
  @Field(() => BillingPeriodScalar)
  period!: BillingPeriod;

  @Field(() => [Money])
  byCurrency!: Money[];

  @Field(() => Int, { description: "Recurring lines of the month without a resale price: not in the figures." })
  unpricedLines!: number;
}

@InputType({ description: "One charge as the PSA billed it (a ConnectWise agreement addition, an Autotask contract charge)." })
class PsaChargeInput {
  @Field(() => String, { description: "The customer's PSA company id (the directory's psaCompanyId) or its directory id." })
  customerRef!: string;

  @Field(() => String, { description: "The vendor product id (Product.externalId), as the price book names it." })
  sku!: string;

  @Field(() => DecimalScalar)
  quantity!: Decimal;

  @Field(() => DecimalScalar)
  amount!: Decimal;

  @Field(() => String)
  currency!: string;

  @Field(() => String, { nullable: true, description: "The PSA's own id of the charge, echoed in the differences." })
  reference?: string | null;
}

@ObjectType()
class PsaSide {
  @Field(() => DecimalScalar)
  quantity!: Decimal;

  @Field(() => Money, { nullable: true, description: "Null on the vendor side when some of its usage has no resale price." })
  amount!: Money | null;

  @Field(() => Int)
  lines!: number;
}

@ObjectType({ description: "One customer, SKU and currency where the PSA and the vendors disagree." })
class PsaDifference {
  @Field(() => String, { description: "UNDER_BILLED, OVER_BILLED, MISSING_IN_PSA or MISSING_AT_VENDOR." })
  kind!: string;

  @Field(() => String)
  customerId!: string;

  @Field(() => String)
  sku!: string;

  @Field(() => String, { nullable: true })
  currency!: string | null;

  @Field(() => PsaSide, { nullable: true })
  psa!: PsaSide | null;

  @Field(() => PsaSide, { nullable: true, description: "The vendors' usage, at resale." })
  vendor!: PsaSide | null;

  @Field(() => DecimalScalar, { nullable: true, description: "PSA minus vendor." })
  quantityDelta!: Decimal | null;

  @Field(() => DecimalScalar, { nullable: true, description: "PSA minus vendor, in currency." })
  amountDelta!: Decimal | null;

  @Field(() => String)
  detail!: string;

  @Field(() => [String])
  psaReferences!: string[];
}

@ObjectType()
class UnmatchedPsaCustomer {
  @Field(() => String)
  customerRef!: string;

  @Field(() => Int)
  lines!: number;
}

@ObjectType({ description: "What the PSA billed for a month against the vendors' usage at resale." })
class PsaReconciliationResult {
  @Field(() => BillingPeriodScalar)
  period!: BillingPeriod;

  @Field(() => Int, { description: "Customer, SKU and currency groups where both sides agree." })
  matched!: number;

  @Field(() => [PsaDifference])
  differences!: PsaDifference[];

  @Field(() => [UnmatchedPsaCustomer], { description: "PSA charges whose customerRef is no customer of the directory (not compared, not dropped)." })
  unmatchedCustomerRefs!: UnmatchedPsaCustomer[];
}

@Resolver(() => Customer)
export class CustomerInsightsResolver {
  @FieldResolver(() => CustomerMonthChange, { description: "This month at resale against the month before, per currency, with the cause of each product's change." })
  async changes(
    @Root() customer: { id: string },
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("period", () => BillingPeriodScalar) period: BillingPeriod,
  ): Promise<CustomerMonthChange> {
    const before = previousPeriod(period);
    const [prev, curr] = await Promise.all([resaleMonth(ctx, info, customer.id, before), resaleMonth(ctx, info, customer.id, period)]);
    const change = monthOverMonth(prev.products, curr.products);
    const figures = (m: { quantity: Decimal; amount: Decimal } | null, currency: string) => (m ? { quantity: m.quantity, amount: money(m.amount, currency) } : null);
    return {
      period,
      previousPeriod: before,
      byCurrency: change.byCurrency.map((c) => ({ currency: c.currency, previous: money(c.previous, c.currency), current: money(c.current, c.currency), change: money(c.change, c.currency) })),
      products: change.products.map((p) => ({
        productKey: p.productKey,
        productName: p.productName,
        previous: figures(p.previous, p.currency),
        current: figures(p.current, p.currency),
        amountChange: money(p.amountChange, p.currency),
        causes: p.causes.map((c) => ({ cause: c.cause, amount: money(c.amount, p.currency), detail: c.detail })),
      })),
      unpricedLines: prev.unpriced + curr.unpriced,
    };
  }

  @FieldResolver(() => [MrrMonth], { description: `Monthly recurring revenue (recurring lines at resale) for the last \`months\` months up to \`endingAt\` (default last month), oldest first; at most ${MAX_MRR_MONTHS}.` })
  async mrr(
    @Root() customer: { id: string },
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("months", () => Int, { defaultValue: 6 }) months: number,
    @Arg("endingAt", () => BillingPeriodScalar, { nullable: true }) endingAt?: BillingPeriod | null,
  ): Promise<MrrMonth[]> {
    if (!Number.isInteger(months) || months < 1 || months > MAX_MRR_MONTHS) throw new BadUserInputError(`months must be between 1 and ${MAX_MRR_MONTHS}`);
    const last = endingAt ?? previousPeriod(periodOf(new Date(ctx.now())));
    const periods: BillingPeriod[] = [last];
    while (periods.length < months) periods.unshift(previousPeriod(periods[0]));
    const monthsData = await Promise.all(periods.map((p) => resaleMonth(ctx, info, customer.id, p, true)));
    const series = mrrSeries(periods.map((p, i) => ({ period: formatBillingPeriod(p), lines: monthsData[i].products })));
    return series.map((m, i) => ({ period: periods[i], byCurrency: m.byCurrency.map((c) => money(c.amount, c.currency)), unpricedLines: monthsData[i].unpriced }));
  }
}

@Resolver()
export class PsaReconciliationResolver {
  @Access({ role: "billing:read" })
  @Query(() => PsaReconciliationResult, {
    nullable: true,
    description: `Compares what the PSA billed for a month (at most ${MAX_PSA_CHARGES} charges) with the vendors' usage of the directory's customers at resale: under-billed, over-billed, missing in the PSA, missing at the vendor.`,
  })
  async psaReconciliation(
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("period", () => BillingPeriodScalar) period: BillingPeriod,
    @Arg("charges", () => [PsaChargeInput]) charges: PsaChargeInput[],
  ): Promise<PsaReconciliationResult> {
    if (charges.length > MAX_PSA_CHARGES) throw new BadUserInputError(`At most ${MAX_PSA_CHARGES} charges per request`);
    if (periodIndex(period) > periodIndex(periodOf(new Date(ctx.now())))) throw new BadUserInputError(`period: ${formatBillingPeriod(period)} is in the future`);
    const badCurrency = charges.findIndex((c) => !/^[A-Z]{3}$/.test(c.currency));
    if (badCurrency >= 0) throw new BadUserInputError(`charges[${badCurrency}].currency must be an ISO 4217 code such as USD`);
    // The vendors' side, added up per customer, SKU and resale currency while the lines stream.
    const usage = new Map<string, VendorUsageInput>();
    await forEachLine(ctx, info, period, null, (line, customer) => {
      if (!customer) return;
      const resale = ctx.priceBook.price(line, customer).resale;
      const key = JSON.stringify([customer.id, skuKey(line.productKey), resale?.currency ?? null]);
      const have = usage.get(key);
      if (!have) usage.set(key, { customerId: customer.id, sku: line.productKey, quantity: line.quantity, resale: resale?.amount ?? null, currency: resale?.currency ?? null });
      else usage.set(key, { ...have, quantity: have.quantity.plus(line.quantity), resale: have.resale === null || !resale ? null : have.resale.plus(resale.amount) });
    });
    const byRef = new Map<string, string>();
    for (const c of ctx.directory.customers) {
      byRef.set(c.id, c.id);
      if (c.psaCompanyId) byRef.set(c.psaCompanyId, c.id);
    }
    const result = reconcilePsa(
      charges.map((c) => ({ ...c, quantity: new Dec(c.quantity), amount: new Dec(c.amount) })),
      [...usage.values()],
      (ref) => byRef.get(ref) ?? null,
    );
    const side = (s: { quantity: Decimal; amount: Decimal | null; lines: number } | null, currency: string | null) =>
      s ? { quantity: s.quantity, amount: s.amount !== null && currency ? money(s.amount, currency) : null, lines: s.lines } : null;
    return {
      period,
      matched: result.matched,
      differences: result.differences.map((d) => ({ ...d, psa: side(d.psa, d.currency), vendor: side(d.vendor, d.currency) })),
      unmatchedCustomerRefs: result.unmatchedCustomerRefs,
    };
  }
}
