/**
 * Marketplace SaaS subscriptions (Microsoft): one subscription with its plans and pending operations,
 * lifecycle mutations that answer with the vendor's operation to follow, and the webhook events log.
 */
import { Access } from "../../auth/roles";
import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from "type-graphql";
import type { MeteredUsage, MeteringResult, OperationRecord, SaasSubscriptions } from "../../domain/connector";
import { BadUserInputError } from "../../domain/errors";
import { Dec } from "../../domain/money";
import type { Provenance } from "../../domain/model";
import type { Decimal } from "decimal.js";
import { listEvents } from "../../vendors/microsoft-marketplace/events";
import type { GatewayContext } from "../context";
import { globalId, parseGlobalId } from "../ids";
import { companyNode, productNode, subscriptionNode, type CompanyNode, type ProductNode, type SubscriptionNode } from "../nodes";
import { paginate } from "../pagination";
import { DecimalScalar } from "../scalars/decimal.scalar";
import { RelayConnection } from "../types/connection.factory";
import { ManagedCompany, Party, Product, Subscription, SubscriptionTerm, VendorObject } from "../types/entities.type";
import { MeteringStatus, OperationStatus } from "../types/enums";
import { PageArgs } from "../types/inputs";
import { connectorFor, visibleConnectors } from "./access";

@ObjectType({ description: "A change in progress at the vendor (a marketplace operation): follow it until its status is final." })
export class MarketplaceOperation extends VendorObject {
  @Field(() => String, { description: "The vendor's operation id." })
  externalId!: string;

  @Field(() => ID)
  subscriptionId!: string;

  @Field(() => String, { description: "ChangePlan, ChangeQuantity, Unsubscribe, Reinstate, Suspend, Renew..." })
  action!: string;

  @Field(() => OperationStatus)
  status!: string;

  @Field(() => String)
  rawStatus!: string;

  @Field(() => String, { nullable: true })
  planId!: string | null;

  @Field(() => DecimalScalar, { nullable: true })
  quantity!: unknown;

  @Field(() => Date, { nullable: true })
  timeStamp!: Date | null;

  @Field(() => String, { nullable: true })
  errorMessage!: string | null;

  @Field(() => Boolean, { description: "True once the status is final (SUCCEEDED, FAILED, CONFLICT)." })
  done!: boolean;
}

@ObjectType({ description: "A webhook event from the marketplace, as the gateway handled it." })
export class MarketplaceEvent {
  @Field(() => ID)
  connectionId!: string;

  @Field(() => String)
  operationId!: string;

  @Field(() => String)
  subscriptionId!: string;

  @Field(() => String)
  action!: string;

  @Field(() => String, { description: "RECEIVED (answered, being confirmed), ACCEPTED, REJECTED, NOTED, IGNORED_UNCONFIRMED or FAILED." })
  outcome!: string;

  @Field(() => String)
  detail!: string;

  @Field(() => String)
  receivedAt!: string;

  @Field(() => Int, { description: "How many times Microsoft delivered it (handled once)." })
  deliveries!: number;
}

const MarketplaceEventConnection = RelayConnection("MarketplaceEvent", MarketplaceEvent);

@ObjectType()
export class ResolvedPurchase {
  @Field(() => Subscription)
  subscription!: SubscriptionNode;

  @Field(() => String, { nullable: true })
  planId!: string | null;

  @Field(() => DecimalScalar, { nullable: true })
  quantity!: unknown;
}

@InputType()
class ResolvePurchaseTokenInput {
  @Field(() => ID)
  connectionId!: string;

  @Field(() => String, { description: "The token the landing page received (URL-encoded as it arrived, or decoded)." })
  marketplaceToken!: string;
}

@InputType()
class ActivateSubscriptionInput {
  @Field(() => ID)
  subscriptionId!: string;

  @Field(() => String)
  planId!: string;

  @Field(() => Int, { nullable: true, description: "Seats, for per-seat plans." })
  quantity?: number;
}

@InputType()
class ChangePlanInput {
  @Field(() => ID)
  subscriptionId!: string;

