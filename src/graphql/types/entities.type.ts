/**
 * The schema's entities (DOMAIN.md). Fields that need other data (relations, vendor calls) are added
 * by the field resolvers in ../resolvers; these classes hold what the record itself carries.
 */
import { PartnerOnly } from "../../auth/roles";
import { Field, ID, Int, ObjectType } from "type-graphql";
import { BillingPeriodScalar } from "../scalars/billing-period.scalar";
import { DecimalScalar } from "../scalars/decimal.scalar";
import { Attribute, CurrencyTotal, ExternalId, Money, Provenance } from "./common.type";
import { RelayConnection } from "./connection.factory";
import { PartnerRole, ProductCategory, ReconciliationKind, SubscriptionStatus, Vendor } from "./enums";

/** What every vendor-backed record carries: its global id, the vendor and the connection it came from. */
@ObjectType()
export abstract class VendorObject {
  @Field(() => ID)
  id!: string;

  @Field(() => Vendor)
  vendor!: string;

  @Field(() => ID)
  connectionId!: string;
}

@ObjectType({ description: "An organisation that buys from a vendor and resells: a distributor, an MSP, a reseller." })
export class Partner extends VendorObject {

  @Field(() => PartnerRole)
  role!: string;

  @Field(() => [ExternalId])
  externalIds!: ExternalId[];
}

@ObjectType({ description: "A customer of a partner at one vendor." })
export class ManagedCompany extends VendorObject {

  @Field(() => String, { nullable: true })
  name!: string | null;

  @Field(() => String, { nullable: true, description: "The plan as the vendor names it." })
  plan!: string | null;

  @Field(() => [ExternalId], { description: "The vendor's ids for this company: what joins one customer across vendors." })
  externalIds!: ExternalId[];

  @Field(() => DecimalScalar, { nullable: true })
  invitedUsers!: unknown;

  @Field(() => DecimalScalar, { nullable: true })
  maximumAllowedUsers!: unknown;
}

@ObjectType({ description: "What a company or partner holds at a vendor (for Keeper distributors: a linked MSP account)." })
export class Subscription extends VendorObject {

  @Field(() => String, { description: "The vendor's id of the subscription or account (Keeper: vendorInternalId)." })
  externalId!: string;

  @Field(() => String, { nullable: true })
  name!: string | null;

  @Field(() => SubscriptionStatus)
  status!: string;

  @Field(() => String, { description: "The status exactly as the vendor sent it." })
  rawStatus!: string;

  @Field(() => String, { nullable: true })
  plan!: string | null;

  @Field(() => DecimalScalar, { nullable: true })
  quantity!: unknown;

  @Field(() => [ExternalId])
  externalIds!: ExternalId[];

  @Field(() => [Attribute], { description: "Vendor fields with no place in the model (e.g. accountRegion, productType)." })
  attributes!: Attribute[];

  @Field(() => String, { nullable: true, description: "The offer the plan belongs to (marketplaces)." })
  offer!: string | null;

  @Field(() => Boolean, { nullable: true })
  autoRenew!: boolean | null;

  @Field(() => Boolean, { nullable: true })
  isFreeTrial!: boolean | null;

  @Field(() => Boolean, { nullable: true })
  isTest!: boolean | null;
}

@ObjectType({ description: "A vendor catalogue item, keyed by the vendor's product id (names drift)." })
export class Product extends VendorObject {

  @Field(() => String, { description: "The vendor's product id." })
  externalId!: string;

  @Field(() => String, { nullable: true })
  sku!: string | null;

  @Field(() => String)
  name!: string;

  @Field(() => [String], { description: "Other names the vendor uses for this id." })
  aliases!: string[];

  @Field(() => String, { nullable: true })
  unit!: string | null;

  @Field(() => ProductCategory)
  category!: string;

  @Field(() => Boolean, { description: "False when the id is not in the vendor's published catalogue." })
  known!: boolean;
}

@ObjectType({ description: "A current quantity of a product (a snapshot, no money)." })
export class Usage {
  @Field(() => String, { nullable: true, description: "The product name the vendor reported on this row." })
  reportedName!: string | null;

  @Field(() => DecimalScalar)
  quantity!: unknown;

  @Field(() => String, { nullable: true, description: "The unit as the vendor reported it (inconsistent across endpoints)." })
  unit!: string | null;
}

@ObjectType({ description: "The vendor document and row a line was read from." })
export class SourceDocument {
  @Field(() => String)
  documentId!: string;

  @Field(() => String)
  rowRef!: string;
}

@ObjectType({ description: "A billed or billable amount for a period." })
export class InvoiceLine extends VendorObject {
  @Field(() => BillingPeriodScalar)
  period!: unknown;

  @Field(() => String, { nullable: true, description: "The product name the vendor printed on this line." })
  description!: string | null;

  @Field(() => DecimalScalar, { description: "May be fractional (daily-average licence counts, proration)." })
  quantity!: unknown;

  @Field(() => String, { nullable: true })
  unit!: string | null;

