/**
 * InvoiceLine's price book fields: cost (what the partner pays), resale (what the customer is billed),
 * margin, and how each was had. Cost, margin and the rules (a markup with the resale gives away the
 * cost) are for the partner only; the resale is what a company-scoped caller is billed, so it sees that.
 */
import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import { PartnerOnly } from "../../auth/roles";
import { reasonsOf, type LinePrice } from "../../pricing/price-book";
import type { GatewayContext } from "../context";
import type { LineNode } from "../nodes";
import { Money } from "../types/common.type";
import { InvoiceLine } from "../types/entities.type";
import { CostSource, LinePricing } from "../types/pricing.type";

/** Each line is priced once per request, whichever of its price fields are asked for. */
const priced = new WeakMap<GatewayContext, WeakMap<LineNode, LinePrice>>();

export function linePrice(ctx: GatewayContext, line: LineNode): LinePrice {
  let memo = priced.get(ctx);
  if (!memo) priced.set(ctx, (memo = new WeakMap()));
  let p = memo.get(line);
  if (!p) memo.set(line, (p = ctx.priceBook.price(line, ctx.directory.customerOfLine(line))));
  return p;
}

@Resolver(() => InvoiceLine)
export class InvoiceLinePricingResolver {
  @PartnerOnly()
  @FieldResolver(() => Money, {
    nullable: true,
    description: "What the line costs the partner, pre-tax: the vendor's amount where it gives one, else the price book's wholesale price × quantity (see costSource); null with pricing.reason when neither.",
  })
  cost(@Root() line: LineNode, @Ctx() ctx: GatewayContext) {
    return linePrice(ctx, line).cost;
  }

  @PartnerOnly()
  @FieldResolver(() => CostSource, { nullable: true })
  costSource(@Root() line: LineNode, @Ctx() ctx: GatewayContext) {
    return linePrice(ctx, line).costSource;
  }

  @FieldResolver(() => Money, {
    nullable: true,
    description: "What the customer is billed for the line, by the price book's resale rules (pricing.rule), rounded half-up to the currency's minor unit; null with pricing.reason when no rule prices it.",
  })
  resale(@Root() line: LineNode, @Ctx() ctx: GatewayContext) {
    return linePrice(ctx, line).resale;
  }

  @PartnerOnly()
  @FieldResolver(() => Money, { nullable: true, description: "resale − cost, when both exist in one currency (never across two)." })
  margin(@Root() line: LineNode, @Ctx() ctx: GatewayContext) {
    return linePrice(ctx, line).margin;
  }

  @PartnerOnly()
  @FieldResolver(() => LinePricing, { description: "The rule that priced the line and why a figure is missing." })
  pricing(@Root() line: LineNode, @Ctx() ctx: GatewayContext): LinePricing {
    const p = linePrice(ctx, line);
    return { rule: p.rule, costRule: p.costRule, reason: reasonsOf(p) };
  }
}
