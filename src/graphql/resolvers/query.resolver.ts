import { Arg, Args, Ctx, ID, Info, Query, Resolver } from "type-graphql";
import { Access, AccessDeniedError } from "../../auth/roles";
import type { GraphQLResolveInfo } from "graphql";
import type { BillingPeriod } from "../../domain/period";
import type { GatewayContext } from "../context";
import { parseGlobalId, type ParsedId } from "../ids";
import {
  companyNode,
  invoiceNode,
  lineNode,
  productNode,
  subscriptionNode,
  type CompanyNode,
  type InvoiceNode,
  type LineNode,
  type PartnerNode,
  type ProductNode,
  type SubscriptionNode,
} from "../nodes";
import { DEFAULT_PAGE_SIZE, pageAt, pageOffset, paginate, type Page } from "../pagination";
import { pageAcross, type LineFilter } from "../../domain/line-source";
import { BillingPeriodScalar } from "../scalars/billing-period.scalar";
import { Connection } from "../types/common.type";
import {
  Invoice,
  InvoiceLineConnection,
  ManagedCompany,
  ManagedCompanyConnection,
  Partner,
  PartnerConnection,
  Product,
  SubscriptionConnection,
} from "../types/entities.type";
import { CompanyFilter, ConnectionFilter, InvoiceLineFilter, PageArgs, PartnerFilter, ProductFilter, SubscriptionFilter } from "../types/inputs";
import { BadUserInputError, VendorError } from "../../domain/errors";
import { connectorFor, findPartner, gather, hasBillingData, partnerTree, pathOf, visibleConnectors } from "./access";

function parsedAs(id: string, type: ParsedId["type"]): ParsedId | null {
  const parsed = parseGlobalId(id);
  return typeof parsed === "string" || parsed.type !== type ? null : parsed;
}

/** Partners in scope (roots and, by default, sub-partners); a connection whose tree fails degrades alone. */
export async function partnersInScope(
  ctx: GatewayContext,
  info: GraphQLResolveInfo,
  filter: { vendor?: PartnerFilter["vendor"]; connectionId?: string | null; partnerId?: string | null; includeSubPartners?: boolean | null },
): Promise<PartnerNode[]> {
  if (filter.partnerId) {
    const parsed = parsedAs(filter.partnerId, "partner");
    if (!parsed) return [];
    const partner = await findPartner(ctx, parsed.connectionId, parsed.keys[0]);
    return partner ? [partner] : [];
  }
  return gather(
    ctx,
    info,
    visibleConnectors(ctx, filter).map((c) => () => partnerTree(ctx, c, filter.includeSubPartners ?? true)),
  );
}

export async function companiesOf(ctx: GatewayContext, partner: PartnerNode): Promise<CompanyNode[]> {
  if (!hasBillingData(partner)) return [];
  const usage = await ctx.loaders.loadUsage(partner.connectionId, partner.key);
  return usage.value.companies.map((c) => companyNode(c, usage.source));
}

/**
 * A partner's statement for a month. Rows the vendor sent that could not be read are reported as a
 * VENDOR_BAD_RESPONSE error beside the data (with their row numbers): the good lines stay usable.
 */
export async function statementOf(ctx: GatewayContext, info: GraphQLResolveInfo, partner: PartnerNode, period: BillingPeriod): Promise<InvoiceNode | null> {
  if (!hasBillingData(partner)) return null;
  const statement = await ctx.loaders.loadStatement(partner.connectionId, partner.key, period);
  if (!statement.value) return null;
  if (statement.value.problems.length > 0) {
    ctx.partialErrors.push({
      error: new VendorError(
        "VENDOR_BAD_RESPONSE",
        { vendor: statement.value.vendor, connectionId: statement.value.connectionId, problems: statement.value.problems.slice(0, 100) },
        `${statement.value.problems.length} row(s) of ${statement.value.documentId} could not be read and are not in the lines`,
      ),
      path: pathOf(info),
    });
  }
  return invoiceNode(statement.value, statement.source);
}

/** A page of an invoice's lines (from memory or its compact store), and how many match in all. */
export async function invoiceLinesPage(invoice: InvoiceNode, filter: LineFilter, offset: number, limit: number): Promise<{ total: number; lines: LineNode[] }> {
  const source = invoice.lineSource();
  const [total, lines] = await Promise.all([source.count(filter), source.page(filter, offset, limit)]);
  return { total, lines: lines.map((l) => lineNode(l, invoice.source)) };
}

export async function companyById(ctx: GatewayContext, connectionId: string, partnerKey: string, companyKey: string): Promise<CompanyNode | null> {
  connectorFor(ctx, connectionId);
  const usage = await ctx.loaders.loadUsage(connectionId, partnerKey);
  const found = usage.value.companies.find((c) => c.key === companyKey);
  return found ? companyNode(found, usage.source) : null;
}

