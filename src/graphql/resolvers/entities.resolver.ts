/** Field resolvers: relations and vendor-backed fields of each entity. Vendor-backed fields are nullable. */
import { PartnerOnly } from "../../auth/roles";
import { Arg, Args, Ctx, FieldResolver, ID, Info, Resolver, Root } from "type-graphql";
import type { GraphQLResolveInfo } from "graphql";
import type { AggregateDimension as AggregateDimensionValue } from "../../domain/aggregate";
import type { Decimal } from "decimal.js";
import type { CurrencyTotals } from "../../domain/currency-totals";
import { Dec, money, moneyOrNull, moneyText } from "../../domain/money";
import { AggregateDimension, UnbilledPeriod } from "../types/enums";
import { VendorError } from "../../domain/errors";
import type { BillingPeriod } from "../../domain/period";
import type { GatewayContext } from "../context";
import { globalId, parseGlobalId } from "../ids";
import {
  companyFromLine,
  lineNode,
  partnerNode,
  productNode,
  subscriptionNode,
  usageNode,
  type CompanyNode,
  type InvoiceNode,
  type LineNode,
  type PartnerNode,
  type ProductNode,
  type SubscriptionNode,
  type UsageNode,
} from "../nodes";
import { DEFAULT_PAGE_SIZE, pageAt, pageOffset, paginate, type Page } from "../pagination";
import { BillingPeriodScalar } from "../scalars/billing-period.scalar";
import { DecimalScalar } from "../scalars/decimal.scalar";
import { Connection, CurrencyTotal, ExchangeRate, Money, Provenance, UnitPrice } from "../types/common.type";
import {
  Invoice,
  InvoiceAggregate,
  InvoiceLine,
  InvoiceLineConnection,
  ManagedCompany,
  ManagedCompanyConnection,
  Partner,
  PartnerConnection,
  Product,
  Reconciliation,
  Subscription,
  SubscriptionConnection,
  Usage,
} from "../types/entities.type";
import { PageArgs } from "../types/inputs";
import { connectorFor, findPartner, hasBillingData, pathOf, rootPartnerNode } from "./access";
import { companiesOf, invoiceLinesPage, statementOf } from "./query.resolver";

@Resolver(() => Partner)
export class PartnerResolver {
  @FieldResolver(() => Connection)
  connection(@Root() partner: PartnerNode, @Ctx() ctx: GatewayContext): Connection {
    return { ...connectorFor(ctx, partner.connectionId).info };
  }

  @FieldResolver(() => String, { nullable: true })
  async name(@Root() partner: PartnerNode, @Ctx() ctx: GatewayContext): Promise<string | null> {
    if (partner.name !== null) return partner.name;
    if (!hasBillingData(partner)) return null;
    // Keeper's Admin API names the MSP only in its usage bodies.
    return (await ctx.loaders.loadUsage(partner.connectionId, partner.key)).value.partnerName;
  }

  @FieldResolver(() => Partner, { nullable: true })
  async parent(@Root() partner: PartnerNode, @Ctx() ctx: GatewayContext): Promise<PartnerNode | null> {
    if (partner.parentKey === null) return null;
    const connector = connectorFor(ctx, partner.connectionId);
    if (connector.rootPartner.key === partner.parentKey) return rootPartnerNode(connector);
    return findPartner(ctx, partner.connectionId, partner.parentKey);
  }

  @FieldResolver(() => PartnerConnection, { nullable: true })
  async subPartners(@Root() partner: PartnerNode, @Ctx() ctx: GatewayContext, @Args() page: PageArgs): Promise<Page<PartnerNode>> {
    const subs = await ctx.loaders.loadSubPartners(partner.connectionId, partner.key);
    return paginate(
      subs.value.map((p) => partnerNode(p, subs.source)),
      page.first,
      page.after,
    );
  }

  @FieldResolver(() => Subscription, { nullable: true, description: "The partner's own account at its parent, if any." })
  subscription(@Root() partner: PartnerNode): SubscriptionNode | null {
    return partner.subscription && partner.source ? subscriptionNode(partner.subscription, partner.source) : null;
  }

