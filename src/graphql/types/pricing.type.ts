/** Price book figures in the schema: a line's cost, resale and margin, and a customer's month of them. */
import { Field, Int, ObjectType, registerEnumType } from "type-graphql";
import { PartnerOnly } from "../../auth/roles";
import { BillingPeriodScalar } from "../scalars/billing-period.scalar";
import { Money } from "./common.type";
import { Vendor } from "./enums";

export const CostSource = { VENDOR: "VENDOR", PRICE_BOOK: "PRICE_BOOK" } as const;
registerEnumType(CostSource, {
  name: "CostSource",
  description: "Where a line's cost came from: the vendor's own amount, or the price book's wholesale price list.",
  valuesConfig: {
    VENDOR: { description: "The vendor's pre-tax amount for the line (Keeper, Microsoft), as it reports it." },
    PRICE_BOOK: { description: "Wholesale unit price × quantity, rounded half-up to the currency's minor unit (Webex, which reports no prices)." },
  },
});

@ObjectType({ description: "How a line was priced, and why a figure is missing. What names cost or markups is for the partner only." })
export class LinePricing {
  @Field(() => String, { nullable: true, description: 'The rule that gave the resale, e.g. "customer harbor-dental: SKU WX-SUITE at 0.80 USD", "markup 25% (WEBEX)"; null without a resale.' })
  rule!: string | null;

  @Field(() => String, { nullable: true, description: 'Where the cost came from: "vendor amount", or the price-list entry used.' })
  costRule!: string | null;

  @Field(() => String, { nullable: true, description: 'Why the cost, resale or margin is null ("; " between reasons), e.g. "no resale rule"; null when none is.' })
  reason!: string | null;
}

@ObjectType({ description: "A customer's priced lines in one currency. A total exists per currency: two currencies are never added." })
export class BillingCurrencyTotal {
  @Field(() => String, { description: "ISO 4217 code." })
  currency!: string;

  @Field(() => Int, { description: "Lines with a cost or a resale in this currency." })
  lines!: number;

  @PartnerOnly()
  @Field(() => Money, { nullable: true, description: "What the partner pays: the lines' costs in this currency, added exactly; null when none has one." })
  cost!: Money | null;

  @Field(() => Money, { nullable: true, description: "What the customer is billed: the lines' resale in this currency; null when none has one." })
  resale!: Money | null;

  @PartnerOnly()
  @Field(() => Money, {
    nullable: true,
    description: "The lines' margins in this currency (each line's resale − cost, only where both are in this currency); so with lines lacking a margin it is not resale − cost.",
  })
  margin!: Money | null;
}

@ObjectType({ description: "Lines whose figure could not be had, with why (each reason with its count)." })
export class PricingReasonCount {
  @Field(() => String)
  reason!: string;

  @Field(() => Int)
  lines!: number;
}

@ObjectType({ description: "Lines that could not be priced: counted and explained, never dropped." })
export class UnpricedLines {
  @Field(() => Int)
  lines!: number;

  @Field(() => [PricingReasonCount], { description: "Most frequent first." })
  reasons!: PricingReasonCount[];
}

@ObjectType({ description: "A customer's lines of one vendor, priced, per currency." })
export class VendorBilling {
  @Field(() => Vendor)
  vendor!: string;

  @Field(() => Int)
  lines!: number;

  @Field(() => [BillingCurrencyTotal])
  totals!: BillingCurrencyTotal[];
}

@ObjectType({ description: "A customer's lines of one product (a vendor's product id at one connection), priced, per currency." })
export class ProductBilling {
  @Field(() => Vendor)
  vendor!: string;

  @Field(() => String)
  connectionId!: string;

  @Field(() => String, { description: "The vendor's product id (Product.externalId), what the price book's `sku` names." })
  productId!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Int)
  lines!: number;

  @Field(() => [BillingCurrencyTotal])
  totals!: BillingCurrencyTotal[];
}

@ObjectType({ description: "A customer's month across vendors, priced by the price book: cost, resale and margin per currency, by vendor and by product." })
export class CustomerBilling {
  @Field(() => BillingPeriodScalar)
  period!: unknown;

  @Field(() => Int, { description: "Every line of the customer's month at every vendor in scope, priced or not." })
  lines!: number;

  @Field(() => [BillingCurrencyTotal], { description: "One entry per currency, in the order the currencies first appear." })
  totals!: BillingCurrencyTotal[];

  @Field(() => [VendorBilling])
  byVendor!: VendorBilling[];

  @Field(() => [ProductBilling])
  byProduct!: ProductBilling[];

  @Field(() => UnpricedLines, { description: "Lines without a resale (no rule matched, or a markup had no cost to apply to)." })
  unpriced!: UnpricedLines;

  @PartnerOnly()
  @Field(() => UnpricedLines, { description: "Lines without a margin: no cost, no resale, or the two in different currencies." })
  withoutMargin!: UnpricedLines;
}
