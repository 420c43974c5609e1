/**
 * The MSP's customer directory (customers/): each customer is one company at several vendors, joined on
 * the vendors' own ids (Keeper companyId, Webex CUSTOMER_EXTERNAL_ID, Microsoft CustomerId). Links come
 * from the mapping file and from the mutations here (persisted: customers/store.ts); suggestions for
 * unlinked companies are only shown, never applied.
 */
import { Access, PartnerOnly } from "../../auth/roles";
import { Arg, Args, Ctx, Field, FieldResolver, Float, ID, Info, InputType, Int, Mutation, ObjectType, Query, Resolver, Root, registerEnumType } from "type-graphql";
import type { GraphQLResolveInfo } from "graphql";
import type { DirectoryCustomer } from "../../customers/directory";
import { Matcher, type Suggestion } from "../../customers/matching";
import { BadUserInputError } from "../../domain/errors";
import type { ExternalId, Vendor as VendorValue } from "../../domain/model";
import { linePages } from "../../domain/line-source";
import { periodOf, previousPeriod, type BillingPeriod } from "../../domain/period";
import type { GatewayContext } from "../context";
import { parseGlobalId } from "../ids";
import { companyNode, type CompanyNode, type InvoiceNode, type LineNode, type PartnerNode } from "../nodes";
import { paginate, type Page } from "../pagination";
import { BillingPeriodScalar } from "../scalars/billing-period.scalar";
import { CurrencyTotalsAccumulator } from "../../domain/currency-totals";
import { Connection, CurrencyTotal, ExternalId as ExternalIdType } from "../types/common.type";
import { RelayConnection } from "../types/connection.factory";
import { InvoiceLineConnection, ManagedCompany } from "../types/entities.type";
import { Vendor } from "../types/enums";
import { PageArgs } from "../types/inputs";
import { errorPathInfo, gather, rootPartnerNode, visibleConnectors } from "./access";
import { currencyTotal } from "./entities.resolver";
import { companiesOf, companyById, invoiceLinesAcross, lineSourcesAcross, partnersInScope, statementOf } from "./query.resolver";

@ObjectType({ description: "A customer of the MSP, as its own directory knows it, with its ids at each vendor." })
export class Customer {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true, description: "The customer's company id in the PSA (ConnectWise, Autotask...), from the mapping file." })
  psaCompanyId!: string | null;

  @Field(() => [ExternalIdType], { description: "The ids that join this customer's companies across vendors." })
  externalIds!: ExternalIdType[];
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

@ObjectType({ description: "A directory customer an unlinked company may be. Only a suggestion: linking is `linkCompany`." })
export class CustomerSuggestion {
  @Field(() => Customer)
  customer!: DirectoryCustomer;

  @Field(() => Float, { description: "0 to 1: exact vendor-id matches 0.85-0.95, names 0.5-0.7." })
  confidence!: number;

  @Field(() => String, { description: "What matched, in words (the id or the names compared)." })
  reason!: string;
}

@ObjectType({ description: "A managed company no directory customer is linked to, with the customers it may be." })
export class UnmappedCompany {
  @Field(() => ManagedCompany)
  company!: CompanyNode;

  @Field(() => [CustomerSuggestion], { description: "Strongest first; empty when nothing matched." })
  suggestions!: Suggestion[];
}

export const UnmappedCompanyConnection = RelayConnection("UnmappedCompany", UnmappedCompany);

@ObjectType({ description: "A customer that had lines at a connection last period and has none there in the period asked for." })
export class CustomerMissingFromVendor {
  @Field(() => Customer)
  customer!: DirectoryCustomer;

  @Field(() => Connection)
  connection!: Connection;

  @Field(() => Vendor)
  vendor!: VendorValue;

  @Field(() => BillingPeriodScalar)
  previousPeriod!: BillingPeriod;

  @Field(() => Int, { description: "The customer's lines at this connection in the previous period." })
  previousLineCount!: number;
}

export const CompanyNameSource = { VENDOR: "VENDOR", DIRECTORY: "DIRECTORY", VENDOR_ID: "VENDOR_ID" } as const;
registerEnumType(CompanyNameSource, {
  name: "CompanyNameSource",
  description: "Where a managed company's display name comes from.",
  valuesConfig: {
    VENDOR: { description: "The vendor's own name for it (for Webex: the report's customer name column)." },
    DIRECTORY: { description: "The name of the directory customer it is linked to (the vendor gave none)." },
    VENDOR_ID: { description: "Neither gave one: the vendor's id for it (Webex CUSTOMER_EXTERNAL_ID, else the org id)." },
  },
});

@InputType()
export class CompanyLinkInput {
  @Field(() => String, { description: "A customer of the directory." })
  customerId!: string;

