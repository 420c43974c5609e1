import { ArgsType, Field, ID, InputType, Int } from "type-graphql";
import { IsEmail, IsISO31661Alpha2, IsOptional, Length, Matches } from "class-validator";
import { ProductCategory, SubscriptionStatus, Vendor } from "./enums";

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: "Page size, 0-1000 (default 100)." })
  first?: number | null;

  @Field(() => String, { nullable: true, description: "Cursor of the item to start after." })
  after?: string | null;
}

@InputType({ description: "Narrows a list to one vendor and/or one connection." })
export class ConnectionFilter {
  @Field(() => Vendor, { nullable: true })
  vendor?: "KEEPER" | "WEBEX" | "MICROSOFT" | null;

  @Field(() => ID, { nullable: true })
  connectionId?: string | null;
}

@InputType()
export class PartnerFilter extends ConnectionFilter {
  @Field(() => Boolean, { nullable: true, description: "Include sub-partners (a distributor's MSPs); default true." })
  includeSubPartners?: boolean | null;
}

@InputType()
export class CompanyFilter extends ConnectionFilter {
  @Field(() => ID, { nullable: true })
  partnerId?: string | null;

  @Field(() => String, { nullable: true, description: "Case-insensitive substring of the company name." })
  nameContains?: string | null;
}

@InputType()
export class SubscriptionFilter extends ConnectionFilter {
  @Field(() => [SubscriptionStatus], { nullable: true })
  status?: string[] | null;

  @Field(() => String, { nullable: true, description: "Marketplace offer id." })
  offer?: string | null;

  @Field(() => String, { nullable: true, description: "Plan id." })
  plan?: string | null;
}

@InputType()
export class ProductFilter extends ConnectionFilter {
  @Field(() => ProductCategory, { nullable: true })
  category?: string | null;
}

@InputType()
export class InvoiceLineFilter extends ConnectionFilter {
  @Field(() => String, { nullable: true, description: "A customer of the directory (Query.customers): its lines at every vendor." })
  customerId?: string | null;

  @Field(() => ID, { nullable: true })
  partnerId?: string | null;

  @Field(() => ID, { nullable: true })
  companyId?: string | null;
}

@InputType({ description: "Creates a trial MSP account at a Keeper distributor connection." })
export class CreateTrialAccountInput {
  @Field(() => ID)
  connectionId!: string;

  @Field(() => String)
  @Length(1, 200)
  name!: string;

  @Field(() => String, { description: "Receives the invitation e-mail." })
  @IsEmail({}, { message: "email must be a valid e-mail address" })
  email!: string;

  @Field(() => String, { description: "ISO 3166-1 alpha-2 country code, e.g. US." })
  @IsISO31661Alpha2({ message: "country must be an ISO 3166-1 alpha-2 code such as US" })
  country!: string;

  @Field(() => String, { description: "Your own id for the account (Keeper: vendorInternalId)." })
  @Length(1, 128)
  vendorInternalId!: string;

  @Field(() => String, { nullable: true, description: 'Country code followed by the number, e.g. "+1 9191919191".' })
  @IsOptional()
  @Matches(/^\+\d{1,3}[ -]?\d[\d -]{3,16}\d$/, { message: 'phone must be a country code followed by the number, e.g. "+1 9191919191"' })
  phone?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 20)
  zipCode?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 100)
  state?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 100)
  city?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 200)
  street?: string;

  @Field(() => Boolean, { nullable: true })
  @IsOptional()
  showPricingInMspConsole?: boolean;
}

@InputType({ description: "An account at a distributor connection, by your own id (Keeper: vendorInternalId)." })
export class AccountInput {
  @Field(() => ID)
  connectionId!: string;

  @Field(() => String)
  @Length(1, 128)
  vendorInternalId!: string;
}

@InputType({ description: "An account at a distributor connection, by the vendor's id (Keeper: partnerId)." })
export class VendorPartnerInput {
  @Field(() => ID)
  connectionId!: string;

  @Field(() => String)
  @Length(1, 128)
  vendorPartnerId!: string;
}