  @Field(() => String)
  planId!: string;
}

@InputType()
class ChangeQuantityInput {
  @Field(() => ID)
  subscriptionId!: string;

  @Field(() => Int)
  quantity!: number;
}

@InputType()
class SubscriptionRefInput {
  @Field(() => ID)
  subscriptionId!: string;
}

@InputType()
class AcknowledgeOperationInput {
  @Field(() => ID)
  operationId!: string;

  @Field(() => Boolean, { description: "true accepts the change (Success), false rejects it (Failure)." })
  accept!: boolean;
}

@InputType({ description: "Usage of a plan's custom metering dimension by one subscription, for one hour." })
class MarketplaceUsageInput {
  @Field(() => ID, { description: "A marketplace subscription's id." })
  subscriptionId!: string;

  @Field(() => String, { description: "The subscription's plan." })
  planId!: string;

  @Field(() => String, { description: "The custom dimension's id, as defined in the plan." })
  dimension!: string;

  @Field(() => DecimalScalar, { description: "Units consumed, above 0." })
  quantity!: Decimal;

  @Field(() => Date, { description: "Start of the hour the usage belongs to (UTC), within the last 24 hours: one event per subscription, dimension and hour." })
  effectiveStartTime!: Date;
}

@ObjectType({ description: "What the marketplace said of one metered usage event." })
export class MarketplaceUsageResult {
  @Field(() => Int, { description: "The event's place in what was sent (0 for a single event)." })
  index!: number;

  @Field(() => MeteringStatus)
  status!: string;

  @Field(() => String, { description: "The status as the vendor wrote it." })
  rawStatus!: string;

  @Field(() => String, { nullable: true, description: "The marketplace's id of the accepted event; for a DUPLICATE, of the one accepted before." })
  usageEventId!: string | null;

  @Field(() => String, { nullable: true, description: "Why it was not accepted, in the vendor's words (or the gateway's, when the call failed)." })
  message!: string | null;

  @Field(() => String, { nullable: true, description: "For UNCONFIRMED and NOT_SENT: the error code of the failed call (VENDOR_UNAVAILABLE, ...)." })
  errorCode!: string | null;

  @Field(() => ID)
  subscriptionId!: string;

  @Field(() => String)
  planId!: string;

  @Field(() => String)
  dimension!: string;

  @Field(() => DecimalScalar)
  quantity!: unknown;

  @Field(() => Date)
  effectiveStartTime!: Date;
}

/** Most events one reportMarketplaceUsageBatch takes (sent to the marketplace 25 at a time). */
export const MAX_USAGE_EVENTS = 500;

type OperationNode = OperationRecord & { id: string; externalId: string; subscriptionId: string; done: boolean };

function operationNode(op: OperationRecord): OperationNode {
  return {
    ...op,
    id: globalId("operation", op.connectionId, op.subscriptionKey, op.key),
    externalId: op.key,
    subscriptionId: globalId("subscription", op.connectionId, op.subscriptionKey),
    done: op.status === "SUCCEEDED" || op.status === "FAILED" || op.status === "CONFLICT",
  };
}

function saasFor(ctx: GatewayContext, connectionId: string): SaasSubscriptions {
  const connector = connectorFor(ctx, connectionId);
  if (!connector.saas) throw new BadUserInputError(`Connection "${connectionId}" (${connector.info.api}) has no SaaS subscriptions`);
  return connector.saas;
}

function subscriptionRef(ctx: GatewayContext, id: string): { saas: SaasSubscriptions; connectionId: string; key: string } {
  const parsed = parseGlobalId(id);
  if (typeof parsed === "string" || parsed.type !== "subscription") throw new BadUserInputError(`subscriptionId: "${id.slice(0, 80)}" is not a subscription id`);
  return { saas: saasFor(ctx, parsed.connectionId), connectionId: parsed.connectionId, key: parsed.keys[0] };
}

@Resolver(() => Subscription)
export class SubscriptionMarketplaceResolver {
  @FieldResolver(() => SubscriptionTerm, { nullable: true })
  term(@Root() s: SubscriptionNode) {
    return s.term ?? null;
  }

