/**
 * The MSP's customers across vendors (config `customers`): each is one company at several vendors,
 * joined on the vendors' own ids (Keeper companyId, Webex CUSTOMER_EXTERNAL_ID, Microsoft CustomerId).
 */
import { Access } from "../../auth/roles";
import { Arg, Args, Ctx, Field, FieldResolver, ID, Info, Int, ObjectType, Query, Resolver, Root } from "type-graphql";
import type { GraphQLResolveInfo } from "graphql";
import type { CustomerConfig } from "../../config";
import type { BillingPeriod } from "../../domain/period";
import type { GatewayContext } from "../context";
import type { LineNode } from "../nodes";
import type { Page } from "../pagination";
import { BillingPeriodScalar } from "../scalars/billing-period.scalar";
import { CurrencyTotalsAccumulator } from "../../domain/currency-totals";
import { CurrencyTotal, ExternalId } from "../types/common.type";
import { InvoiceLineConnection } from "../types/entities.type";
import { PageArgs } from "../types/inputs";
import { currencyTotal } from "./entities.resolver";
import { invoiceLinesAcross, lineSourcesAcross } from "./query.resolver";

@ObjectType({ description: "A customer of the MSP, as its own directory knows it, with its ids at each vendor." })
export class Customer {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => [ExternalId], { description: "The ids that join this customer's companies across vendors." })
  externalIds!: ExternalId[];
}

@ObjectType({ description: "Lines added up per currency: a total exists per currency, never across two." })
export class LineTotals {
  @Field(() => Int, { description: "Lines counted, with or without money." })
  lines!: number;

  @Field(() => Int, { description: "Lines without an amount (usage the vendor reports without money, e.g. Webex): in no currency's figures." })
  linesWithoutAmount!: number;

  @Field(() => [CurrencyTotal], { description: "One entry per currency, in the order the currencies first appear." })
  byCurrency!: CurrencyTotal[];
}

/** Lines read per statement, a page at a time, while adding up a customer's month. */
const TOTALS_PAGE = 5000;

@Resolver(() => Customer)
export class CustomerResolver {
  @Access({ role: "billing:read" })
  @Query(() => [Customer], { description: "The customer directory (configuration `customers`)." })
  customers(@Ctx() ctx: GatewayContext): CustomerConfig[] {
    return [...ctx.customers.values()];
  }

  @Access({ role: "billing:read" })
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

  @FieldResolver(() => LineTotals, { description: "This customer's lines for a month at every vendor in scope, added up per currency." })
  async totals(
    @Root() customer: CustomerConfig,
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("period", () => BillingPeriodScalar) period: BillingPeriod,
  ): Promise<LineTotals> {
    const acc = new CurrencyTotalsAccumulator();
    let lines = 0;
    let withoutAmount = 0;
    for (const { invoice, filter } of (await lineSourcesAcross(ctx, info, period, { customerId: customer.id })) ?? []) {
      const source = invoice.lineSource();
      const count = await source.count(filter);
      for (let offset = 0; offset < count; offset += TOTALS_PAGE) {
        for (const line of await source.page(filter, offset, TOTALS_PAGE)) {
          lines++;
          if (line.amount === null || line.currency === null) withoutAmount++;
          acc.add(line.currency, line.amount, line.tax, line.total);
        }
      }
    }
    return { lines, linesWithoutAmount: withoutAmount, byCurrency: acc.result().map(currencyTotal) };
  }
}