  @FieldResolver(() => SubscriptionConnection, { nullable: true, description: "Accounts held through this partner (a distributor's MSPs)." })
  async subscriptions(@Root() partner: PartnerNode, @Ctx() ctx: GatewayContext, @Args() page: PageArgs): Promise<Page<SubscriptionNode>> {
    const subs = await ctx.loaders.loadSubPartners(partner.connectionId, partner.key);
    const nodes = subs.value.flatMap((p) => (p.subscription ? [subscriptionNode(p.subscription, subs.source)] : []));
    return paginate(nodes, page.first, page.after);
  }

  @FieldResolver(() => ManagedCompanyConnection, { nullable: true })
  async managedCompanies(
    @Root() partner: PartnerNode,
    @Ctx() ctx: GatewayContext,
    @Args() page: PageArgs,
    @Arg("nameContains", () => String, { nullable: true }) nameContains?: string | null,
  ): Promise<Page<CompanyNode>> {
    let companies = await companiesOf(ctx, partner);
    const needle = nameContains?.toLowerCase();
    if (needle) companies = companies.filter((c) => (c.name ?? "").toLowerCase().includes(needle));
    return paginate(companies, page.first, page.after);
  }

  @FieldResolver(() => [Usage], { nullable: true, description: "The partner's own current usage (e.g. an MSP's base licences)." })
  async currentUsage(@Root() partner: PartnerNode, @Ctx() ctx: GatewayContext): Promise<UsageNode[]> {
    if (!hasBillingData(partner)) return [];
    const usage = await ctx.loaders.loadUsage(partner.connectionId, partner.key);
    return usage.value.partnerUsage.map((u) => usageNode(u, partner.connectionId, partner.vendor));
  }

  @FieldResolver(() => [Product], { nullable: true })
  async products(@Root() partner: PartnerNode, @Ctx() ctx: GatewayContext): Promise<ProductNode[]> {
    return (await ctx.loaders.loadProducts(partner.connectionId)).value.map(productNode);
  }

  @FieldResolver(() => Invoice, { nullable: true, description: "The partner's statement for a month; null where the vendor has none." })
  invoice(
    @Root() partner: PartnerNode,
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("period", () => BillingPeriodScalar) period: BillingPeriod,
  ): Promise<InvoiceNode | null> {
    return statementOf(ctx, info, partner, period);
  }

  @FieldResolver(() => InvoiceLineConnection, {
    nullable: true,
    description: "Lines not billed yet (Microsoft Partner Center), paged; an empty page for vendors without them.",
  })
  async unbilledLines(
    @Root() partner: PartnerNode,
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
    @Args() page: PageArgs,
    @Arg("billingPeriod", () => UnbilledPeriod) billingPeriod: "current" | "last",
    @Arg("currency", () => String, { description: "The partner's billing currency, ISO 4217." }) currency: string,
    @Arg("companyId", () => ID, { nullable: true }) companyId?: string | null,
  ): Promise<Page<LineNode>> {
    const connector = connectorFor(ctx, partner.connectionId);
    if (!connector.unbilledLines || partner.parentKey !== null) return paginate([], page.first, page.after);
    const { value, source } = await connector.unbilledLines(ctx.call, billingPeriod, currency.toUpperCase());
    if (value.problems.length > 0) {
      ctx.partialErrors.push({
        error: new VendorError("VENDOR_BAD_RESPONSE", { vendor: partner.vendor, connectionId: partner.connectionId, problems: value.problems.slice(0, 100) }, `${value.problems.length} unbilled line(s) could not be read`),
        path: pathOf(info),
      });
    }
    let lines = value.lines.map((l) => lineNode(l, source));
    if (companyId) {
      const parsed = parseGlobalId(companyId);
      lines = typeof parsed === "string" ? [] : lines.filter((l) => l.companyKey === parsed.keys[1]);
    }
    return paginate(lines, page.first, page.after);
  }

