import { Field, ID, Int, ObjectType } from "type-graphql";
import { DecimalScalar } from "../scalars/decimal.scalar";
import { Vendor, VendorApi } from "./enums";

@ObjectType({ description: "Where a vendor-backed value came from and how fresh it is." })
export class Provenance {
  @Field(() => ID)
  connectionId!: string;

  @Field(() => Vendor)
  vendor!: string;

  @Field(() => Date, { description: "When the gateway fetched it from the vendor." })
  fetchedAt!: Date;

  @Field(() => Boolean, { description: "Served from the gateway's cache rather than fetched for this request." })
  fromCache!: boolean;

  @Field(() => Int, { description: "Seconds since it was fetched." })
  ageSeconds!: number;
}

@ObjectType({ description: "A vendor's id for a record, kept as an external reference." })
export class ExternalId {
  @Field(() => String, { description: 'What the id is, e.g. "keeper.companyId".' })
  kind!: string;

  @Field(() => String)
  value!: string;
}

@ObjectType({ description: "An exact amount in one currency." })
export class Money {
  @Field(() => DecimalScalar, {
    description: "Written at the currency's ISO 4217 minor unit (\"7060187.90\" for USD, \"1200\" for JPY); never rounded: an amount with more decimals keeps them.",
  })
  amount!: unknown;

  @Field(() => String, { description: "ISO 4217 code." })
  currency!: string;
}

@ObjectType({ description: "A unit price in its own currency, at the vendor's exact precision (not padded nor rounded to the minor unit)." })
export class UnitPrice {
  @Field(() => DecimalScalar)
  amount!: unknown;

  @Field(() => String, { description: "ISO 4217 code: the currency the vendor prices in, which may differ from the line's (see InvoiceLine.exchangeRate)." })
  currency!: string;
}

@ObjectType({ description: "A vendor's rate from one currency to another, as the vendor reports it (the gateway never converts)." })
export class ExchangeRate {
  @Field(() => String, { description: "ISO 4217 code of the unit price's currency." })
  fromCurrency!: string;

  @Field(() => String, { description: "ISO 4217 code of the line's currency." })
  toCurrency!: string;

  @Field(() => DecimalScalar, { description: "One unit of fromCurrency is this many units of toCurrency." })
  rate!: unknown;

  @Field(() => String, { nullable: true, description: "The day the rate is of (ISO date), where the vendor says." })
  date!: string | null;
}

@ObjectType({ description: "Figures in one currency. A total exists per currency: amounts of two currencies are never added." })
export class CurrencyTotal {
  @Field(() => String, { description: "ISO 4217 code." })
  currency!: string;

  @Field(() => Int, { description: "Lines in this currency." })
  lines!: number;

  @Field(() => Money, { nullable: true, description: "Pre-tax; null where there is no figure in this currency." })
  subtotal!: Money | null;

  @Field(() => Money, { nullable: true })
  tax!: Money | null;

  @Field(() => Money, { nullable: true })
  total!: Money | null;
}

@ObjectType({ description: "A vendor field with no place in the model, kept rather than dropped." })
export class Attribute {
  @Field(() => String)
  name!: string;

  @Field(() => String)
  value!: string;
}

@ObjectType({ description: "A configured set of credentials at one vendor." })
export class Connection {
  @Field(() => ID)
  id!: string;

  @Field(() => Vendor)
  vendor!: string;

  @Field(() => VendorApi)
  api!: string;

  @Field(() => String, { nullable: true })
  name!: string | null;
}

@ObjectType()
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => Boolean)
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}
