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
  @Field(() => DecimalScalar)
  amount!: unknown;

  @Field(() => String, { description: "ISO 4217 code." })
  currency!: string;
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
