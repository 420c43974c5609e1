/**
 * Account lifecycle mutations (Keeper distributor). Input is validated before any upstream call; a
 * mutation is sent once, never retried; the affected cache entries are invalidated so the next read,
 * in this request or another, sees the new state.
 */
import { Access } from "../../auth/roles";
import { Arg, Ctx, Field, FieldResolver, ID, Mutation, ObjectType, Resolver, Root } from "type-graphql";
import type { AccountLifecycle, LifecycleResult, VendorConnector } from "../../domain/connector";
import { BadUserInputError } from "../../domain/errors";
import type { GatewayContext } from "../context";
import { subscriptionNode, type SubscriptionNode } from "../nodes";
import { Subscription } from "../types/entities.type";
import { AccountInput, CreateTrialAccountInput, VendorPartnerInput } from "../types/inputs";
import { connectorFor } from "./access";

@ObjectType()
export class CreateTrialAccountPayload {
  @Field(() => ID)
  connectionId!: string;

  @Field(() => String, { description: "The vendor's id for the new account (Keeper: partnerId); cancel and remove take it." })
  vendorPartnerId!: string;

  @Field(() => String, { nullable: true })
  contactFirstName!: string | null;

  @Field(() => String, { nullable: true })
  contactLastName!: string | null;

  @Field(() => String, { nullable: true })
  locale!: string | null;

  @Field(() => Subscription)
  subscription!: SubscriptionNode;
}

@ObjectType()
export class AccountLifecyclePayload {
  @Field(() => ID)
  connectionId!: string;

  @Field(() => String, { description: "The vendor's own confirmation message." })
  message!: string;

  /** The account's vendorInternalId when the input named it; used to read its new state. */
  accountKey!: string | null;
}

interface LifecycleConnector extends VendorConnector {
  lifecycle: AccountLifecycle;
}

function lifecycleConnector(ctx: GatewayContext, connectionId: string): LifecycleConnector {
  const connector = connectorFor(ctx, connectionId);
  if (!connector.lifecycle) {
    throw new BadUserInputError(`Connection "${connectionId}" (${connector.info.api}) has no account lifecycle operations`);
  }
  return connector as LifecycleConnector;
}

async function afterChange(ctx: GatewayContext, connectionId: string, result: LifecycleResult, accountKey: string | null) {
  ctx.loaders.forgetAccountReads();
  return { connectionId, message: result.message, accountKey };
}

@Resolver(() => AccountLifecyclePayload)
export class LifecycleResolver {
  @Access({ role: "accounts:write" })
  @Mutation(() => CreateTrialAccountPayload, { nullable: true, description: "Creates a trial account; Keeper e-mails an invitation (status PENDING)." })
  async createTrialAccount(
    @Ctx() ctx: GatewayContext,
    @Arg("input", () => CreateTrialAccountInput) input: CreateTrialAccountInput,
  ): Promise<CreateTrialAccountPayload> {
    const connector = lifecycleConnector(ctx, input.connectionId);
    const { connectionId, ...fields } = input;
    const created = await connector.lifecycle.createTrialAccount(ctx.call, { ...fields, country: fields.country.toUpperCase() });
    ctx.loaders.forgetAccountReads();
    return {
      connectionId,
      vendorPartnerId: created.vendorPartnerId,
      contactFirstName: created.contactFirstName,
      contactLastName: created.contactLastName,
      locale: created.locale,
      subscription: subscriptionNode(created.subscription, {
        connectionId,
        vendor: connector.info.vendor,
        fetchedAt: new Date(ctx.now()),
        fromCache: false,
        ageSeconds: 0,
      }),
    };
  }

  @Access({ role: "accounts:write" })
  @Mutation(() => AccountLifecyclePayload, { nullable: true, description: "Converts a trial account to paid (TRIAL → ACTIVE)." })
  async convertToPaid(@Ctx() ctx: GatewayContext, @Arg("input", () => AccountInput) input: AccountInput) {
    const result = await lifecycleConnector(ctx, input.connectionId).lifecycle.convertToPaid(ctx.call, input.vendorInternalId);
    return afterChange(ctx, input.connectionId, result, input.vendorInternalId);
  }

  @Access({ role: "accounts:write" })
  @Mutation(() => AccountLifecyclePayload, { nullable: true, description: "Re-activates an expired account within its data retention." })
  async activateExpiredAccount(@Ctx() ctx: GatewayContext, @Arg("input", () => AccountInput) input: AccountInput) {
    const result = await lifecycleConnector(ctx, input.connectionId).lifecycle.activateExpiredAccount(ctx.call, input.vendorInternalId);
    return afterChange(ctx, input.connectionId, result, input.vendorInternalId);
  }

  @Access({ role: "accounts:write" })
  @Mutation(() => AccountLifecyclePayload, { nullable: true, description: "Cancels a paid account (→ EXPIRED); billing stops at once." })
  async cancelPaidAccount(@Ctx() ctx: GatewayContext, @Arg("input", () => VendorPartnerInput) input: VendorPartnerInput) {
    const result = await lifecycleConnector(ctx, input.connectionId).lifecycle.cancelPaidAccount(ctx.call, input.vendorPartnerId);
    return afterChange(ctx, input.connectionId, result, null);
  }

  @Access({ role: "accounts:write" })
  @Mutation(() => AccountLifecyclePayload, { nullable: true, description: "Deletes a pending or conflicting account." })
  async removeAccount(@Ctx() ctx: GatewayContext, @Arg("input", () => VendorPartnerInput) input: VendorPartnerInput) {
    const result = await lifecycleConnector(ctx, input.connectionId).lifecycle.removeAccount(ctx.call, input.vendorPartnerId);
    return afterChange(ctx, input.connectionId, result, null);
  }

  @FieldResolver(() => Subscription, {
    nullable: true,
    description: "The account as the vendor reports it after the change (read fresh); null when the input named no vendorInternalId.",
  })
  async subscription(@Root() payload: AccountLifecyclePayload, @Ctx() ctx: GatewayContext): Promise<SubscriptionNode | null> {
    if (!payload.accountKey) return null;
    const connector = connectorFor(ctx, payload.connectionId);
    const subs = await ctx.loaders.loadSubPartners(payload.connectionId, connector.rootPartner.key);
    const found = subs.value.find((p) => p.key === payload.accountKey);
    return found?.subscription ? subscriptionNode(found.subscription, subs.source) : null;
  }
}
