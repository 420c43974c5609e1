/**
 * The marketplace webhook (microsoft-marketplace.md: Webhook). Nothing is done before the caller's
 * bearer JWT verifies against the configured JWKS, issuer, audience and tenant (RS256 only: 'none'
 * and HMAC tokens fail). The payload is read leniently (full and minimal shapes), the event is
 * confirmed by getting its operation from the API, handled once per operation id, and recorded.
 * A customer's ChangePlan / ChangeQuantity is accepted or rejected by the configured policy.
 */
import { createRemoteJWKSet, jwtVerify } from "jose";
import type { ResponseCache } from "../../cache/store";
import type { CallContext } from "../../domain/connector";
import type { MarketplaceConnector } from "./index";
import { findEvent, saveEvent, type EventOutcome, type MarketplaceEventRecord } from "./events";

export interface WebhookResult {
  status: number;
  body: Record<string, unknown>;
}

const jwksCache = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function jwks(url: string) {
  let set = jwksCache.get(url);
  if (!set) {
    set = createRemoteJWKSet(new URL(url));
    jwksCache.set(url, set);
  }
  return set;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

export async function handleMarketplaceWebhook(
  connector: MarketplaceConnector,
  store: ResponseCache,
  call: CallContext,
  authorization: string | undefined,
  rawBody: string,
  now: () => number,
): Promise<WebhookResult> {
  const config = connector.webhook;
  if (!config) return { status: 404, body: { error: "no webhook configured for this connection" } };
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
  if (!m) return { status: 401, body: { error: "unauthorized" } };
  try {
    const { payload } = await jwtVerify(m[1], jwks(config.jwksUrl), {
      issuer: config.issuer,
      audience: config.audience,
      algorithms: ["RS256"],
      requiredClaims: ["exp", "iss", "aud"],
      currentDate: new Date(now()),
    });
    if (payload.tid !== config.tenantId) throw new Error("wrong tenant");
  } catch {
    // The reason is not told to the caller; nothing was read or changed.
    return { status: 401, body: { error: "unauthorized" } };
  }

  let event: Record<string, unknown>;
  try {
    event = JSON.parse(rawBody) as Record<string, unknown>;
    if (!event || typeof event !== "object") throw new Error("not an object");
  } catch {
    return { status: 400, body: { error: "the body is not a JSON object" } };
  }
  // Lenient: the full payload, the minimal one, and the oldest {subscriptionId, operationType}.
  const operationId = str(event.id) ?? str(event.operationId);
  const subscriptionId = str(event.subscriptionId) ?? str((event.subscription as Record<string, unknown> | undefined)?.id);
  const action = str(event.action) ?? str(event.operationType) ?? "Unknown";
  if (!operationId || !subscriptionId) return { status: 400, body: { error: "the event names no operation or subscription" } };

  const connectionId = connector.info.id;
  const previous = await findEvent(store, connectionId, operationId);
  if (previous) {
    // A repeated delivery: acknowledge, do nothing more.
    await saveEvent(store, connectionId, { ...previous, deliveries: previous.deliveries + 1 });
    return { status: 200, body: { outcome: previous.outcome, duplicate: true } };
  }

  const record = async (outcome: EventOutcome, detail: string): Promise<WebhookResult> => {
    const entry: MarketplaceEventRecord = { operationId, subscriptionId, action, receivedAt: new Date(now()).toISOString(), outcome, detail, deliveries: 1 };
    await saveEvent(store, connectionId, entry);
    return { status: 200, body: { outcome } };
  };

  // Defence in depth: the API must confirm the operation before anything is done.
  let confirmed;
  try {
    confirmed = (await connector.saas.getOperation(call, subscriptionId, operationId)).value;
  } catch (err) {
    const status = (err as { details?: { upstreamStatus?: number } }).details?.upstreamStatus;
    if (status === 404) return record("IGNORED_UNCONFIRMED", "the marketplace API does not know this operation");
    throw err; // a vendor outage: answer 5xx so Microsoft delivers again later
  }
  if (confirmed.subscriptionKey !== subscriptionId || (action !== "Unknown" && confirmed.action.toLowerCase() !== action.toLowerCase())) {
    return record("IGNORED_UNCONFIRMED", `the API reports ${confirmed.action} on ${confirmed.subscriptionKey}`);
  }
  await connector.invalidate("all");

  if (confirmed.action === "ChangePlan" || confirmed.action === "ChangeQuantity") {
    if (confirmed.status !== "IN_PROGRESS" && confirmed.status !== "NOT_STARTED") return record("NOTED", `already ${confirmed.status}`);
    const policy = confirmed.action === "ChangePlan" ? config.policy.changePlan : config.policy.changeQuantity;
    const after = await connector.saas.acknowledge(call, subscriptionId, operationId, policy === "accept");
    return record(policy === "accept" ? "ACCEPTED" : "REJECTED", `operation ${after.status}`);
  }
  return record("NOTED", `${confirmed.action} ${confirmed.status}`);
}
