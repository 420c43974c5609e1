/** Shared resolver plumbing: scope-checked connector lookup, partner trees, partial results. */
import { GraphQLError, type GraphQLResolveInfo } from "graphql";
import { scopeAllows, type VendorConnector } from "../../domain/connector";
import { BadUserInputError } from "../../domain/errors";
import type { Vendor } from "../../domain/model";
import type { GatewayContext } from "../context";
import { partnerNode, type PartnerNode } from "../nodes";

export function pathOf(info: GraphQLResolveInfo): Array<string | number> {
  const out: Array<string | number> = [];
  for (let p: GraphQLResolveInfo["path"] | undefined = info.path; p; p = p.prev) out.unshift(p.key);
  return out;
}

/** The connector of a connection the caller may see. Input is checked before execution; this is the last guard. */
export function connectorFor(ctx: GatewayContext, connectionId: string): VendorConnector {
  const connector = ctx.registry.get(connectionId);
  if (!connector || !scopeAllows(ctx.scope, connectionId)) throw new BadUserInputError(`Unknown connection "${connectionId}"`);
  return connector;
}

/**
 * Where errors of work done outside a GraphQL field's resolution (an export, a mutation's lookup) are
 * filed: the partial-error helpers read only `info.path`.
 */
export function errorPathInfo(key: string): GraphQLResolveInfo {
  return { path: { prev: undefined, key, typename: undefined } } as unknown as GraphQLResolveInfo;
}

/** Runs one task per connection or partner; failures degrade only their own part, as errors beside the data. */
export async function gather<T>(ctx: GatewayContext, info: GraphQLResolveInfo, tasks: Array<() => Promise<T[]>>): Promise<T[]> {
  const settled = await Promise.allSettled(tasks.map((t) => t()));
  const out: T[] = [];
  for (const s of settled) {
    if (s.status === "fulfilled") out.push(...s.value);
    else ctx.partialErrors.push({ error: asGraphQLError(s.reason), path: pathOf(info) });
  }
  return out;
}

function asGraphQLError(err: unknown): GraphQLError {
  return err instanceof GraphQLError ? err : new GraphQLError("Internal server error", { originalError: err instanceof Error ? err : undefined });
}

/** Accounts not activated yet, or activated elsewhere, have no usage or statement at this vendor (keeper.md B). */
export function hasBillingData(partner: PartnerNode): boolean {
  const status = partner.subscription?.status;
  return status !== "PENDING" && status !== "REGION_CONFLICT" && status !== "PRODUCT_CONFLICT";
}

export function rootPartnerNode(connector: VendorConnector): PartnerNode {
  return partnerNode(connector.rootPartner, null);
}

/** The partner tree of one connection, flattened: the root and its sub-partners. */
export async function partnerTree(ctx: GatewayContext, connector: VendorConnector, includeSubPartners: boolean): Promise<PartnerNode[]> {
  const root = rootPartnerNode(connector);
  if (!includeSubPartners) return [root];
  const subs = await ctx.loaders.loadSubPartners(connector.info.id, root.key);
  return [root, ...subs.value.map((p) => partnerNode(p, subs.source))];
}

export async function findPartner(ctx: GatewayContext, connectionId: string, key: string): Promise<PartnerNode | null> {
  const connector = connectorFor(ctx, connectionId);
  if (connector.rootPartner.key === key) return rootPartnerNode(connector);
  const subs = await ctx.loaders.loadSubPartners(connectionId, connector.rootPartner.key);
  const found = subs.value.find((p) => p.key === key);
  return found ? partnerNode(found, subs.source) : null;
}

export function visibleConnectors(ctx: GatewayContext, filter?: { vendor?: Vendor | null; connectionId?: string | null } | null) {
  return ctx.registry.visible(ctx.scope, filter ?? {});
}
