/**
 * The marketplace webhook (microsoft-marketplace.md: Webhook). Nothing is done before the caller's
 * bearer JWT verifies against the configured JWKS, issuer, audience and tenant (RS256 only: 'none'
 * and HMAC tokens fail) and names an allowed calling app (`appid` in v1 tokens, `azp` in v2: by
 * default only Microsoft's marketplace app). The payload is read leniently (full and minimal shapes).
 *
 * Microsoft wants a 200 first and the PATCH of the operation after it, within its 10 s window (its
 * emulator flags a PATCH that comes before the webhook call returned). So an event is recorded as
 * RECEIVED and answered; then, in the background, it is confirmed by getting its operation from the
 * API, acted on once per operation id (a redelivery, during or after, does nothing more), and its
 * record updated with the outcome. A customer's ChangePlan / ChangeQuantity is accepted or rejected
 * by the configured policy.
 */
import { randomUUID } from "node:crypto";
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";
import type { Logger } from "pino";
import { makeScope } from "../../auth/caller";
import type { ResponseCache } from "../../cache/store";
import type { CallContext, OperationRecord } from "../../domain/connector";
import { VendorError } from "../../domain/errors";
import { scrubSecrets } from "../../domain/secret";
import { createDeadline } from "../../http/deadline";
import type { MarketplaceConnector, MarketplaceWebhookConfig } from "./index";
import { findEvent, saveEvent, type EventOutcome, type MarketplaceEventRecord } from "./events";

export interface WebhookResult {
  status: number;
  body: Record<string, unknown>;
}

export interface MarketplaceWebhookOptions {
  /** The shared store: events are recognised on every gateway instance. */
  store: ResponseCache;
  logger: Logger;
  now: () => number;
  /** Time the background work of one event may take: inside Microsoft's 10 s window. */
  windowMs?: number;
  /** Events worked on at once; one more is answered 503, so Microsoft delivers it again later. */
  maxPending?: number;
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

/** Every calling-app claim the token has must be allowed, and it must have one. */
function callerAllowed(payload: JWTPayload, config: MarketplaceWebhookConfig): boolean {
  const apps = [payload.appid, payload.azp].filter((v) => v !== undefined);
  return apps.length > 0 && apps.every((app) => typeof app === "string" && config.allowedAppIds.includes(app));
}

/** What went wrong, for the event record and the log: codes and statuses, no secrets. */
function describe(err: unknown): string {
  if (err instanceof VendorError) {
    const status = err.details.upstreamStatus;
    return `${err.code}${status ? ` (HTTP ${status})` : ""}: ${scrubSecrets(err.message)}`;
  }
  return scrubSecrets(err instanceof Error ? err.message : String(err));
}

const CLAIM_MS = 60_000;

export class MarketplaceWebhooks {
  private readonly pending = new Set<Promise<void>>();
  private readonly windowMs: number;
  private readonly maxPending: number;

  constructor(private readonly options: MarketplaceWebhookOptions) {
    this.windowMs = options.windowMs ?? 8_000;
    this.maxPending = options.maxPending ?? 64;
  }