  @FieldResolver(() => Party, { nullable: true, description: "The buyer when it is not the company using it (a CSP)." })
  purchaser(@Root() s: SubscriptionNode) {
    return s.purchaser ?? null;
  }

  @FieldResolver(() => ManagedCompany, { nullable: true, description: "The company that uses it (the beneficiary tenant)." })
  async company(@Root() s: SubscriptionNode, @Ctx() ctx: GatewayContext): Promise<CompanyNode | null> {
    if (!s.companyKey || !s.partnerKey) return null;
    const usage = await ctx.loaders.loadUsage(s.connectionId, s.partnerKey);
    const company = usage.value.companies.find((c) => c.key === s.companyKey);
    return company ? companyNode(company, usage.source) : null;
  }

  @FieldResolver(() => [Product], { nullable: true, description: "Plans this subscription can move to, its own included (marketplaces)." })
  async plans(@Root() s: SubscriptionNode, @Ctx() ctx: GatewayContext): Promise<ProductNode[]> {
    const saas = connectorFor(ctx, s.connectionId).saas;
    if (!saas) return [];
    return (await saas.plans(ctx.call, s.key)).value.map(productNode);
  }

  @FieldResolver(() => [MarketplaceOperation], { nullable: true, description: "Operations waiting on the publisher (marketplaces)." })
  async pendingOperations(@Root() s: SubscriptionNode, @Ctx() ctx: GatewayContext): Promise<OperationNode[]> {
    const saas = connectorFor(ctx, s.connectionId).saas;
    if (!saas) return [];
    return (await saas.pendingOperations(ctx.call, s.key)).value.map(operationNode);
  }
}

@Resolver(() => MarketplaceOperation)
export class MarketplaceResolver {
  @Access({ role: "billing:read" })
  @Query(() => Subscription, { nullable: true })
  async subscription(@Ctx() ctx: GatewayContext, @Arg("id", () => ID) id: string): Promise<SubscriptionNode | null> {
    const parsed = parseGlobalId(id);
    if (typeof parsed === "string") return null;
    const connector = connectorFor(ctx, parsed.connectionId);
    if (connector.saas) {
      const { value, source } = await connector.saas.get(ctx.call, parsed.keys[0]);
      return subscriptionNode(value, source);
    }
    const subs = await ctx.loaders.loadSubPartners(parsed.connectionId, connector.rootPartner.key);
    const found = subs.value.find((p) => p.subscription?.key === parsed.keys[0])?.subscription;
    return found ? subscriptionNode(found, subs.source) : null;
  }

  @Access({ role: "billing:read" })
  @Query(() => MarketplaceOperation, { nullable: true, description: "A marketplace operation, fresh from the vendor: ask again until done." })
  async marketplaceOperation(@Ctx() ctx: GatewayContext, @Arg("id", () => ID) id: string): Promise<OperationNode | null> {
    const parsed = parseGlobalId(id);
    if (typeof parsed === "string") return null;
    const op = await saasFor(ctx, parsed.connectionId).getOperation(ctx.call, parsed.keys[0], parsed.keys[1]);
    return operationNode(op.value);
  }

  @Access({ role: "billing:read" })
  @Query(() => MarketplaceEventConnection, { description: "Marketplace webhook events and what the gateway did with each, newest first." })
  async marketplaceEvents(
    @Ctx() ctx: GatewayContext,
    @Args() page: PageArgs,
    @Arg("connectionId", () => ID, { nullable: true }) connectionId?: string | null,
  ) {
    const connectors = visibleConnectors(ctx, { connectionId }).filter((c) => c.saas);
    const events = (await Promise.all(connectors.map(async (c) => (await listEvents(ctx.cache, c.info.id)).map((e) => ({ ...e, connectionId: c.info.id }))))).flat();
    return paginate(events, page.first, page.after);
  }