  @FieldResolver(() => Provenance, { nullable: true, description: "Null for a connection's own partner, known from configuration." })
  source(@Root() partner: PartnerNode): PartnerNode["source"] {
    return partner.source;
  }
}

@Resolver(() => ManagedCompany)
export class ManagedCompanyResolver {
  @PartnerOnly()
  @FieldResolver(() => Partner, { nullable: true })
  partner(@Root() company: CompanyNode, @Ctx() ctx: GatewayContext): Promise<PartnerNode | null> {
    return findPartner(ctx, company.connectionId, company.partnerKey);
  }

  @FieldResolver(() => [Usage], { nullable: true, description: "Products in use now, with quantities." })
  async currentUsage(@Root() company: CompanyNode, @Ctx() ctx: GatewayContext): Promise<UsageNode[]> {
    const rows =
      company.usage ??
      (await ctx.loaders.loadUsage(company.connectionId, company.partnerKey)).value.companies.find((c) => c.key === company.key)?.usage ??
      [];
    return rows.map((u) => usageNode(u, company.connectionId, company.vendor));
  }

  @FieldResolver(() => [InvoiceLine], { nullable: true, description: "This company's invoice lines for a month." })
  async invoiceLines(
    @Root() company: CompanyNode,
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("period", () => BillingPeriodScalar) period: BillingPeriod,
  ): Promise<LineNode[]> {
    const partner = await findPartner(ctx, company.connectionId, company.partnerKey);
    const invoice = partner ? await statementOf(ctx, info, partner, period) : null;
    if (!invoice) return [];
    const filter = { companyKey: company.key };
    return (await invoiceLinesPage(invoice, filter, 0, await invoice.lineSource().count(filter))).lines;
  }

  @FieldResolver(() => Provenance)
  source(@Root() company: CompanyNode): CompanyNode["source"] {
    return company.source;
  }
}

@Resolver(() => Usage)
export class UsageResolver {
  @FieldResolver(() => Product)
  product(@Root() usage: UsageNode, @Ctx() ctx: GatewayContext): ProductNode {
    return productNode(connectorFor(ctx, usage.connectionId).productFor(usage.productKey, usage.reportedName));
  }
}

@Resolver(() => InvoiceLine)
export class InvoiceLineResolver {
  @PartnerOnly()
  @FieldResolver(() => Partner, { nullable: true })
  partner(@Root() line: LineNode, @Ctx() ctx: GatewayContext): Promise<PartnerNode | null> {
    return findPartner(ctx, line.connectionId, line.partnerKey);
  }

  @FieldResolver(() => ManagedCompany, { nullable: true, description: "Null for the partner's own consumption." })
  company(@Root() line: LineNode): CompanyNode | null {
    return companyFromLine(line);
  }

  @FieldResolver(() => Product)
  product(@Root() line: LineNode, @Ctx() ctx: GatewayContext): ProductNode {
    return productNode(connectorFor(ctx, line.connectionId).productFor(line.productKey, line.description));
  }

  @PartnerOnly()
  @FieldResolver(() => UnitPrice, { nullable: true, description: "In the currency the vendor prices in, which may differ from the line's currency (see exchangeRate)." })
  unitPrice(@Root() line: LineNode) {
    return moneyOrNull(line.unitPrice, line.unitPriceCurrency ?? line.currency);
  }

  @PartnerOnly()
  @FieldResolver(() => ExchangeRate, {
    nullable: true,
    description: "The vendor's rate from the unit price's currency to the line's (Partner Center PCToBCExchangeRate); null where the vendor gives none.",
  })
  exchangeRate(@Root() line: LineNode) {
    const r = line.exchangeRate;
    return r ? { fromCurrency: r.from, toCurrency: r.to, rate: r.rate, date: r.date } : null;
  }

