/**
 * Marketplace SaaS subscriptions (Microsoft): one subscription with its plans and pending operations,
 * lifecycle mutations that answer with the vendor's operation to follow, and the webhook events log.
 */
import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from "type-graphql";
import type { OperationRecord, SaasSubscriptions } from "../../domain/connector";
import { BadUserInputError } from "../../domain/errors";
import { Dec } from "../../domain/money";
import type { Provenance } from "../../domain/model";
import { listEvents } from "../../vendors/microsoft-marketplace/events";
import type { GatewayContext } from "../context";
import { globalId, parseGlobalId } from "../ids";
import { companyNode, productNode, subscriptionNode, type CompanyNode, type ProductNode, type SubscriptionNode } from "../nodes";
import { paginate } from "../pagination";
import { DecimalScalar } from "../scalars/decimal.scalar";
import { RelayConnection } from "../types/connection.factory";
import { ManagedCompany, Party, Product, Subscription, SubscriptionTerm, VendorObject } from "../types/entities.type";
import { OperationStatus } from "../types/enums";
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

  @Field(() => String, { description: "ACCEPTED, REJECTED, NOTED, IGNORED_UNCONFIRMED or FAILED." })
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

  @Query(() => MarketplaceOperation, { nullable: true, description: "A marketplace operation, fresh from the vendor: ask again until done." })
  async marketplaceOperation(@Ctx() ctx: GatewayContext, @Arg("id", () => ID) id: string): Promise<OperationNode | null> {
    const parsed = parseGlobalId(id);
    if (typeof parsed === "string") return null;
    const op = await saasFor(ctx, parsed.connectionId).getOperation(ctx.call, parsed.keys[0], parsed.keys[1]);
    return operationNode(op.value);
  }

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

  @Mutation(() => ResolvedPurchase, { nullable: true, description: "Resolves a landing page's marketplace token to its subscription." })
  async resolvePurchaseToken(@Ctx() ctx: GatewayContext, @Arg("input", () => ResolvePurchaseTokenInput) input: ResolvePurchaseTokenInput) {
    const resolved = await saasFor(ctx, input.connectionId).resolve(ctx.call, input.marketplaceToken);
    return { subscription: subscriptionNode(resolved.subscription, fresh(ctx, input.connectionId)), planId: resolved.planId, quantity: resolved.quantity };
  }

  @Mutation(() => Subscription, { nullable: true, description: "Activates a purchased subscription (billing starts): PENDING_FULFILLMENT_START → SUBSCRIBED." })
  async activateSubscription(@Ctx() ctx: GatewayContext, @Arg("input", () => ActivateSubscriptionInput) input: ActivateSubscriptionInput) {
    const ref = subscriptionRef(ctx, input.subscriptionId);
    if (input.quantity !== undefined && input.quantity !== null && input.quantity < 1) throw new BadUserInputError("quantity must be at least 1");
    await ref.saas.activate(ctx.call, ref.key, input.planId, input.quantity === undefined || input.quantity === null ? null : new Dec(input.quantity));
    const { value, source } = await ref.saas.get(ctx.call, ref.key);
    return subscriptionNode(value, source);
  }

  @Mutation(() => MarketplaceOperation, { nullable: true, description: "Moves a subscription to another plan; follow the operation with marketplaceOperation(id)." })
  async changePlan(@Ctx() ctx: GatewayContext, @Arg("input", () => ChangePlanInput) input: ChangePlanInput) {
    const ref = subscriptionRef(ctx, input.subscriptionId);
    return operationNode(await ref.saas.changePlan(ctx.call, ref.key, input.planId));
  }

  @Mutation(() => MarketplaceOperation, { nullable: true, description: "Changes the seats of a per-seat subscription; follow the operation with marketplaceOperation(id)." })
  async changeQuantity(@Ctx() ctx: GatewayContext, @Arg("input", () => ChangeQuantityInput) input: ChangeQuantityInput) {
    if (input.quantity < 1) throw new BadUserInputError("quantity must be at least 1");
    const ref = subscriptionRef(ctx, input.subscriptionId);
    return operationNode(await ref.saas.changeQuantity(ctx.call, ref.key, input.quantity));
  }

  @Mutation(() => MarketplaceOperation, { nullable: true, description: "Cancels (unsubscribes) a subscription; follow the operation." })
  async cancelSubscription(@Ctx() ctx: GatewayContext, @Arg("input", () => SubscriptionRefInput) input: SubscriptionRefInput) {
    const ref = subscriptionRef(ctx, input.subscriptionId);
    return operationNode(await ref.saas.cancel(ctx.call, ref.key));
  }

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

function fresh(ctx: GatewayContext, connectionId: string): Provenance {
  return { connectionId, vendor: connectorFor(ctx, connectionId).info.vendor, fetchedAt: new Date(ctx.now()), fromCache: false, ageSeconds: 0 };
}

