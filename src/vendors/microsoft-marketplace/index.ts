/**
 * Microsoft commercial marketplace, SaaS Fulfillment API v2 (microsoft-marketplace.md). Every call
 * carries api-version=2018-08-31, an Entra client-credentials bearer token, x-ms-requestid (new per
 * call) and x-ms-correlationid (the GraphQL request's id, set by the upstream layer); both come back in the answer and are logged.
 * Reads go through the scoped cache; changes (PATCH/DELETE → 202 + Operation-Location) are never
 * retried blindly and invalidate the subscription's cached data.
 */
import { randomUUID } from "node:crypto";
import type { CallContext, MeteredUsage, MeteringResult, OperationRecord, SaasSubscriptions, VendorConnector } from "../../domain/connector";
import { BadUserInputError, VendorError } from "../../domain/errors";
import type { Decimal } from "decimal.js";
import type { ConnectionInfo, PartnerRecord, ProductRecord, Sourced, SubscriptionRecord, UsageSnapshot } from "../../domain/model";
import type { Secret } from "../../domain/secret";
import { pathOf, type UpstreamRequest, type UpstreamResponse } from "../../http/upstream";
import { cachedRead, createUpstream, listOf, localProvenance, rootPartnerRecord, warnUnknown, type ConnectorDeps } from "../connector-kit";
import { EntraTokenSource } from "./auth";
import { companiesOf, mapOperation, mapPlan, mapSubscription, MARKETPLACE_PUBLISHER, quantityOf } from "./mapper";
import { meteringMessage, meteringResult, meteringStatusOf, usageEventBody } from "./metering";
import { MARKETPLACE_API_VERSION, MARKETPLACE_RESOURCE, MAX_USAGE_BATCH, type MsBatchUsageResult, type MsMeteringError, type MsOperation, type MsPlan, type MsResolved, type MsSubscription, type MsSubscriptionPage, type MsUsageEventResult } from "./wire";

export interface MarketplaceWebhookConfig {
  jwksUrl: string;
  issuer: string;
  /** The publisher's app id (from the offer's technical configuration). */
  audience: string;
  /** The tenant the tokens must come from (`tid`). */
  tenantId: string;
  /**
   * Calling apps allowed (`appid` of v1 tokens, `azp` of v2): Microsoft's marketplace app
   * (MARKETPLACE_RESOURCE) unless configured otherwise. A token naming another app is refused (401).
   */
  allowedAppIds: string[];
  /** What to answer a customer's change: accept (default) or reject. */
  policy: { changePlan: "accept" | "reject"; changeQuantity: "accept" | "reject" };
}

export interface MarketplaceConnectionConfig {
  id: string;
  name?: string;
  /** API base, e.g. https://marketplaceapi.microsoft.com/api */
  baseUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: Secret;
  tokenUrl: string;
  tokenVersion: "v1" | "v2";
  resource: string;
  webhook?: MarketplaceWebhookConfig;
}

export interface MarketplaceConnector extends VendorConnector {
  readonly saas: SaasSubscriptions;
  readonly tokens: EntraTokenSource;
  readonly webhook?: MarketplaceWebhookConfig;
}

export const DEFAULT_MARKETPLACE = {
  baseUrl: "https://marketplaceapi.microsoft.com/api",
  loginUrl: "https://login.microsoftonline.com",
  resource: MARKETPLACE_RESOURCE,
};

