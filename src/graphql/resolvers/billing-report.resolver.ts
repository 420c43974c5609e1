/** Asynchronous vendor reports (Webex): list, get, request, delete; lines once complete; user-level lines. */
import { Access } from "../../auth/roles";
import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { BillingReports, ReportRecord, ReportType } from "../../domain/connector";
import { BadUserInputError, VendorError, type VendorErrorDetails } from "../../domain/errors";
import type { Provenance } from "../../domain/model";
import type { BillingPeriod } from "../../domain/period";
import type { GatewayContext } from "../context";
import { globalId, parseGlobalId } from "../ids";
import { lineNode, type CompanyNode, type LineNode, type PartnerNode } from "../nodes";
import { DEFAULT_PAGE_SIZE, pageAt, pageOffset, paginate, type Page } from "../pagination";
import { BillingPeriodScalar } from "../scalars/billing-period.scalar";
import { BillingReport, DeleteBillingReportPayload, RequestBillingReportInput } from "../types/billing-report.type";
import { InvoiceLineConnection, ManagedCompany, Partner } from "../types/entities.type";
import { PageArgs } from "../types/inputs";
import { connectorFor, findPartner } from "./access";

export type ReportNode = ReportRecord & { id: string; externalId: string | null; source: Provenance };

function reportNode(r: ReportRecord, source: Provenance): ReportNode {
  return { ...r, id: globalId("report", r.connectionId, r.key ?? `pending-${r.periodStart}`), externalId: r.key, source };
}

function reportsOf(ctx: GatewayContext, connectionId: string): BillingReports {
  const connector = connectorFor(ctx, connectionId);
  if (!connector.reports) throw new BadUserInputError(`Connection "${connectionId}" (${connector.info.api}) has no billing reports`);
  return connector.reports;
}

function now(ctx: GatewayContext, connectionId: string): Provenance {
  return { connectionId, vendor: connectorFor(ctx, connectionId).info.vendor, fetchedAt: new Date(ctx.now()), fromCache: false, ageSeconds: 0 };
}

function notReady(report: ReportNode, vendor: VendorErrorDetails["vendor"]): VendorError {
  const where = { vendor, connectionId: report.connectionId, reportId: report.key ?? undefined, reportStatus: report.status };
  if (report.status !== "FAILED") return new VendorError("VENDOR_REPORT_PENDING", where);
  const problems = report.errors.map((e) => `${e.code}: ${e.message}`);
  return new VendorError("VENDOR_REPORT_FAILED", { ...where, problems }, `The vendor could not generate the report: ${report.errors.map((e) => e.message).join("; ") || "no reason given"}`);
}

@Resolver(() => BillingReport)
export class BillingReportResolver {
  @Access({ role: "billing:read" })
  @Query(() => BillingReport, { nullable: true, description: "A billing report by id, with its current status." })
  async billingReport(@Ctx() ctx: GatewayContext, @Arg("id", () => ID) id: string): Promise<ReportNode | null> {
    const parsed = parseGlobalId(id);
    if (typeof parsed === "string") return null;
    const { value, source } = await reportsOf(ctx, parsed.connectionId).get(ctx.call, parsed.keys[0]);
    return reportNode(value, source);
  }

  @Access({ role: "billing:read" })
  @Mutation(() => BillingReport, {
    nullable: true,
    description:
      "Finds the report for the month (reusing one that exists) or has the vendor generate it. Ask billingReport(id) again while it is IN_PROGRESS, or pass wait: true.",
  })
  async requestBillingReport(
    @Ctx() ctx: GatewayContext,
    @Arg("input", () => RequestBillingReportInput) input: RequestBillingReportInput,
  ): Promise<ReportNode> {
    const parsed = parseGlobalId(input.partnerId);
    if (typeof parsed === "string") throw new BadUserInputError(`partnerId: ${parsed}`);
    const record = await reportsOf(ctx, parsed.connectionId).request(ctx.call, parsed.keys[0], input.period as BillingPeriod, (input.type ?? "CUSTOMER") as ReportType, {
      regenerate: input.regenerate ?? false,
      wait: input.wait ?? false,
    });
    return reportNode(record, now(ctx, parsed.connectionId));
  }