/** A company-scoped caller asks only about its own company. */
export function assertOwnCompany(ctx: GatewayContext, connectionId: string, partnerKey: string, companyKey: string): void {
  const own = ctx.scope.company;
  if (own && (own.connectionId !== connectionId || own.partnerKey !== partnerKey || own.companyKey !== companyKey)) {
    throw new AccessDeniedError("A company-scoped caller sees only its own company", { companyScoped: true });
  }
}

/** A company-scoped caller's lines are its company's: the filter is narrowed to it, and may not point elsewhere. */
function ownLineFilter(ctx: GatewayContext, filter: InvoiceLineFilter | null | undefined): InvoiceLineFilter | null | undefined {
  const own = ctx.scope.company;
  if (!own) return filter;
  if (filter?.partnerId || filter?.customerId || (filter?.companyId && filter.companyId !== own.id)) {
    throw new AccessDeniedError("A company-scoped caller sees only its own company's lines", { companyScoped: true });
  }
  return { ...filter, companyId: own.id } as InvoiceLineFilter;
}

@Resolver()
export class QueryResolver {
  @Access({ role: "billing:read" })
  @Query(() => [Connection], { description: "The connections this caller may see." })
  connections(@Ctx() ctx: GatewayContext): Connection[] {
    return visibleConnectors(ctx).map((c) => ({ ...c.info }));
  }

  @Access({ role: "billing:read" })
  @Query(() => PartnerConnection, { description: "Partners in scope: each connection's own partner and its sub-partners." })
  async partners(
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
    @Args() page: PageArgs,
    @Arg("filter", () => PartnerFilter, { nullable: true }) filter?: PartnerFilter | null,
  ): Promise<Page<PartnerNode>> {
    return paginate(await partnersInScope(ctx, info, filter ?? {}), page.first, page.after);
  }

  @Access({ role: "billing:read" })
  @Query(() => Partner, { nullable: true })
  async partner(@Ctx() ctx: GatewayContext, @Arg("id", () => ID) id: string): Promise<PartnerNode | null> {
    const parsed = parsedAs(id, "partner");
    return parsed ? findPartner(ctx, parsed.connectionId, parsed.keys[0]) : null;
  }

  @Access({ role: "billing:read", company: true })
  @Query(() => ManagedCompanyConnection, { description: "Managed companies of every partner in scope." })
  async managedCompanies(
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
    @Args() page: PageArgs,
    @Arg("filter", () => CompanyFilter, { nullable: true }) filter?: CompanyFilter | null,
  ): Promise<Page<CompanyNode>> {
    // A company-scoped caller's list is its one company.
    const own = ctx.scope.company;
    let companies = own
      ? [await companyById(ctx, own.connectionId, own.partnerKey, own.companyKey)].filter((c): c is CompanyNode => c !== null)
      : await gather(ctx, info, (await partnersInScope(ctx, info, filter ?? {})).map((p) => () => companiesOf(ctx, p)));
    const needle = filter?.nameContains?.toLowerCase();
    if (needle) companies = companies.filter((c) => (c.name ?? "").toLowerCase().includes(needle));
    return paginate(companies, page.first, page.after);
  }

  @Access({ role: "billing:read", company: true })
  @Query(() => ManagedCompany, { nullable: true })
  async managedCompany(@Ctx() ctx: GatewayContext, @Arg("id", () => ID) id: string): Promise<CompanyNode | null> {
    const parsed = parsedAs(id, "company");
    if (!parsed) return null;
    const [partnerKey, companyKey] = parsed.keys;
    assertOwnCompany(ctx, parsed.connectionId, partnerKey, companyKey);
    return companyById(ctx, parsed.connectionId, partnerKey, companyKey);
  }

  @Access({ role: "billing:read" })
  @Query(() => SubscriptionConnection, { description: "Accounts and subscriptions held through partners in scope." })
  async subscriptions(
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
    @Args() page: PageArgs,
    @Arg("filter", () => SubscriptionFilter, { nullable: true }) filter?: SubscriptionFilter | null,
  ): Promise<Page<SubscriptionNode>> {
    const partners = await partnersInScope(ctx, info, filter ?? {});
    const accounts = partners.filter((p) => p.subscription && p.source).map((p) => subscriptionNode(p.subscription!, p.source!));
    // Marketplace SaaS subscriptions come from their own API, every page.
    const saas = await gather(
      ctx,
      info,
      visibleConnectors(ctx, filter).flatMap((c) =>
        c.saas ? [async () => { const { value, source } = await c.saas!.list(ctx.call); return value.map((s) => subscriptionNode(s, source)); }] : [],
      ),
    );
    const statuses = filter?.status?.length ? new Set(filter.status) : null;
    const subs = [...accounts, ...saas]
      .filter((s) => !statuses || statuses.has(s.status))
      .filter((s) => !filter?.offer || s.offer === filter.offer)
      .filter((s) => !filter?.plan || s.plan === filter.plan);
    return paginate(subs, page.first, page.after);
  }