  @Field(() => String, {
    nullable: true,
    description: "The currency of amount, tax and total (the billing currency); null where the vendor reports usage without money (Webex). unitPrice carries its own.",
  })
  currency!: string | null;

  @Field(() => String, { nullable: true, description: "The vendor's subscription id, when it gives one." })
  subscriptionId!: string | null;

  @Field(() => String, { nullable: true, description: "The vendor's location id, when it gives one." })
  locationId!: string | null;

  // Vendor columns may carry what the partner pays (Partner Center's prices): the partner's only.
  @PartnerOnly()
  @Field(() => [Attribute], { description: "Vendor columns with no place in the model (user, workspace, service...)." })
  attributes!: Attribute[];

  @Field(() => String, { description: "First day charged (ISO date)." })
  chargeStart!: string;

  @Field(() => String, { description: "Last day charged (ISO date)." })
  chargeEnd!: string;

  @Field(() => String)
  chargeType!: string;

  @PartnerOnly()
  @Field(() => SourceDocument)
  sourceDocument!: SourceDocument;

  @Field(() => Provenance)
  source!: Provenance;
}

@ObjectType()
export class ReconciliationDifference {
  @Field(() => ReconciliationKind)
  kind!: string;

  @Field(() => String, { nullable: true, description: "The currency of reported, computed and difference." })
  currency!: string | null;

  @Field(() => ID, { nullable: true })
  companyId!: string | null;

  @Field(() => String, { nullable: true })
  companyName!: string | null;

  @Field(() => ID, { nullable: true })
  lineId!: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: "Null where the vendor reports no figure in this currency to check the lines against." })
  reported!: unknown;

  @Field(() => DecimalScalar, { description: "Money amounts (reported, computed, difference) are written at the currency's minor unit." })
  computed!: unknown;

  @Field(() => DecimalScalar, { description: "reported − computed" })
  difference!: unknown;

  @Field(() => String)
  message!: string;
}

@ObjectType({ description: "The vendor's reported totals checked against the exact sum of the lines." })
export class Reconciliation {
  @Field(() => Boolean, { description: "True when every reported figure equals what the lines add up to." })
  balanced!: boolean;

  @Field(() => Money, {
    nullable: true,
    description: "Exact sum of the line amounts when they are all in one currency; null for a statement without money (usage only) and for one whose lines are in several currencies (see linesTotals).",
  })
  linesTotal!: Money | null;

  @Field(() => [Money], { description: "Exact sum of the line amounts, one per currency, in the order the currencies first appear." })
  linesTotals!: Money[];

  @Field(() => Int, { description: "Lines with no amount (or no currency) from the vendor: in no sum." })
  linesWithoutAmount!: number;

  @Field(() => [ReconciliationDifference])
  differences!: ReconciliationDifference[];
}

@ObjectType({ description: "A partner's statement for a month at one connection, with totals as the vendor reports them." })
export class Invoice extends VendorObject {
  @Field(() => BillingPeriodScalar)
  period!: unknown;

  // currency, currencies and the totals: InvoiceResolver (they depend on the lines' currencies).

  @Field(() => String)
  documentId!: string;

  @Field(() => Provenance)
  source!: Provenance;
}

export const PartnerConnection = RelayConnection("Partner", Partner);
export const ManagedCompanyConnection = RelayConnection("ManagedCompany", ManagedCompany);
export const SubscriptionConnection = RelayConnection("Subscription", Subscription);
export const InvoiceLineConnection = RelayConnection("InvoiceLine", InvoiceLine);

@ObjectType({ description: "A subscription's current term." })
export class SubscriptionTerm {
  @Field(() => String, { nullable: true })
  start!: string | null;

  @Field(() => String, { nullable: true })
  end!: string | null;

  @Field(() => String, { nullable: true, description: "ISO 8601 duration, e.g. P1M, P1Y." })
  unit!: string | null;
}

@ObjectType({ description: "A buyer or user as the vendor identifies it." })
export class Party {
  @Field(() => String, { nullable: true })
  tenantId!: string | null;

  @Field(() => String, { nullable: true })
  objectId!: string | null;

  @Field(() => String, { nullable: true })
  email!: string | null;
}

@ObjectType({ description: "An invoice's lines added up per company, product or charge type (exact)." })
export class InvoiceAggregate {
  @Field(() => String)
  key!: string;

  @Field(() => String, { nullable: true })
  label!: string | null;

  @Field(() => Int)
  lines!: number;

  @Field(() => DecimalScalar)
  quantity!: unknown;

  @Field(() => Money, { nullable: true, description: "Pre-tax; null without money, and when the group's lines are in several currencies (see totals)." })
  subtotal!: Money | null;

  @Field(() => Money, { nullable: true, description: "Null without money, and across currencies." })
  tax!: Money | null;

  @Field(() => Money, { nullable: true, description: "Null without money, and across currencies." })
  total!: Money | null;

  @Field(() => [CurrencyTotal], { description: "The group's money, one entry per currency." })
  totals!: CurrencyTotal[];
}