  /** Events answered whose background work has not finished. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Waits for the background work (at most `timeoutMs`); false when some was still running. */
  async drain(timeoutMs = 5_000): Promise<boolean> {
    if (this.pending.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([Promise.allSettled([...this.pending]).then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async handle(connector: MarketplaceConnector, authorization: string | undefined, rawBody: string): Promise<WebhookResult> {
    const { store, now } = this.options;
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
      if (!callerAllowed(payload, config)) throw new Error("calling app not allowed");
    } catch {
      // The reason is not told to the caller; nothing was read or changed.
      return { status: 401, body: { error: "unauthorized" } };
    }

    let event: Record<string, unknown>;
    try {
      event = JSON.parse(rawBody) as Record<string, unknown>;
      if (!event || typeof event !== "object" || Array.isArray(event)) throw new Error("not an object");
    } catch {
      return { status: 400, body: { error: "the body is not a JSON object" } };
    }
    // Lenient: the full payload, the minimal one, and the oldest {subscriptionId, operationType}.
    const operationId = str(event.id) ?? str(event.operationId);
    const subscriptionId = str(event.subscriptionId) ?? str((event.subscription as Record<string, unknown> | undefined)?.id);
    const action = str(event.action) ?? str(event.operationType) ?? "Unknown";
    if (!operationId || !subscriptionId) return { status: 400, body: { error: "the event names no operation or subscription" } };

    const connectionId = connector.info.id;
    const repeated = async (): Promise<WebhookResult | undefined> => {
      const previous = await findEvent(store, connectionId, operationId);
      if (!previous) return undefined;
      await saveEvent(store, connectionId, { ...previous, deliveries: previous.deliveries + 1 });
      return { status: 200, body: { outcome: previous.outcome, duplicate: true } };
    };
    const seen = await repeated();
    if (seen) return seen;
    if (this.pending.size >= this.maxPending) return { status: 503, body: { error: "too many events in progress; deliver it again" } };
    // Two first deliveries at once (here or on another instance): one claims the event, the other is a repeat.
    if (!(await store.claim(`mkt-event|${connectionId}|${operationId}`, CLAIM_MS))) {
      return (await repeated()) ?? { status: 200, body: { outcome: "RECEIVED", duplicate: true } };
    }
    const entry: MarketplaceEventRecord = {
      operationId,
      subscriptionId,
      action,
      receivedAt: new Date(now()).toISOString(),
      outcome: "RECEIVED",
      detail: "answered; being confirmed with the marketplace API",
      deliveries: 1,
    };
    await saveEvent(store, connectionId, entry);

    // Started on the next turn of the event loop: the 200 is written before any call to the API.
    const work: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.process(connector, config, entry))
      .finally(() => this.pending.delete(work));
    this.pending.add(work);
    return { status: 200, body: { outcome: "RECEIVED" } };
  }

  private async process(connector: MarketplaceConnector, config: MarketplaceWebhookConfig, entry: MarketplaceEventRecord): Promise<void> {
    const { store, now } = this.options;
    const connectionId = connector.info.id;
    const requestId = randomUUID();
    const logger = this.options.logger.child({ requestId, connectionId, operationId: entry.operationId });
    const deadline = createDeadline(this.windowMs, now);
    const call: CallContext = { scope: makeScope(`webhook:${connectionId}`, null, new Set([connectionId])), deadline, requestId, logger };
    let result: { outcome: EventOutcome; detail: string };
    try {
      result = await this.confirmAndAct(connector, config, call, entry);
    } catch (err) {
      result = { outcome: "FAILED", detail: describe(err) };
    } finally {
      deadline.cancel();
    }
    const log = result.outcome === "FAILED" ? logger.warn.bind(logger) : logger.info.bind(logger);
    log({ action: entry.action, outcome: result.outcome, detail: result.detail }, "marketplace webhook handled");
    try {
      // Re-read: a redelivery may have counted itself meanwhile.
      const latest = (await findEvent(store, connectionId, entry.operationId)) ?? entry;
      await saveEvent(store, connectionId, { ...latest, ...result });
    } catch (err) {
      logger.error({ err: describe(err), outcome: result.outcome }, "marketplace webhook outcome not recorded");
    }
  }

  private async confirmAndAct(
    connector: MarketplaceConnector,
    config: MarketplaceWebhookConfig,
    call: CallContext,
    entry: MarketplaceEventRecord,
  ): Promise<{ outcome: EventOutcome; detail: string }> {
    const { subscriptionId, operationId, action } = entry;
    // Defence in depth: the API must confirm the operation before anything is done.
    let confirmed: OperationRecord;
    try {
      confirmed = (await connector.saas.getOperation(call, subscriptionId, operationId)).value;
    } catch (err) {
      if (err instanceof VendorError && err.details.upstreamStatus === 404) return { outcome: "IGNORED_UNCONFIRMED", detail: "the marketplace API does not know this operation" };
      throw err;
    }
    if (confirmed.subscriptionKey !== subscriptionId || (action !== "Unknown" && confirmed.action.toLowerCase() !== action.toLowerCase())) {
      return { outcome: "IGNORED_UNCONFIRMED", detail: `the API reports ${confirmed.action} on ${confirmed.subscriptionKey}` };
    }
    await connector.invalidate("all");

    if (confirmed.action !== "ChangePlan" && confirmed.action !== "ChangeQuantity") return { outcome: "NOTED", detail: `${confirmed.action} ${confirmed.status}` };
    if (confirmed.status !== "IN_PROGRESS" && confirmed.status !== "NOT_STARTED") return { outcome: "NOTED", detail: `already ${confirmed.status}` };
    const accept = (confirmed.action === "ChangePlan" ? config.policy.changePlan : config.policy.changeQuantity) === "accept";
    const wanted = accept ? "SUCCEEDED" : "FAILED";
    const decided: EventOutcome = accept ? "ACCEPTED" : "REJECTED";
    try {
      const after = await connector.saas.acknowledge(call, subscriptionId, operationId, accept);
      return { outcome: decided, detail: `operation ${after.status}` };
    } catch (err) {
      // 409: the operation has ended already (our earlier attempt whose answer was lost, or Microsoft's
      // auto-accept after its window): what matters is the state it ended in.
      if (!(err instanceof VendorError && err.details.upstreamStatus === 409)) throw err;
      const ended = (await connector.saas.getOperation(call, subscriptionId, operationId)).value;
      return ended.status === wanted
        ? { outcome: decided, detail: `operation ${ended.status}` }
        : { outcome: "FAILED", detail: `could not ${accept ? "accept" : "reject"}: the operation had already ended ${ended.status}` };
    }
  }
}
