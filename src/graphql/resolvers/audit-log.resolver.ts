/** Query.auditLog: the mutations of the caller's tenant, newest first (admin only). */
import { Args, Ctx, Field, InputType, Int, ObjectType, Query, Resolver, Arg } from "type-graphql";
import { Access } from "../../auth/roles";
import type { StoredAuditEntry } from "../../audit/audit-log";
import type { GatewayContext } from "../context";
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor } from "../pagination";
import { PageInfo } from "../types/common.type";
import { PageArgs } from "../types/inputs";

@ObjectType({ description: "One mutation a caller sent, and how it ended." })
export class AuditEntry {
  @Field(() => Date, { description: "When the gateway answered." })
  at!: Date;

  @Field(() => String, { description: "The caller: its token's subject." })
  subject!: string;

  @Field(() => String, { nullable: true, description: "The managed company a company-scoped caller is limited to." })
  company!: string | null;

  @Field(() => String, { description: "The request id (x-request-id), as in the access log and the vendors' request ids." })
  requestId!: string;

  @Field(() => String, { nullable: true })
  operationName!: string | null;

  @Field(() => String, { description: "The mutation field, e.g. convertToPaid." })
  mutation!: string;

  @Field(() => String, { description: "Its arguments as JSON; values named like a token, secret or password are redacted." })
  arguments!: string;

  @Field(() => String, { description: "OK; NOT_RUN when another field of the request failed first; else the error code it ended with." })
  outcome!: string;

  @Field(() => String, { nullable: true })
  message!: string | null;
}

@ObjectType("AuditEntryEdge")
class AuditEntryEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => AuditEntry)
  node!: AuditEntry;
}

@ObjectType({ description: "A page of the audit log, newest first; stable while new entries arrive." })
export class AuditLogPage {
  @Field(() => [AuditEntryEdge])
  edges!: AuditEntryEdge[];

  @Field(() => [AuditEntry])
  nodes!: AuditEntry[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: "Entries matching the filter, across pages." })
  totalCount!: number;

  @Field(() => Boolean, { description: "False when the shared store could not be read: only entries still waiting in this instance are shown." })
  complete!: boolean;
}

@InputType()
export class AuditLogFilter {
  @Field(() => String, { nullable: true })
  subject?: string | null;

  @Field(() => String, { nullable: true })
  mutation?: string | null;

  @Field(() => String, { nullable: true, description: "OK, or an error code." })
  outcome?: string | null;
}

function asEntry(e: StoredAuditEntry): AuditEntry {
  return { ...e, at: new Date(e.at) };
}

@Resolver()
export class AuditLogResolver {
  @Access({ role: "admin" })
  @Query(() => AuditLogPage, { nullable: true, description: "Mutations sent by this tenant's callers, with who, what, when and the outcome, newest first." })
  async auditLog(
    @Ctx() ctx: GatewayContext,
    @Args() page: PageArgs,
    @Arg("filter", () => AuditLogFilter, { nullable: true }) filter?: AuditLogFilter | null,
  ): Promise<AuditLogPage> {
    const { entries, complete } = await ctx.audit.list(ctx.scope.tenant, filter ?? {});
    // A cursor is an entry's sequence number: the next page holds older entries, however many arrive meanwhile.
    const before = page.after ? (decodeCursor(page.after) as number) : Number.POSITIVE_INFINITY;
    const older = entries.filter((e) => e.seq < before);
    const slice = older.slice(0, page.first ?? DEFAULT_PAGE_SIZE);
    const edges = slice.map((e) => ({ cursor: encodeCursor(e.seq), node: asEntry(e) }));
    return {
      edges,
      nodes: edges.map((e) => e.node),
      pageInfo: {
        hasNextPage: older.length > slice.length,
        hasPreviousPage: older.length < entries.length,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      },
      totalCount: entries.length,
      complete,
    };
  }
}