  @PartnerOnly()
  @FieldResolver(() => Money, { nullable: true, description: "Pre-tax amount; null where the vendor gives none (never guessed)." })
  amount(@Root() line: LineNode) {
    return moneyOrNull(line.amount, line.currency);
  }

  @PartnerOnly()
  @FieldResolver(() => Money, { nullable: true, description: "Tax on the line, where the vendor reports it per line." })
  tax(@Root() line: LineNode) {
    return moneyOrNull(line.tax ?? null, line.currency);
  }

  @PartnerOnly()
  @FieldResolver(() => Money, { nullable: true, description: "The line's total as the vendor reports it, where it does." })
  total(@Root() line: LineNode) {
    return moneyOrNull(line.total ?? null, line.currency);
  }
}

@Resolver(() => Invoice)
export class InvoiceResolver {
  @FieldResolver(() => Partner, { nullable: true })
  partner(@Root() invoice: InvoiceNode, @Ctx() ctx: GatewayContext): Promise<PartnerNode | null> {
    return findPartner(ctx, invoice.connectionId, invoice.partnerKey);
  }

  @FieldResolver(() => InvoiceLineConnection)
  async lines(
    @Root() invoice: InvoiceNode,
    @Args() page: PageArgs,
    @Arg("companyId", () => ID, { nullable: true }) companyId?: string | null,
    @Arg("productId", () => String, { nullable: true, description: "The vendor's product id (Product.externalId)." }) productId?: string | null,
    @Arg("chargeType", () => String, { nullable: true }) chargeType?: string | null,
  ): Promise<Page<LineNode>> {
    let companyKey: string | undefined;
    if (companyId) {
      const parsed = parseGlobalId(companyId);
      if (typeof parsed === "string" || parsed.keys[0] !== invoice.partnerKey) return paginate([], page.first, page.after);
      companyKey = parsed.keys[1];
    }
    const offset = pageOffset(page.after);
    const { total, lines } = await invoiceLinesPage(invoice, { companyKey, productKey: productId, chargeType }, offset, page.first ?? DEFAULT_PAGE_SIZE);
    return pageAt(lines, offset, total);
  }