  @Access({ role: "billing:read" })
  @Query(() => [Product], { description: "Product catalogues of the connections in scope, keyed by vendor product id." })
  async products(
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("filter", () => ProductFilter, { nullable: true }) filter?: ProductFilter | null,
  ): Promise<ProductNode[]> {
    const all = await gather(
      ctx,
      info,
      visibleConnectors(ctx, filter).map((c) => async () => (await ctx.loaders.loadProducts(c.info.id)).value.map(productNode)),
    );
    return filter?.category ? all.filter((p) => p.category === filter.category) : all;
  }

  @Access({ role: "billing:read" })
  @Query(() => Invoice, { nullable: true, description: "One partner's statement for a month." })
  async invoice(
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("partnerId", () => ID) partnerId: string,
    @Arg("period", () => BillingPeriodScalar) period: BillingPeriod,
  ): Promise<InvoiceNode | null> {
    const parsed = parsedAs(partnerId, "partner");
    if (!parsed) return null;
    const partner = await findPartner(ctx, parsed.connectionId, parsed.keys[0]);
    return partner ? statementOf(ctx, info, partner, period) : null;
  }

  @Access({ role: "billing:read" })
  @Query(() => [Invoice], { description: "Every statement for a month across the partners in scope." })
  async invoices(
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("period", () => BillingPeriodScalar) period: BillingPeriod,
    @Arg("filter", () => ConnectionFilter, { nullable: true }) filter?: ConnectionFilter | null,
  ): Promise<InvoiceNode[]> {
    const partners = await partnersInScope(ctx, info, filter ?? {});
    return gather(ctx, info, partners.map((p) => async () => {
      const inv = await statementOf(ctx, info, p, period);
      return inv ? [inv] : [];
    }));
  }

  @Access({ role: "billing:read", company: true })
  @Query(() => InvoiceLineConnection, {
    description: "Invoice lines for a month across the partners in scope, filterable by vendor, connection, partner and company.",
  })
  async invoiceLines(
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("period", () => BillingPeriodScalar) period: BillingPeriod,
    @Args() page: PageArgs,
    @Arg("filter", () => InvoiceLineFilter, { nullable: true }) filter?: InvoiceLineFilter | null,
  ): Promise<Page<LineNode>> {
    return invoiceLinesAcross(ctx, info, period, page, ownLineFilter(ctx, filter));
  }
}

/** Invoice lines for a month across the partners in scope; used by Query.invoiceLines and Customer.invoiceLines. */
export async function invoiceLinesAcross(
  ctx: GatewayContext,
  info: GraphQLResolveInfo,
  period: BillingPeriod,
  page: PageArgs,
  filter?: InvoiceLineFilter | null,
): Promise<Page<LineNode>> {
  const offset = pageOffset(page.after);
  const sources = await lineSourcesAcross(ctx, info, period, filter);
  if (!sources) return paginate([], page.first, page.after);
  const { total, items } = await pageAcross(sources.map((s) => ({ source: s.invoice.lineSource(), filter: s.filter })), offset, page.first ?? DEFAULT_PAGE_SIZE);
  return pageAt(items.map(({ sourceIndex, line }) => lineNode(line, sources[sourceIndex].invoice.source)), offset, total);
}

/**
 * The statements of the month that hold lines matching the filter, each with the filter its lines are
 * read with; null when the filter can match nothing (a company id of another kind).
 */
export async function lineSourcesAcross(
  ctx: GatewayContext,
  info: GraphQLResolveInfo,
  period: BillingPeriod,
  filter?: InvoiceLineFilter | null,
): Promise<Array<{ invoice: InvoiceNode; filter: LineFilter }> | null> {
  const customer = filter?.customerId ? ctx.directory.get(filter.customerId) : undefined;
  if (filter?.customerId && !customer) throw new BadUserInputError(`Unknown customer "${filter.customerId.slice(0, 64)}"`);
  const company = filter?.companyId ? parsedAs(filter.companyId, "company") : null;
  if (filter?.companyId && !company) return null;
  const partnerId = company ? undefined : filter?.partnerId;
  const partners = company
    ? [await findPartner(ctx, company.connectionId, company.keys[0])].filter((p): p is PartnerNode => p !== null)
    : await partnersInScope(ctx, info, { ...filter, partnerId });
  // Each statement's lines stay where they are (memory or a compact store); pages are read across them.
  const invoices = await gather(ctx, info, partners.map((p) => async () => {
    const inv = await statementOf(ctx, info, p, period);
    return inv ? [inv] : [];
  }));
  const lineFilter: LineFilter = { ...(company ? { companyKey: company.keys[1] } : {}), ...(customer ? { externalIds: customer.externalIds } : {}) };
  return invoices.map((invoice) => ({ invoice, filter: lineFilter }));
}