  @Access({ role: "accounts:write" })
  @Mutation(() => ResolvedPurchase, { nullable: true, description: "Resolves a landing page's marketplace token to its subscription." })
  async resolvePurchaseToken(@Ctx() ctx: GatewayContext, @Arg("input", () => ResolvePurchaseTokenInput) input: ResolvePurchaseTokenInput) {
    const resolved = await saasFor(ctx, input.connectionId).resolve(ctx.call, input.marketplaceToken);
    return { subscription: subscriptionNode(resolved.subscription, fresh(ctx, input.connectionId)), planId: resolved.planId, quantity: resolved.quantity };
  }

  @Access({ role: "accounts:write" })
  @Mutation(() => Subscription, { nullable: true, description: "Activates a purchased subscription (billing starts): PENDING_FULFILLMENT_START → SUBSCRIBED." })
  async activateSubscription(@Ctx() ctx: GatewayContext, @Arg("input", () => ActivateSubscriptionInput) input: ActivateSubscriptionInput) {
    const ref = subscriptionRef(ctx, input.subscriptionId);
    if (input.quantity !== undefined && input.quantity !== null && input.quantity < 1) throw new BadUserInputError("quantity must be at least 1");
    await ref.saas.activate(ctx.call, ref.key, input.planId, input.quantity === undefined || input.quantity === null ? null : new Dec(input.quantity));
    const { value, source } = await ref.saas.get(ctx.call, ref.key);
    return subscriptionNode(value, source);
  }

  @Access({ role: "accounts:write" })
  @Mutation(() => MarketplaceOperation, { nullable: true, description: "Moves a subscription to another plan; follow the operation with marketplaceOperation(id)." })
  async changePlan(@Ctx() ctx: GatewayContext, @Arg("input", () => ChangePlanInput) input: ChangePlanInput) {
    const ref = subscriptionRef(ctx, input.subscriptionId);
    return operationNode(await ref.saas.changePlan(ctx.call, ref.key, input.planId));
  }

  @Access({ role: "accounts:write" })
  @Mutation(() => MarketplaceOperation, { nullable: true, description: "Changes the seats of a per-seat subscription; follow the operation with marketplaceOperation(id)." })
  async changeQuantity(@Ctx() ctx: GatewayContext, @Arg("input", () => ChangeQuantityInput) input: ChangeQuantityInput) {
    if (input.quantity < 1) throw new BadUserInputError("quantity must be at least 1");
    const ref = subscriptionRef(ctx, input.subscriptionId);
    return operationNode(await ref.saas.changeQuantity(ctx.call, ref.key, input.quantity));
  }

  @Access({ role: "accounts:write" })
  @Mutation(() => MarketplaceOperation, { nullable: true, description: "Cancels (unsubscribes) a subscription; follow the operation." })
  async cancelSubscription(@Ctx() ctx: GatewayContext, @Arg("input", () => SubscriptionRefInput) input: SubscriptionRefInput) {
    const ref = subscriptionRef(ctx, input.subscriptionId);
    return operationNode(await ref.saas.cancel(ctx.call, ref.key));
  }

  @Access({ role: "accounts:write" })
  @Mutation(() => MarketplaceOperation, { nullable: true, description: "Accepts or rejects a pending operation (a customer's change)." })
  async acknowledgeOperation(@Ctx() ctx: GatewayContext, @Arg("input", () => AcknowledgeOperationInput) input: AcknowledgeOperationInput) {
    const parsed = parseGlobalId(input.operationId);
    if (typeof parsed === "string" || parsed.type !== "operation") throw new BadUserInputError("operationId is not an operation id");
    return operationNode(await saasFor(ctx, parsed.connectionId).acknowledge(ctx.call, parsed.keys[0], parsed.keys[1], input.accept));
  }

  @FieldResolver(() => Subscription, { name: "subscription", nullable: true, description: "The subscription as the vendor reports it now." })
  async subscriptionNow(@Root() op: OperationNode, @Ctx() ctx: GatewayContext): Promise<SubscriptionNode | null> {
    const { value, source } = await saasFor(ctx, op.connectionId).get(ctx.call, op.subscriptionKey);
    return subscriptionNode(value, source);
  }
}