  @FieldResolver(() => [InvoiceAggregate], { description: "The lines added up per company, product or charge type." })
  aggregates(@Root() invoice: InvoiceNode, @Arg("by", () => AggregateDimension) by: AggregateDimensionValue) {
    return invoice.aggregates(by).map((g) => ({
      key: by === "COMPANY" && g.key !== "(partner)" ? globalId("company", invoice.connectionId, invoice.partnerKey, g.key) : g.key,
      label: g.label,
      lines: g.lines,
      quantity: g.quantity,
      subtotal: moneyOrNull(g.amount, g.currency),
      tax: moneyOrNull(g.tax, g.currency),
      total: moneyOrNull(g.total, g.currency),
      totals: g.byCurrency.map(currencyTotal),
    }));
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: "The statement's currency when all its figures are in one; null for a usage-only statement and for one in several currencies (see currencies and totals).",
  })
  currency(@Root() invoice: InvoiceNode): string | null {
    const currencies = invoiceCurrencies(invoice);
    return currencies.length === 1 ? currencies[0] : null;
  }

  @FieldResolver(() => [String], { description: "Every currency the statement's figures and lines are in (ISO 4217), in the order they first appear." })
  currencies(@Root() invoice: InvoiceNode): string[] {
    return invoiceCurrencies(invoice);
  }

  @FieldResolver(() => [CurrencyTotal], { description: "Subtotal, tax and total as the vendor reports them, one entry per currency (never added across currencies)." })
  totals(@Root() invoice: InvoiceNode) {
    const lines = invoice.currencyTotals();
    return invoiceCurrencies(invoice).map((currency) => {
      const r = invoice.reported.byCurrency.find((x) => x.currency === currency);
      return {
        currency,
        lines: lines.find((t) => t.currency === currency)?.lines ?? 0,
        subtotal: moneyOrNull(r?.subtotal ?? null, currency),
        tax: moneyOrNull(r?.tax ?? null, currency),
        total: moneyOrNull(r?.total ?? null, currency),
      };
    });
  }

  @FieldResolver(() => Money, { nullable: true, description: "Subtotal as the vendor reports it; null when the statement is in several currencies (see totals)." })
  subtotal(@Root() invoice: InvoiceNode) {
    return reportedFigure(invoice, "subtotal");
  }

  @FieldResolver(() => Money, { nullable: true, description: "Tax as the vendor reports it; null when the statement is in several currencies (see totals)." })
  tax(@Root() invoice: InvoiceNode) {
    return reportedFigure(invoice, "tax");
  }

  @FieldResolver(() => Money, { nullable: true, description: "Total as the vendor reports it; null when the statement is in several currencies (see totals)." })
  total(@Root() invoice: InvoiceNode) {
    return reportedFigure(invoice, "total");
  }

  @FieldResolver(() => Reconciliation)
  reconciliation(@Root() invoice: InvoiceNode) {
    const r = invoice.reconciliation();
    const currencies = invoiceCurrencies(invoice);
    const only = currencies.length === 1 ? currencies[0] : null;
    return {
      balanced: r.balanced,
      linesTotal: only === null ? null : money(r.linesTotals.find((t) => t.currency === only)?.amount ?? new Dec(0), only),
      linesTotals: r.linesTotals.map((t) => money(t.amount ?? new Dec(0), t.currency)),
      linesWithoutAmount: r.linesWithoutAmount,
      differences: r.differences.map((d) => ({
        ...d,
        // Money too: at the currency's minor unit, like every Money amount.
        reported: d.reported !== null && d.currency !== null ? moneyText(d.reported, d.currency) : d.reported,
        computed: d.currency !== null ? moneyText(d.computed, d.currency) : d.computed,
        difference: d.currency !== null ? moneyText(d.difference, d.currency) : d.difference,
        companyId: d.companyKey === null ? null : globalId("company", invoice.connectionId, invoice.partnerKey, d.companyKey),
        lineId: d.lineId === null ? null : globalId("line", invoice.connectionId, d.lineId),
      })),
    };
  }
}

/** Every currency of a statement: the vendor's figures', then its lines'; the statement's own when it has neither. */
function invoiceCurrencies(invoice: InvoiceNode): string[] {
  const set = new Set(invoice.reported.byCurrency.map((r) => r.currency));
  for (const t of invoice.currencyTotals()) set.add(t.currency);
  if (set.size === 0 && invoice.currency !== null) set.add(invoice.currency);
  return [...set];
}

/** One of the vendor's figures when the statement is in one currency: never one currency's figure for a mixed statement. */
function reportedFigure(invoice: InvoiceNode, which: "subtotal" | "tax" | "total") {
  const currencies = invoiceCurrencies(invoice);
  if (currencies.length !== 1) return null;
  const r = invoice.reported.byCurrency.find((x) => x.currency === currencies[0]);
  return moneyOrNull(r?.[which] ?? null, currencies[0]);
}

export function currencyTotal(t: CurrencyTotals) {
  return { currency: t.currency, lines: t.lines, subtotal: moneyOrNull(t.amount, t.currency), tax: moneyOrNull(t.tax, t.currency), total: moneyOrNull(t.total, t.currency) };
}

/** Every Money leaves at its currency's minor unit, whoever built it. */
@Resolver(() => Money)
export class MoneyResolver {
  @FieldResolver(() => DecimalScalar, {
    description: "Written at the currency's ISO 4217 minor unit (\"7060187.90\" for USD, \"1200\" for JPY); never rounded: an amount with more decimals keeps them.",
  })
  amount(@Root() m: { amount: Decimal; currency: string }): string {
    return moneyText(m.amount, m.currency);
  }
}

@Resolver(() => Subscription)
export class SubscriptionResolver {
  @FieldResolver(() => Provenance)
  source(@Root() subscription: SubscriptionNode): SubscriptionNode["source"] {
    return subscription.source;
  }
}