  @Field(() => ID, { description: "A ManagedCompany id: its vendor ids (externalIds) are what is linked." })
  companyId!: string;
}

@InputType()
export class RenameCustomerInput {
  @Field(() => String)
  customerId!: string;

  @Field(() => String)
  name!: string;
}

@InputType()
export class CreateCustomerInput {
  @Field(() => String, { description: "1-64 letters, digits, '.', '_' or '-'; not already in the directory." })
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  psaCompanyId?: string | null;
}

/** Lines read per statement, a page at a time, while adding up a customer's month. */
const TOTALS_PAGE = 5000;

/** Every managed company in the caller's scope (a connection that fails degrades only its own part). */
async function companiesInScope(ctx: GatewayContext, info: GraphQLResolveInfo): Promise<CompanyNode[]> {
  const [listed, billed] = await Promise.all([gather(ctx, info, (await partnersInScope(ctx, info, {})).map((p) => () => companiesOf(ctx, p))), billedCompanies(ctx, info)]);
  return [...listed, ...billed];
}

/** Connections whose companies exist only on their invoices (Microsoft Partner Center lists none). */
const BILLED_ONLY = new Set(["microsoft-partner-billing"]);

/**
 * The companies of billed-only connections: those on the latest of the last two months' statements
 * (last month's invoice may not be issued yet), with the names and ids their lines give.
 */
async function billedCompanies(ctx: GatewayContext, info: GraphQLResolveInfo, connectionId?: string): Promise<CompanyNode[]> {
  const connectors = visibleConnectors(ctx).filter((c) => BILLED_ONLY.has(c.info.api) && (!connectionId || c.info.id === connectionId));
  return gather(
    ctx,
    info,
    connectors.map((c) => async () => {
      let period = previousPeriod(periodOf(new Date(ctx.now())));
      for (let i = 0; i < 2; i++, period = previousPeriod(period)) {
        const invoice = await statementOf(ctx, info, rootPartnerNode(c), period);
        if (invoice) return companiesOfStatement(invoice);
      }
      return [];
    }),
  );
}

function companiesOfStatement(invoice: InvoiceNode): CompanyNode[] {
  let found: Array<{ key: string; name: string | null; externalIds: ExternalId[] }>;
  if (invoice.store) {
    found = invoice.store.companies();
  } else {
    const byKey = new Map<string, { key: string; name: string | null; externalIds: ExternalId[] }>();
    for (const l of invoice.lines) if (l.companyKey !== null && !byKey.has(l.companyKey)) byKey.set(l.companyKey, { key: l.companyKey, name: l.companyName, externalIds: l.companyExternalIds });
    found = [...byKey.values()];
  }
  return found.map((c) =>
    companyNode(
      { connectionId: invoice.connectionId, vendor: invoice.vendor, partnerKey: invoice.partnerKey, key: c.key, name: c.name, plan: null, externalIds: c.externalIds, invitedUsers: null, maximumAllowedUsers: null, usage: [] },
      invoice.source,
    ),
  );
}

/** Where errors of a mutation's company lookup are filed. */
const COMPANY_LOOKUP = errorPathInfo("companyId");

/** The company a mutation names, from its vendor (its ids are what gets linked); BAD_USER_INPUT when the vendor does not know it. */
async function companyOf(ctx: GatewayContext, companyId: string): Promise<CompanyNode> {
  const parsed = parseGlobalId(companyId);
  if (typeof parsed === "string" || parsed.type !== "company") throw new BadUserInputError(`companyId: ${typeof parsed === "string" ? parsed : "expected a company id"}`);
  const connector = ctx.registry.get(parsed.connectionId);
  const company =
    connector && BILLED_ONLY.has(connector.info.api)
      ? ((await billedCompanies(ctx, COMPANY_LOOKUP, parsed.connectionId)).find((c) => c.id === companyId) ?? null)
      : await companyById(ctx, parsed.connectionId, parsed.keys[0], parsed.keys[1]);
  if (!company) throw new BadUserInputError(`companyId: no company "${companyId.slice(0, 120)}" at its vendor`);
  return company;
}

/** The ids of a company that join it: all it carries (Keeper companyId, Webex org id and CUSTOMER_EXTERNAL_ID, Microsoft CustomerId and domain). */
function linkableIds(company: CompanyNode): ExternalId[] {
  return company.externalIds.map((e) => ({ kind: e.kind, value: e.value }));
}

@Resolver(() => Customer)
export class CustomerResolver {
  @Access({ role: "billing:read" })
  @Query(() => [Customer], { description: "The customer directory: the mapping file's customers with the edits made here." })
  customers(@Ctx() ctx: GatewayContext): readonly DirectoryCustomer[] {
    return ctx.directory.customers;
  }

