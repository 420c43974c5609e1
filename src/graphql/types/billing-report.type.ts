import { Field, ID, InputType, ObjectType } from "type-graphql";
import { BillingPeriodScalar } from "../scalars/billing-period.scalar";
import { Provenance } from "./common.type";
import { BillingReportStatus, BillingReportType } from "./enums";
import { VendorObject } from "./entities.type";

@ObjectType({ description: "A problem the vendor reported for a report." })
export class VendorMessage {
  @Field(() => String)
  code!: string;

  @Field(() => String)
  message!: string;
}

@ObjectType({ description: "An asynchronous vendor billing report (Webex) that the gateway drives for the user." })
export class BillingReport extends VendorObject {
  @Field(() => String, { nullable: true, description: "The vendor's report id." })
  externalId!: string | null;

  @Field(() => BillingReportType)
  type!: string;

  @Field(() => String, { description: "First day covered (ISO date)." })
  periodStart!: string;

  @Field(() => String, { description: "Last day covered (ISO date)." })
  periodEnd!: string;

  @Field(() => BillingReportStatus)
  status!: string;

  @Field(() => [VendorMessage], { description: "The vendor's errors (a FAILED report says why)." })
  errors!: VendorMessage[];

  @Field(() => Date, { nullable: true })
  createdAt!: Date | null;

  @Field(() => Provenance)
  source!: Provenance;
}

@InputType()
export class RequestBillingReportInput {
  @Field(() => ID, { description: "The partner (or sub-partner) the report is for." })
  partnerId!: string;

  @Field(() => BillingPeriodScalar)
  period!: unknown;

  @Field(() => BillingReportType, { nullable: true, description: "Default CUSTOMER." })
  type?: "PARTNER" | "CUSTOMER" | "USER";

  @Field(() => Boolean, { nullable: true, description: "Delete an existing completed report and generate it again." })
  regenerate?: boolean;

  @Field(() => Boolean, { nullable: true, description: "Wait (within the request's time budget) for the report to complete; default false." })
  wait?: boolean;
}

@ObjectType()
export class DeleteBillingReportPayload {
  @Field(() => ID)
  id!: string;

  @Field(() => Boolean)
  deleted!: boolean;
}
