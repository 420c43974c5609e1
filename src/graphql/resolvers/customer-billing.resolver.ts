/** Customer.billing: a customer's month across vendors, priced by the price book (src/pricing). */
import type { GraphQLResolveInfo } from "graphql";
import { Arg, Ctx, FieldResolver, Info, Resolver, Root } from "type-graphql";
import { linePages } from "../../domain/line-source";
import { moneyOrNull } from "../../domain/money";
import type { BillingPeriod } from "../../domain/period";
import { BillingAccumulator, type BillingCurrencyFigures, type BillingCurrencyTotals } from "../../pricing/billing";
import type { GatewayContext } from "../context";
import { BillingPeriodScalar } from "../scalars/billing-period.scalar";
import { CustomerBilling } from "../types/pricing.type";
import { connectorFor } from "./access";
import { Customer } from "./customer.resolver";
import { lineSourcesAcross } from "./query.resolver";

/** Lines read per statement, a page at a time. */
const BILLING_PAGE = 5000;

const figures = (t: BillingCurrencyFigures) => ({
  currency: t.currency,
  lines: t.lines,
  cost: moneyOrNull(t.cost, t.currency),
  resale: moneyOrNull(t.resale, t.currency),
  margin: moneyOrNull(t.margin, t.currency),
});
const totals = (t: BillingCurrencyTotals) => t.result().map(figures);

@Resolver(() => Customer)
export class CustomerBillingResolver {
  @FieldResolver(() => CustomerBilling, {
    description: "This customer's lines for a month at every vendor in scope, priced: cost, resale and margin per currency, by vendor and by product, and the lines that could not be priced.",
  })
  async billing(
    @Root() customer: { id: string },
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("period", () => BillingPeriodScalar) period: BillingPeriod,
  ): Promise<CustomerBilling> {
    const acc = new BillingAccumulator();
    const directoryCustomer = ctx.directory.get(customer.id) ?? null;
    for (const { invoice, filter } of (await lineSourcesAcross(ctx, info, period, { customerId: customer.id })) ?? []) {
      for await (const page of linePages(invoice.lineSource(), filter, BILLING_PAGE)) {
        for (const line of page) {
          // The line's own customer (the directory's join); the one asked for, whose filter selected it.
          acc.add(line, ctx.priceBook.price(line, ctx.directory.customerOfLine(line) ?? directoryCustomer));
        }
      }
    }
    return {
      period,
      lines: acc.totals.lines,
      totals: totals(acc.totals),
      byVendor: [...acc.byVendor].map(([vendor, t]) => ({ vendor, lines: t.lines, totals: totals(t) })),
      byProduct: [...acc.byProduct.values()].map((p) => ({
        vendor: p.vendor,
        connectionId: p.connectionId,
        productId: p.productKey,
        name: connectorFor(ctx, p.connectionId).productFor(p.productKey, p.description).name,
        lines: p.totals.lines,
        totals: totals(p.totals),
      })),
      unpriced: acc.unpriced.result(),
      withoutMargin: acc.withoutMargin.result(),
    };
  }
}