  @Access({ role: "billing:read" })
  @Query(() => Customer, { nullable: true })
  customer(@Ctx() ctx: GatewayContext, @Arg("id", () => String) id: string): DirectoryCustomer | null {
    return ctx.directory.get(id) ?? null;
  }

  @Access({ role: "billing:read" })
  @Query(() => UnmappedCompanyConnection, {
    description: "Managed companies in scope that no directory customer is linked to, each with the customers it may be (never linked automatically).",
  })
  async unmappedCompanies(@Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo, @Args() page: PageArgs): Promise<Page<UnmappedCompany>> {
    const unmapped = (await companiesInScope(ctx, info)).filter((c) => ctx.directory.customerOfLine({ companyExternalIds: c.externalIds }) === null);
    const matcher = new Matcher(ctx.directory);
    const result = paginate(unmapped, page.first, page.after);
    const wrap = (company: CompanyNode): UnmappedCompany => ({ company, suggestions: matcher.suggest(company) });
    return { ...result, nodes: result.nodes.map(wrap), edges: result.edges.map((e) => ({ cursor: e.cursor, node: wrap(e.node) })) } as Page<UnmappedCompany>;
  }

  @Access({ role: "billing:read" })
  @Query(() => [CustomerMissingFromVendor], {
    description:
      "Customers that had lines at a connection in the month before `period` and none there in `period`. A connection whose statement for either month could not be read is left out, with its error beside the data.",
  })
  async customersMissingFromVendor(
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("period", () => BillingPeriodScalar) period: BillingPeriod,
  ): Promise<CustomerMissingFromVendor[]> {
    const previous = previousPeriod(period);
    const partners = await partnersInScope(ctx, info, {});
    const [before, now] = await Promise.all([linesPerCustomer(ctx, info, partners, previous), linesPerCustomer(ctx, info, partners, period)]);
    const out: CustomerMissingFromVendor[] = [];
    for (const [connectionId, counts] of before.counts) {
      if (before.failed.has(connectionId) || now.failed.has(connectionId)) continue;
      const connector = ctx.registry.get(connectionId);
      if (!connector) continue;
      const current = now.counts.get(connectionId);
      for (const [customerId, count] of counts) {
        const customer = ctx.directory.get(customerId);
        if (customer && !current?.get(customerId)) {
          out.push({ customer, connection: { ...connector.info }, vendor: connector.info.vendor, previousPeriod: previous, previousLineCount: count });
        }
      }
    }
    return out.sort((a, b) => a.customer.name.localeCompare(b.customer.name) || a.connection.id.localeCompare(b.connection.id));
  }

  @Access({ role: "accounts:write" })
  @Mutation(() => Customer, { nullable: true, description: "Links a managed company (its vendor ids) to a directory customer; persisted." })
  async linkCompany(@Ctx() ctx: GatewayContext, @Arg("input", () => CompanyLinkInput) input: CompanyLinkInput): Promise<DirectoryCustomer> {
    const company = await companyOf(ctx, input.companyId);
    const customer = await ctx.customerDirectory.link(input.customerId, linkableIds(company));
    ctx.directory = await ctx.customerDirectory.snapshot();
    return customer;
  }

  @Access({ role: "accounts:write" })
  @Mutation(() => Customer, { nullable: true, description: "Unlinks a managed company from a directory customer (also a link from the mapping file); persisted." })
  async unlinkCompany(@Ctx() ctx: GatewayContext, @Arg("input", () => CompanyLinkInput) input: CompanyLinkInput): Promise<DirectoryCustomer> {
    const company = await companyOf(ctx, input.companyId);
    const customer = await ctx.customerDirectory.unlink(input.customerId, linkableIds(company));
    ctx.directory = await ctx.customerDirectory.snapshot();
    return customer;
  }

  @Access({ role: "accounts:write" })
  @Mutation(() => Customer, { nullable: true, description: "Renames a directory customer; persisted." })
  async renameCustomer(@Ctx() ctx: GatewayContext, @Arg("input", () => RenameCustomerInput) input: RenameCustomerInput): Promise<DirectoryCustomer> {
    const customer = await ctx.customerDirectory.rename(input.customerId, input.name);
    ctx.directory = await ctx.customerDirectory.snapshot();
    return customer;
  }

  @Access({ role: "accounts:write" })
  @Mutation(() => Customer, { nullable: true, description: "Adds a customer to the directory (one the mapping file does not have yet); persisted." })
  async createCustomer(@Ctx() ctx: GatewayContext, @Arg("input", () => CreateCustomerInput) input: CreateCustomerInput): Promise<DirectoryCustomer> {
    const customer = await ctx.customerDirectory.create(input.id, input.name, input.psaCompanyId ?? null);
    ctx.directory = await ctx.customerDirectory.snapshot();
    return customer;
  }

