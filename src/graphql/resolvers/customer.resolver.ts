/**
 * The MSP's customers across vendors (config `customers`): each is one company at several vendors,
 * joined on the vendors' own ids (Keeper companyId, Webex CUSTOMER_EXTERNAL_ID, Microsoft CustomerId).
 */
import { Arg, Args, Ctx, Field, FieldResolver, ID, Info, ObjectType, Query, Resolver, Root } from "type-graphql";
import type { GraphQLResolveInfo } from "graphql";
import type { CustomerConfig } from "../../config";
import type { BillingPeriod } from "../../domain/period";
import type { GatewayContext } from "../context";
import type { LineNode } from "../nodes";
import type { Page } from "../pagination";
import { BillingPeriodScalar } from "../scalars/billing-period.scalar";
import { ExternalId } from "../types/common.type";
import { InvoiceLineConnection } from "../types/entities.type";
import { PageArgs } from "../types/inputs";
import { invoiceLinesAcross } from "./query.resolver";

@ObjectType({ description: "A customer of the MSP, as its own directory knows it, with its ids at each vendor." })
export class Customer {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => [ExternalId], { description: "The ids that join this customer's companies across vendors." })
  externalIds!: ExternalId[];
}

@Resolver(() => Customer)
export class CustomerResolver {
  @Query(() => [Customer], { description: "The customer directory (configuration `customers`)." })
  customers(@Ctx() ctx: GatewayContext): CustomerConfig[] {
    return [...ctx.customers.values()];
  }

  @Query(() => Customer, { nullable: true })
  customer(@Ctx() ctx: GatewayContext, @Arg("id", () => String) id: string): CustomerConfig | null {
    return ctx.customers.get(id) ?? null;
  }

  @FieldResolver(() => InvoiceLineConnection, { description: "This customer's invoice lines for a month at every vendor in scope." })
  invoiceLines(
    @Root() customer: CustomerConfig,
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("period", () => BillingPeriodScalar) period: BillingPeriod,
    @Args() page: PageArgs,
  ): Promise<Page<LineNode>> {
    return invoiceLinesAcross(ctx, info, period, page, { customerId: customer.id });
  }
}