  @Access({ role: "admin" })
  @Mutation(() => DeleteBillingReportPayload, { nullable: true, description: "Deletes a report at the vendor; its download link stops working." })
  async deleteBillingReport(@Ctx() ctx: GatewayContext, @Arg("id", () => ID) id: string): Promise<DeleteBillingReportPayload> {
    const parsed = parseGlobalId(id);
    if (typeof parsed === "string") throw new BadUserInputError(`id: ${parsed}`);
    await reportsOf(ctx, parsed.connectionId).remove(ctx.call, parsed.keys[0]);
    return { id, deleted: true };
  }

  @FieldResolver(() => Partner, { nullable: true })
  partner(@Root() report: ReportNode, @Ctx() ctx: GatewayContext): Promise<PartnerNode | null> {
    return findPartner(ctx, report.connectionId, report.partnerKey);
  }

  @FieldResolver(() => InvoiceLineConnection, { nullable: true, description: "The report's rows as usage lines; an error while it is not COMPLETED." })
  async lines(
    @Root() report: ReportNode,
    @Ctx() ctx: GatewayContext,
    @Args() page: PageArgs,
    @Arg("companyId", () => ID, { nullable: true }) companyId?: string | null,
  ): Promise<Page<LineNode>> {
    // The lines belong to the status this answer shows: a report that completes between the two
    // vendor calls is read on the next ask, not mixed into an IN_PROGRESS answer.
    if (report.status !== "COMPLETED" || !report.key) throw notReady(report, connectorFor(ctx, report.connectionId).info.vendor);
    const { value, source } = await reportsOf(ctx, report.connectionId).reportLines(ctx.call, report.key);
    let lines = value.map((l) => lineNode(l, source));
    if (companyId) {
      const parsed = parseGlobalId(companyId);
      lines = typeof parsed === "string" ? [] : lines.filter((l) => l.companyKey === parsed.keys[1]);
    }
    return paginate(lines, page.first, page.after);
  }
}

@Resolver(() => Partner)
export class PartnerReportsResolver {
  @FieldResolver(() => [BillingReport], { nullable: true, description: "The partner's billing reports at the vendor (vendors with asynchronous reports)." })
  async billingReports(@Root() partner: PartnerNode, @Ctx() ctx: GatewayContext): Promise<ReportNode[]> {
    const reports = connectorFor(ctx, partner.connectionId).reports;
    if (!reports) return [];
    const { value, source } = await reports.list(ctx.call, partner.key);
    return value.map((r) => reportNode(r, source));
  }
}

@Resolver(() => ManagedCompany)
export class CompanyUserLinesResolver {
  @FieldResolver(() => InvoiceLineConnection, {
    nullable: true,
    description: "User-level lines (subscriber, user, workspace) of this company for a month, paged; vendors with user reports only.",
  })
  async userLines(
    @Root() company: CompanyNode,
    @Ctx() ctx: GatewayContext,
    @Arg("period", () => BillingPeriodScalar) period: BillingPeriod,
    @Args() page: PageArgs,
  ): Promise<Page<LineNode>> {
    const reports = connectorFor(ctx, company.connectionId).reports;
    if (!reports) return paginate([], page.first, page.after);
    const offset = pageOffset(page.after);
    // The connector streams the report and returns only this page, with the company's total.
    const { value, source } = await reports.userLines(ctx.call, company.partnerKey, company.key, period, offset, page.first ?? DEFAULT_PAGE_SIZE);
    return pageAt(value.lines.map((l) => lineNode(l, source)), offset, value.total);
  }
}