  @FieldResolver(() => [ManagedCompany], {
    description: "This customer's managed companies at every vendor in scope (a vendor that fails leaves out only its own, with its error).",
  })
  async companies(@Root() customer: DirectoryCustomer, @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo): Promise<CompanyNode[]> {
    if (customer.externalIds.length === 0) return [];
    return (await companiesInScope(ctx, info)).filter((c) => ctx.directory.customerOfLine({ companyExternalIds: c.externalIds })?.id === customer.id);
  }

  @FieldResolver(() => InvoiceLineConnection, { description: "This customer's invoice lines for a month at every vendor in scope." })
  invoiceLines(
    @Root() customer: DirectoryCustomer,
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("period", () => BillingPeriodScalar) period: BillingPeriod,
    @Args() page: PageArgs,
  ): Promise<Page<LineNode>> {
    return invoiceLinesAcross(ctx, info, period, page, { customerId: customer.id });
  }

  @FieldResolver(() => LineTotals, { description: "This customer's lines for a month at every vendor in scope, added up per currency." })
  async totals(
    @Root() customer: DirectoryCustomer,
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("period", () => BillingPeriodScalar) period: BillingPeriod,
  ): Promise<LineTotals> {
    const acc = new CurrencyTotalsAccumulator();
    let lines = 0;
    let withoutAmount = 0;
    for (const { invoice, filter } of (await lineSourcesAcross(ctx, info, period, { customerId: customer.id })) ?? []) {
      for await (const page of linePages(invoice.lineSource(), filter, TOTALS_PAGE)) {
        for (const line of page) {
          lines++;
          if (line.amount === null || line.currency === null) withoutAmount++;
          acc.add(line.currency, line.amount, line.tax, line.total);
        }
      }
    }
    return { lines, linesWithoutAmount: withoutAmount, byCurrency: acc.result().map(currencyTotal) };
  }
}

/** Lines of each directory customer per connection in one month; connections whose statement failed are listed apart (errors beside the data). */
async function linesPerCustomer(
  ctx: GatewayContext,
  info: GraphQLResolveInfo,
  partners: PartnerNode[],
  period: BillingPeriod,
): Promise<{ counts: Map<string, Map<string, number>>; failed: Set<string> }> {
  const counts = new Map<string, Map<string, number>>();
  const failed = new Set<string>();
  await Promise.all(
    partners.map(async (partner) => {
      try {
        const invoice = await statementOf(ctx, info, partner, period);
        if (!invoice) return;
        const perCustomer = counts.get(partner.connectionId) ?? new Map<string, number>();
        counts.set(partner.connectionId, perCustomer);
        for await (const page of linePages(invoice.lineSource(), {}, TOTALS_PAGE)) {
          for (const line of page) {
            const customer = line.companyKey === null ? null : ctx.directory.customerOfLine(line);
            if (customer) perCustomer.set(customer.id, (perCustomer.get(customer.id) ?? 0) + 1);
          }
        }
      } catch (err) {
        failed.add(partner.connectionId);
        // gather() turns the failure into the pathed error beside the data, as for any degraded part.
        await gather(ctx, info, [() => Promise.reject(err)]);
      }
    }),
  );
  return { counts, failed };
}

/** Every company carries a display name: the vendor's, else its directory customer's, else its vendor id. */
export function displayName(ctx: GatewayContext, company: CompanyNode): { name: string; source: keyof typeof CompanyNameSource } {
  if (company.name) return { name: company.name, source: "VENDOR" };
  const customer = ctx.directory.customerOfLine({ companyExternalIds: company.externalIds });
  if (customer) return { name: customer.name, source: "DIRECTORY" };
  const byKind = (kind: string) => company.externalIds.find((e) => e.kind === kind)?.value;
  return { name: byKind("webex.customerExternalId") ?? company.externalIds[0]?.value ?? company.key, source: "VENDOR_ID" };
}

@Resolver(() => ManagedCompany)
export class ManagedCompanyDirectoryResolver {
  @FieldResolver(() => String, { description: "Its display name: the vendor's, else the directory customer's it is linked to, else its vendor id (see nameSource)." })
  name(@Root() company: CompanyNode, @Ctx() ctx: GatewayContext): string {
    return displayName(ctx, company).name;
  }

  @FieldResolver(() => CompanyNameSource, { description: "Where `name` comes from." })
  nameSource(@Root() company: CompanyNode, @Ctx() ctx: GatewayContext): string {
    return displayName(ctx, company).source;
  }

  @PartnerOnly()
  @FieldResolver(() => Customer, { nullable: true, description: "The directory customer this company is linked to, if any." })
  customer(@Root() company: CompanyNode, @Ctx() ctx: GatewayContext): DirectoryCustomer | null {
    return ctx.directory.customerOfLine({ companyExternalIds: company.externalIds });
  }
}