export function createMarketplaceConnector(config: MarketplaceConnectionConfig, deps: ConnectorDeps): MarketplaceConnector {
  const info: ConnectionInfo = { id: config.id, vendor: "MICROSOFT", api: "microsoft-marketplace", name: config.name ?? null };
  const upstream = createUpstream(info, config.baseUrl, deps, (_status, body) => {
    try {
      const parsed = JSON.parse(body) as { message?: unknown; error?: unknown; error_description?: unknown };
      const text = parsed.message ?? parsed.error_description ?? parsed.error;
      return typeof text === "string" ? text.slice(0, 300) : undefined;
    } catch {
      return undefined;
    }
  });
  const tokens = new EntraTokenSource(info, upstream, {
    tokenUrl: config.tokenUrl,
    version: config.tokenVersion,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    resource: config.resource,
    now: deps.now,
  });
  const onUnknown = warnUnknown(deps.logger, info);

  async function send(call: CallContext, req: Omit<UpstreamRequest, "headers">, extraHeaders: Record<string, string> = {}): Promise<UpstreamResponse> {
    const bearer = await tokens.token(call);
    const requestId = randomUUID();
    const res = await upstream.send(call, {
      ...req,
      query: { ...(req.query ?? {}), "api-version": MARKETPLACE_API_VERSION },
      headers: () => ({
        authorization: `Bearer ${bearer}`,
        "x-ms-requestid": requestId,
        ...(req.body !== undefined ? { "content-type": "application/json" } : {}),
        ...extraHeaders,
      }),
    });
    call.logger.debug({ connectionId: info.id, route: req.route, msRequestId: res.headers["x-ms-requestid"], msCorrelationId: res.headers["x-ms-correlationid"] }, "marketplace ids");
    return res;
  }

  /** JSON or, for the contract's empty-body answers, undefined. */
  function body<T>(text: string, what: string): T | undefined {
    if (text.trim() === "") return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new VendorError("VENDOR_BAD_RESPONSE", { vendor: info.vendor, connectionId: info.id }, `The vendor's ${what} is not JSON`);
    }
  }

  const subPath = (key: string) => pathOf("/saas/subscriptions", key);

  async function readCached<T>(call: CallContext, op: string, args: unknown, ttlMs: number, req: Omit<UpstreamRequest, "headers">, decode: (text: string) => T) {
    const bearer = await tokens.token(call);
    return cachedRead(
      info,
      deps,
      upstream,
      call,
      {
        op,
        kind: "accounts",
        args,
        ttlMs,
        request: {
          ...req,
          query: { ...(req.query ?? {}), "api-version": MARKETPLACE_API_VERSION },
          headers: () => ({ authorization: `Bearer ${bearer}`, "x-ms-requestid": randomUUID() }),
        },
      },
      decode,
    );
  }

  /** Every page: @nextLink's continuationToken (the doc's sample link is malformed: quirk 5), an empty body for none. */
  async function listAll(call: CallContext): Promise<Sourced<SubscriptionRecord[]>> {
    const all: SubscriptionRecord[] = [];
    let token: string | undefined;
    let source: Sourced<unknown>["source"] | undefined;
    for (let page = 0; page < 10_000; page++) {
      const read = await readCached(call, "ms.subscriptions", { continuationToken: token ?? null }, deps.ttls.accountsMs, {
        route: "list-subscriptions",
        method: "GET",
        path: "/saas/subscriptions",
        query: token ? { continuationToken: token } : {},
        idempotent: true,
      }, (text) => {
        const parsed = body<MsSubscriptionPage>(text, "subscription list");
        // An empty body is "none" (quirk 4); the emulator always sends {subscriptions: [...]}.
        const items = listOf<MsSubscription>(info, parsed, "subscriptions", "subscription list", { emptyBody: true });
        const next = parsed?.["@nextLink"];
        const m = typeof next === "string" ? /[?&]continuationToken=([^&]+)/.exec(next) : null;
        return { items: items.map((s) => mapSubscription(info, s, onUnknown)), next: m ? decodeURIComponent(m[1]) : undefined };
      });
      source ??= read.source;
      all.push(...read.value.items);
      token = read.value.next;
      if (!token) break;
    }
    return { value: all, source: source! };
  }

  async function invalidate(): Promise<void> {
    await deps.cache.invalidate(info.id, "accounts");
  }

  async function operationFrom(call: CallContext, res: UpstreamResponse, key: string): Promise<OperationRecord> {
    const location = res.headers["operation-location"];
    const url = Array.isArray(location) ? location[0] : location;
    const m = url ? /\/operations\/([^/?]+)/.exec(url) : null;
    if (!m) throw new VendorError("VENDOR_BAD_RESPONSE", { vendor: info.vendor, connectionId: info.id }, "The vendor accepted the change but gave no Operation-Location");
    return (await saas.getOperation(call, key, decodeURIComponent(m[1]))).value;
  }

  const saas: SaasSubscriptions = {
    list: listAll,
    async get(call, key) {
      return readCached(call, "ms.subscription", { key }, deps.ttls.accountsMs, { route: "get-subscription", method: "GET", path: subPath(key), idempotent: true }, (text) => {
        const s = body<MsSubscription>(text, "subscription");
        if (!s?.id) throw new VendorError("VENDOR_BAD_RESPONSE", { vendor: info.vendor, connectionId: info.id }, "The vendor's subscription has no id");
        return mapSubscription(info, s, onUnknown);
      });
    },
    async plans(call, key) {
      const sub = (await saas.get(call, key)).value;
      // An unknown id gets an empty body from Microsoft (note 5) and a bare [] from its emulator.
      return readCached(call, "ms.plans", { key }, deps.ttls.catalogueMs, { route: "list-plans", method: "GET", path: `${subPath(key)}/listAvailablePlans`, idempotent: true }, (text) =>
        listOf<MsPlan>(info, body<unknown>(text, "plan list"), "plans", "plan list", { emptyBody: true, bare: true }).map((p) => mapPlan(info, sub.offer ?? undefined, p)),
      );
    },
    async pendingOperations(call, key) {
      const res = await send(call, { route: "list-operations", method: "GET", path: `${subPath(key)}/operations`, idempotent: true });
      // {operations: [...]}, {} or an empty body for none (Microsoft), or a bare array (its emulator).
      const ops = listOf<MsOperation>(info, body<unknown>(res.text, "operation list"), "operations", "operation list", { emptyBody: true, emptyObject: true, bare: true });
      return { value: ops.map((o) => mapOperation(info, o, key, onUnknown)), source: localProvenance(info, deps) };
    },
    async getOperation(call, subscriptionKey, operationKey) {
      const res = await send(call, { route: "get-operation", method: "GET", path: pathOf("/saas/subscriptions", subscriptionKey, "operations", operationKey), idempotent: true });
      const op = body<MsOperation>(res.text, "operation");
      if (!op) throw new VendorError("VENDOR_BAD_RESPONSE", { vendor: info.vendor, connectionId: info.id }, "The vendor's operation is empty");
      const record = mapOperation(info, op, subscriptionKey, onUnknown);
      // An operation that has ended changed (or not) the subscription: what we cached may be stale.
      if (record.status !== "IN_PROGRESS" && record.status !== "NOT_STARTED") await invalidate();
      return { value: record, source: localProvenance(info, deps) };
    },
    async resolve(call, marketplaceToken) {
      // The landing page receives the token URL-encoded: decode it before it goes in the header (note 1).
      let decoded = marketplaceToken;
      try {
        decoded = decodeURIComponent(marketplaceToken);
      } catch {
        throw new BadUserInputError("The marketplace token is not validly URL-encoded");
      }
      const res = await send(call, { route: "resolve", method: "POST", path: "/saas/subscriptions/resolve", idempotent: true }, { "x-ms-marketplace-token": decoded });
      const resolved = body<MsResolved>(res.text, "resolve answer");
      if (!resolved?.id) throw new VendorError("VENDOR_BAD_RESPONSE", { vendor: info.vendor, connectionId: info.id }, "The resolve answer has no id");
      const subscription = resolved.subscription?.id ? mapSubscription(info, resolved.subscription, onUnknown) : (await saas.get(call, resolved.id)).value;
      return { subscription, planId: resolved.planId ?? null, quantity: quantityOf(resolved.quantity) };
    },
    async activate(call, key, planId, quantity: Decimal | null) {
      await send(call, {
        route: "activate",
        method: "POST",
        path: `${subPath(key)}/activate`,
        body: JSON.stringify({ planId, ...(quantity !== null ? { quantity: quantity.toFixed() } : {}) }),
        idempotent: false,
      });
      await invalidate();
    },
    async changePlan(call, key, planId) {
      const res = await send(call, { route: "change-subscription", method: "PATCH", path: subPath(key), body: JSON.stringify({ planId }), idempotent: false });
      await invalidate();
      return operationFrom(call, res, key);
    },
    async changeQuantity(call, key, quantity) {
      const res = await send(call, { route: "change-subscription", method: "PATCH", path: subPath(key), body: JSON.stringify({ quantity }), idempotent: false });
      await invalidate();
      return operationFrom(call, res, key);
    },
    async cancel(call, key) {
      const res = await send(call, { route: "delete-subscription", method: "DELETE", path: subPath(key), idempotent: false });
      await invalidate();
      return operationFrom(call, res, key);
    },
    async acknowledge(call, subscriptionKey, operationKey, success) {
      await send(call, {
        route: "update-operation",
        method: "PATCH",
        path: pathOf("/saas/subscriptions", subscriptionKey, "operations", operationKey),
        body: JSON.stringify({ status: success ? "Success" : "Failure" }),
        // Safe to repeat: it sets a final state, and a repeat after a lost answer gets 409 (already ended).
        idempotent: true,
      });
      await invalidate();
      return (await saas.getOperation(call, subscriptionKey, operationKey)).value;
    },
    // Metering: never retried blindly (the service dedupes per hour, so a repeat would come back as a
    // Duplicate, but a lost answer is an error the caller should see, not a guess).
    async reportUsage(call, event): Promise<MeteringResult> {
      const res = await send(call, { route: "usage-event", method: "POST", path: "/usageEvent", body: usageEventBody([event]), idempotent: false, answers: [400, 409] });
      if (res.status === 409) {
        const conflict = body<MsMeteringError>(res.text, "duplicate answer");
        const accepted = conflict?.additionalInfo?.acceptedMessage;
        return meteringResult(event, "DUPLICATE", accepted?.status ?? "Duplicate", accepted?.usageEventId ?? null, meteringMessage(conflict));
      }
      if (res.status === 400) {
        const refused = body<MsMeteringError>(res.text, "refusal");
        const raw = refused?.details?.[0]?.code ?? refused?.code ?? "BadArgument";
        return meteringResult(event, meteringStatusOf(raw), raw, null, meteringMessage(refused));
      }
      const accepted = body<MsUsageEventResult>(res.text, "usage event answer");
      if (!accepted?.usageEventId) throw new VendorError("VENDOR_BAD_RESPONSE", { vendor: info.vendor, connectionId: info.id }, "The accepted usage event has no usageEventId");
      return meteringResult(event, meteringStatusOf(accepted.status ?? "Accepted"), accepted.status ?? "Accepted", accepted.usageEventId, null);
    },
    async reportUsageBatch(call, events: MeteredUsage[]): Promise<MeteringResult[]> {
      const out: MeteringResult[] = [];
      let failed: VendorError | undefined;
      for (let from = 0; from < events.length; from += MAX_USAGE_BATCH) {
        const chunk = events.slice(from, from + MAX_USAGE_BATCH);
        // After a failed batch the rest is not sent, and said so: what was accepted before stays reported.
        if (failed) {
          for (const event of chunk) out.push(meteringResult(event, "NOT_SENT", "", null, "Not sent: an earlier batch to this connection failed", failed.code));
          continue;
        }
        let results: MsUsageEventResult[];
        try {
          const res = await send(call, { route: "batch-usage-event", method: "POST", path: "/batchUsageEvent", body: usageEventBody(chunk, true), idempotent: false });
          // An answer of another shape says nothing about what was accepted: unconfirmed, like a lost answer.
          results = listOf<MsUsageEventResult>(info, body<MsBatchUsageResult>(res.text, "batch answer"), "result", "batch answer");
        } catch (err) {
          if (!(err instanceof VendorError)) throw err;
          failed = err;
          for (const event of chunk) out.push(meteringResult(event, "UNCONFIRMED", "", null, err.message, err.code));
          continue;
        }
        // Answers come in the order sent; one missing is said so, never dropped.
        chunk.forEach((event, i) => {
          const r = results[i];
          if (!r) {
            out.push(meteringResult(event, "UNKNOWN", "", null, "The marketplace's answer has no result for this event"));
            return;
          }
          const raw = r.status ?? "";
          out.push(meteringResult(event, meteringStatusOf(raw), raw, r.usageEventId ?? r.error?.additionalInfo?.acceptedMessage?.usageEventId ?? null, meteringMessage(r.error)));
        });
      }
      return out;
    },
  };

  const rootPartner = rootPartnerRecord(info, MARKETPLACE_PUBLISHER, "PUBLISHER", config.name ?? null, [{ kind: "microsoft.tenantId", value: config.tenantId }]);

  return {
    info,
    rootPartner,
    saas,
    tokens,
    webhook: config.webhook,
    async listSubPartners() {
      return { value: [], source: localProvenance(info, deps) };
    },
    async getCurrentUsage(call, partnerKey): Promise<Sourced<UsageSnapshot>> {
      if (partnerKey !== MARKETPLACE_PUBLISHER) throw new BadUserInputError(`Unknown partner for connection ${info.id}`);
      const subs = await listAll(call);
      return { value: { partnerKey, partnerName: null, partnerUsage: [], companies: companiesOf(info, subs.value) }, source: subs.source };
    },
    async getStatement() {
      // The fulfillment API bills nothing itself: Microsoft's invoices come through Partner Center billing.
      return { value: null, source: localProvenance(info, deps) };
    },
    async listProducts(call): Promise<Sourced<ProductRecord[]>> {
      const subs = await listAll(call);
      const byOffer = new Map<string, string>();
      for (const s of subs.value) if (s.offer && !byOffer.has(s.offer)) byOffer.set(s.offer, s.key);
      const plans = await Promise.all([...byOffer.values()].map((key) => saas.plans(call, key)));
      return { value: plans.flatMap((p) => p.value), source: subs.source };
    },
    productFor(productKey, reportedName) {
      const plan = productKey.split("/")[1];
      return { connectionId: info.id, vendor: info.vendor, key: productKey, sku: plan ?? productKey, name: reportedName ?? plan ?? productKey, aliases: [], unit: null, category: "BASE_PLAN", known: true };
    },
    invalidate,
  };
}