/** An event checked before anything is sent: what the marketplace would refuse anyway is refused here. */
function usageEvent(ctx: GatewayContext, input: MarketplaceUsageInput, where: string): { saas: SaasSubscriptions; connectionId: string; event: MeteredUsage } {
  const ref = subscriptionRef(ctx, input.subscriptionId);
  const text = (name: string, v: string) => {
    const t = v.trim();
    if (t === "" || t.length > 200) throw new BadUserInputError(`${where}.${name} must be 1 to 200 characters`);
    return t;
  };
  if (!input.quantity.gt(0)) throw new BadUserInputError(`${where}.quantity must be above 0`);
  const start = input.effectiveStartTime.getTime();
  const now = ctx.now();
  if (start > now) throw new BadUserInputError(`${where}.effectiveStartTime is in the future`);
  if (start < now - 24 * 3_600_000) throw new BadUserInputError(`${where}.effectiveStartTime is more than 24 hours ago: the marketplace takes the last 24 hours only`);
  return {
    saas: ref.saas,
    connectionId: ref.connectionId,
    event: { subscriptionKey: ref.key, planId: text("planId", input.planId), dimension: text("dimension", input.dimension), quantity: input.quantity, effectiveStartTime: input.effectiveStartTime },
  };
}

function usageResult(connectionId: string, index: number, r: MeteringResult): MarketplaceUsageResult {
  return {
    index,
    status: r.status,
    rawStatus: r.rawStatus,
    usageEventId: r.usageEventId,
    message: r.message,
    errorCode: r.errorCode,
    subscriptionId: globalId("subscription", connectionId, r.event.subscriptionKey),
    planId: r.event.planId,
    dimension: r.event.dimension,
    quantity: r.event.quantity,
    effectiveStartTime: r.event.effectiveStartTime,
  };
}

@Resolver(() => MarketplaceUsageResult)
export class MarketplaceMeteringResolver {
  @Access({ role: "accounts:write" })
  @Mutation(() => MarketplaceUsageResult, {
    description: "Reports one metered usage event (usageEvent). A duplicate or refused event is answered with its status, not as an error.",
  })
  async reportMarketplaceUsage(@Ctx() ctx: GatewayContext, @Arg("input", () => MarketplaceUsageInput) input: MarketplaceUsageInput): Promise<MarketplaceUsageResult> {
    const { saas, connectionId, event } = usageEvent(ctx, input, "input");
    return usageResult(connectionId, 0, await saas.reportUsage(ctx.call, event));
  }

  @Access({ role: "accounts:write" })
  @Mutation(() => [MarketplaceUsageResult], {
    description: `Reports metered usage events (batchUsageEvent, 25 at a time): a status per event, in the order sent. At most ${MAX_USAGE_EVENTS} events.`,
  })
  async reportMarketplaceUsageBatch(
    @Ctx() ctx: GatewayContext,
    @Arg("events", () => [MarketplaceUsageInput]) events: MarketplaceUsageInput[],
  ): Promise<MarketplaceUsageResult[]> {
    if (events.length === 0 || events.length > MAX_USAGE_EVENTS) throw new BadUserInputError(`events: 1 to ${MAX_USAGE_EVENTS} events`);
    const checked = events.map((e, i) => ({ index: i, ...usageEvent(ctx, e, `events[${i}]`) }));
    // One run of batches per connection; the answers go back in the order sent.
    const byConnection = new Map<string, typeof checked>();
    for (const c of checked) {
      const group = byConnection.get(c.connectionId);
      if (group) group.push(c);
      else byConnection.set(c.connectionId, [c]);
    }
    const out: MarketplaceUsageResult[] = new Array(events.length);
    for (const [connectionId, group] of byConnection) {
      const results = await group[0].saas.reportUsageBatch(ctx.call, group.map((g) => g.event));
      group.forEach((g, i) => (out[g.index] = usageResult(connectionId, g.index, results[i])));
    }
    return out;
  }
}

function fresh(ctx: GatewayContext, connectionId: string): Provenance {
  return { connectionId, vendor: connectorFor(ctx, connectionId).info.vendor, fetchedAt: new Date(ctx.now()), fromCache: false, ageSeconds: 0 };
}

