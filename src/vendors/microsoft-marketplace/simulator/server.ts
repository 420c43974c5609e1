/**
 * Simulator of the Microsoft commercial marketplace SaaS Fulfillment API v2 (microsoft-marketplace.md),
 * with an Entra-like token endpoint (v1 form and v2 scope) and JWKS: it signs its own tokens, and the
 * API answers 403 to a token for another audience. Subscriptions follow the state machine
 * PendingFulfillmentStart → Subscribed ⇄ Suspended → Unsubscribed; changes answer 202 +
 * Operation-Location and their operations progress to Succeeded, Failed or Conflict. Lists page at
 * 100 and answer empty bodies where the service does (or, as an option, the operations list as the
 * bare array Microsoft's emulator sends). A webhook sender signs its calls (as Microsoft's marketplace
 * app by default, or another app), retries, auto-accepts a change nobody acknowledged within the
 * window, and, like the emulator, flags a PATCH of an operation that comes before the webhook call
 * about it returned. Metering takes one event per
 * subscription, dimension and hour (a repeat is a 409 Duplicate carrying the event accepted first),
 * from the last 24 hours only, for Subscribed subscriptions and their plan's dimensions; a batch takes
 * at most 25 events and answers a status per event.
 */
import { randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK } from "jose";
import { request } from "undici";
import { seededRandom } from "../../keeper/simulator/fixtures";
import { startSimulator, type SimRequest, type SimResponse, type SimulatorHandle } from "../../../simulator-kit";
import { MARKETPLACE_API_VERSION, MARKETPLACE_RESOURCE, MAX_USAGE_BATCH, type MsMeteringError, type MsOperation, type MsParty, type MsPlan, type MsTerm, type MsUsageEventResult } from "../wire";

export const MARKETPLACE_SANDBOX = {
  tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
  clientId: "6b2d5c2e-8f3a-4b7e-9d11-5a0c3e1f7a21",
  clientSecret: "sandbox-marketplace-client-secret-value",
  /** The publisher's own app id: the audience of the webhook tokens Microsoft sends it. */
  publisherAppId: "a3c1f0de-5b2a-4c8e-b7d9-0e4f6a1b2c3d",
  publisherId: "contoso",
} as const;

type Status = "PendingFulfillmentStart" | "Subscribed" | "Suspended" | "Unsubscribed";

export interface SimMsSubscription {
  id: string;
  name: string;
  publisherId: string;
  offerId: string;
  planId: string;
  quantity: number | null;
  beneficiary: MsParty;
  purchaser: MsParty;
  allowedCustomerOperations: string[];
  sessionMode: string;
  isFreeTrial: boolean;
  isTest: boolean;
  sandboxType: string;
  autoRenew: boolean;
  created: string;
  lastModified: string;
  saasSubscriptionStatus: Status;
  term: MsTerm;
}

export interface SimMsOperation extends MsOperation {
  status: "NotStarted" | "InProgress" | "Succeeded" | "Failed" | "Conflict";
  polls: number;
  outcome: "Succeeded" | "Failed" | "Conflict";
  operationRequestSource: "Azure" | "Partner";
  change: { planId?: string; quantity?: number; status?: Status };
}

export const MS_OFFERS: Record<string, MsPlan[]> = {
  "contoso-backup": [
    { planId: "basic", displayName: "Backup Basic", isPricePerSeat: true, minQuantity: 1, maxQuantity: 500, hasFreeTrials: false, isPrivate: false, isStopSell: false, market: "US", description: "Daily backup, 30 days retention" },
    { planId: "pro", displayName: "Backup Pro", isPricePerSeat: true, minQuantity: 5, maxQuantity: 1000, hasFreeTrials: true, isPrivate: false, isStopSell: false, market: "US", description: "Hourly backup, 1 year retention" },
    { planId: "site-flat", displayName: "Backup Site (flat)", isPricePerSeat: false, hasFreeTrials: false, isPrivate: false, isStopSell: false, market: "US", description: "Unlimited seats, one site" },
  ],
  "contoso-mail-archive": [
    { planId: "standard", displayName: "Mail Archive Standard", isPricePerSeat: false, hasFreeTrials: false, isPrivate: false, isStopSell: false, market: "US", description: "Flat monthly" },
    { planId: "premium", displayName: "Mail Archive Premium", isPricePerSeat: false, hasFreeTrials: true, isPrivate: true, isStopSell: false, market: "US", description: "Flat monthly, eDiscovery" },
  ],
};

/** Each offer's custom metering dimensions (the same for all its plans here). */
export const MS_METERED_DIMENSIONS: Record<string, string[]> = {
  "contoso-backup": ["storage-gb", "restore-jobs"],
  "contoso-mail-archive": ["archived-gb"],
};

/** A usage event the simulator accepted. */
export interface SimUsageEvent extends Required<Omit<MsUsageEventResult, "error">> {
  hour: number;
}

function uuid(rnd: () => number): string {
  const h = Array.from({ length: 32 }, () => Math.floor(rnd() * 16).toString(16)).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
}

/** Subscriptions of several offers and plans, per seat and flat, some bought through a CSP. */
export function defaultMarketplaceSubscriptions(count = 12): SimMsSubscription[] {
  const rnd = seededRandom("ms-marketplace");
  const customers = ["Fabrikam", "Northwind Traders", "Tailspin Toys", "Wide World Importers", "Adventure Works", "Litware", "Proseware", "Woodgrove Bank"];
  const csp = { emailId: "orders@bluecsp.example", objectId: uuid(rnd), tenantId: uuid(rnd), puid: "10037FFE80000001" };
  const statuses: Status[] = ["Subscribed", "Subscribed", "Subscribed", "PendingFulfillmentStart", "Subscribed", "Suspended", "Subscribed", "Unsubscribed"];
  const out: SimMsSubscription[] = [];
  for (let i = 0; i < count; i++) {
    const offerId = i % 3 === 2 ? "contoso-mail-archive" : "contoso-backup";
    const plan = MS_OFFERS[offerId][i % MS_OFFERS[offerId].length];
    const name = customers[i % customers.length];
    const beneficiary = { emailId: `it@${name.toLowerCase().replace(/\W+/g, "")}.example`, objectId: uuid(rnd), tenantId: uuid(rnd), puid: `1003${String(1000 + i)}` };
    const viaCsp = i % 4 === 1;
    const start = `2026-${String((i % 9) + 1).padStart(2, "0")}-01T00:00:00Z`;
    out.push({
      id: uuid(rnd),
      name: `${name} ${offerId === "contoso-backup" ? "Backup" : "Mail Archive"}`,
      publisherId: MARKETPLACE_SANDBOX.publisherId,
      offerId,
      planId: plan.planId,
      quantity: plan.isPricePerSeat ? 5 + Math.floor(rnd() * 200) : null,
      beneficiary,
      purchaser: viaCsp ? csp : beneficiary,
      // A CSP's customer may only read (microsoft-marketplace.md: CSP purchases).
      allowedCustomerOperations: viaCsp ? ["Read"] : ["Read", "Update", "Delete"],
      sessionMode: "None",
      isFreeTrial: plan.hasFreeTrials === true && i % 5 === 0,
      isTest: false,
      sandboxType: "None",
      autoRenew: i % 6 !== 5,
      created: start.replace("T00:00:00Z", "T09:12:45.5468572Z"),
      lastModified: "0001-01-01T00:00:00",
      saasSubscriptionStatus: statuses[i % statuses.length],
      term: { startDate: start, endDate: i % 2 ? "2027-01-31" : start.replace(/^2026/, "2027"), termUnit: i % 2 ? "P1M" : "P1Y", chargeDuration: null },
    });
  }
  return out;
}

export interface MarketplaceSimulatorOptions {
  subscriptions?: SimMsSubscription[];
  /** GETs of an operation before it ends. */
  operationPolls?: number;
  /** Where the webhook sender posts; set later with setWebhookUrl. */
  webhookUrl?: string;
  /** Microsoft auto-accepts a change nobody acknowledged after ~10 s. */
  autoAcceptMs?: number;
  webhookRetries?: number;
  webhookRetryDelayMs?: number;
  /**
   * The app id the webhook tokens name (`appid` in v1 tokens, `azp` in v2): Microsoft's marketplace
   * app by default; another one plays a caller the gateway must refuse.
   */
  webhookAppId?: string;
  /** Entra token version of the webhook tokens (v1: `appid`; v2: `azp`). */
  webhookTokenVersion?: "v1" | "v2";
  /** `GET .../operations` as `{operations: [...]}` (Microsoft, default) or a bare array (Microsoft's emulator). */
  operationList?: "wrapped" | "bare";
  now?: () => Date;
  host?: string;
  port?: number;
}

export interface DeliverOptions {
  /** A ready token instead of one signed for this delivery. */
  token?: string;
  /** The oldest short payload, without the subscription. */
  minimal?: boolean;
  /** Sign for another calling app (default: the simulator's webhookAppId). */
  appId?: string;
  tokenVersion?: "v1" | "v2";
}

export interface MarketplaceSimulator extends SimulatorHandle {
  subscriptions: SimMsSubscription[];
  operations: SimMsOperation[];
  /** Metered usage events accepted, in order. */
  usageEvents: SimUsageEvent[];
  /** The marketplace token a landing page would receive for a subscription (already URL-encoded form is up to the caller). */
  purchaseToken(subscriptionId: string): string;
  setWebhookUrl(url: string): void;
  /** The customer changes plan or seats: the operation (auto-accepted after the window), no webhook sent yet. */
  newCustomerChange(subscriptionId: string, change: { planId?: string; quantity?: number }): SimMsOperation;
  /** The customer changes plan or seats in the marketplace: an operation plus a webhook to the publisher. */
  customerChange(subscriptionId: string, change: { planId?: string; quantity?: number }): Promise<SimMsOperation>;
  /** Payment problems: Suspend (notify only), then Reinstate. */
  suspend(subscriptionId: string): Promise<SimMsOperation>;
  /** Sends a webhook for an operation, as Microsoft would (signed, retried). Returns the HTTP statuses seen. */
  deliver(operation: SimMsOperation, options?: DeliverOptions): Promise<number[]>;
  /**
   * Operation ids PATCHed while a webhook call about them had not returned yet, as Microsoft's
   * emulator flags them ("attempt to patch the status of the operation before the request returned").
   */
  earlyPatches: string[];
  /** Signs a token as Entra would (tests: wrong audience, issuer, expiry...). */
  signToken(claims: Record<string, unknown>, options?: { audience?: string; issuer?: string; expiresInSeconds?: number; kid?: string }): Promise<string>;
  /** The next operation created ends in this state instead of Succeeded. */
  endNextOperationWith(outcome: "Failed" | "Conflict"): void;
  jwksUrl: string;
  issuer: string;
}

export async function createMarketplaceSimulator(options: MarketplaceSimulatorOptions = {}): Promise<MarketplaceSimulator> {
  const now = options.now ?? (() => new Date());
  const subscriptions = options.subscriptions ?? defaultMarketplaceSubscriptions();
  const operations: SimMsOperation[] = [];
  const usageEvents: SimUsageEvent[] = [];
  const operationPolls = options.operationPolls ?? 2;
  const autoAcceptMs = options.autoAcceptMs ?? 10_000;
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const kid = "sim-key-1";
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  const tenant = MARKETPLACE_SANDBOX.tenantId;
  const issuer = `https://sts.windows.net/${tenant}/`;
  const tokens = new Map<string, { subscriptionId: string; expires: number }>();
  let webhookUrl = options.webhookUrl;
  let nextOutcome: "Failed" | "Conflict" | undefined;
  const timers = new Set<NodeJS.Timeout>();
  let selfUrl = "";
  /** Webhook calls not yet answered, per operation id. */
  const delivering = new Map<string, number>();
  const earlyPatches: string[] = [];

  async function signToken(claims: Record<string, unknown>, o: { audience?: string; issuer?: string; expiresInSeconds?: number; kid?: string } = {}): Promise<string> {
    const iat = Math.floor(now().getTime() / 1000);
    return new SignJWT({ tid: tenant, ...claims })
      .setProtectedHeader({ alg: "RS256", kid: o.kid ?? kid, typ: "JWT" })
      .setIssuer(o.issuer ?? issuer)
      .setAudience(o.audience ?? MARKETPLACE_RESOURCE)
      .setIssuedAt(iat)
      .setNotBefore(iat - 5)
      .setExpirationTime(iat + (o.expiresInSeconds ?? 3600))
      .sign(privateKey);
  }

  const json = (status: number, body: unknown, req?: SimRequest): SimResponse => ({ status, body, headers: correlation(req) });
  const empty = (status: number, req?: SimRequest, headers: Record<string, string> = {}): SimResponse => ({ status, headers: { ...correlation(req), ...headers } });

  /** microsoft-marketplace.md: both ids are echoed, or generated when the client sent none. */
  function correlation(req?: SimRequest): Record<string, string> {
    return {
      "x-ms-requestid": req?.header("x-ms-requestid") ?? randomUUID(),
      "x-ms-correlationid": req?.header("x-ms-correlationid") ?? randomUUID(),
    };
  }

  /** Fulfillment auth failures are 403, not 401 (microsoft-marketplace.md: Errors). */
  async function authorize(req: SimRequest): Promise<SimResponse | undefined> {
    if (req.query.get("api-version") !== MARKETPLACE_API_VERSION) return json(400, { message: "Invalid api-version" }, req);
    const m = /^Bearer (\S+)$/.exec(req.header("authorization") ?? "");
    if (!m) return json(403, { message: "Authorization header is missing" }, req);
    try {
      const { payload } = await jwtVerify(m[1], publicKey, { audience: MARKETPLACE_RESOURCE, issuer, currentDate: now(), algorithms: ["RS256"] });
      if (payload.tid !== tenant || payload.appid !== MARKETPLACE_SANDBOX.clientId) return json(403, { message: "The app is not registered for this offer" }, req);
    } catch {
      return json(403, { message: "The access token is invalid" }, req);
    }
    return undefined;
  }

  const subById = (id: string) => subscriptions.find((s) => s.id === id);

  function newOperation(sub: SimMsSubscription, action: string, change: SimMsOperation["change"], source: "Azure" | "Partner"): SimMsOperation {
    const op: SimMsOperation = {
      id: randomUUID(),
      activityId: randomUUID(),
      subscriptionId: sub.id,
      offerId: sub.offerId,
      publisherId: sub.publisherId,
      planId: change.planId ?? sub.planId,
      quantity: change.quantity !== undefined ? String(change.quantity) : sub.quantity === null ? "" : String(sub.quantity),
      action,
      timeStamp: now().toISOString(),
      status: "InProgress",
      errorStatusCode: "",
      errorMessage: "",
      polls: 0,
      outcome: nextOutcome ?? "Succeeded",
      operationRequestSource: source,
      change,
    };
    nextOutcome = undefined;
    operations.push(op);
    return op;
  }

  function finish(op: SimMsOperation, outcome: "Succeeded" | "Failed" | "Conflict"): void {
    if (op.status !== "InProgress" && op.status !== "NotStarted") return;
    op.status = outcome;
    if (outcome !== "Succeeded") {
      op.errorStatusCode = outcome === "Conflict" ? "409" : "500";
      op.errorMessage = outcome === "Conflict" ? "A newer operation changed the subscription" : "The change could not be applied";
      return;
    }
    const sub = subById(op.subscriptionId);
    if (!sub) return;
    if (op.change.planId !== undefined) {
      sub.planId = op.change.planId;
      const plan = MS_OFFERS[sub.offerId ?? ""]?.find((p) => p.planId === op.change.planId);
      if (plan && !plan.isPricePerSeat) sub.quantity = null;
      else if (plan && sub.quantity === null) sub.quantity = plan.minQuantity ?? 1;
    }
    if (op.change.quantity !== undefined) sub.quantity = op.change.quantity;
    if (op.change.status !== undefined) sub.saasSubscriptionStatus = op.change.status;
    sub.lastModified = now().toISOString();
  }

  function opView(op: SimMsOperation) {
    const { polls: _p, outcome: _o, change: _c, operationRequestSource: _s, ...view } = op;
    return view;
  }

  function operationLocation(op: SimMsOperation): string {
    return `${selfUrl}/api/saas/subscriptions/${op.subscriptionId}/operations/${op.id}?api-version=${MARKETPLACE_API_VERSION}`;
  }

  /**
   * One event judged as the metering service would: its status (Accepted, or why not), the event
   * accepted before for a duplicate, and a message. Accepted events are kept.
   */
  function meter(raw: unknown): { status: string; accepted?: SimUsageEvent; message?: string; target?: string } {
    const e = (raw ?? {}) as Record<string, unknown>;
    const resourceId = typeof e.resourceId === "string" ? e.resourceId : "";
    const dimension = typeof e.dimension === "string" ? e.dimension : "";
    const planId = typeof e.planId === "string" ? e.planId : "";
    const start = typeof e.effectiveStartTime === "string" ? Date.parse(e.effectiveStartTime) : NaN;
    if (!resourceId || !dimension || !planId || Number.isNaN(start)) return { status: "BadArgument", message: "resourceId, dimension, planId and effectiveStartTime are required", target: "usageEvent" };
    if (typeof e.quantity !== "number" || !(e.quantity > 0)) return { status: "InvalidQuantity", message: "quantity must be a number above 0", target: "quantity" };
    const sub = subById(resourceId);
    if (!sub) return { status: "ResourceNotFound", message: "The resource was not found", target: "resourceId" };
    if (sub.saasSubscriptionStatus !== "Subscribed") return { status: "ResourceNotActive", message: `The subscription is ${sub.saasSubscriptionStatus}`, target: "resourceId" };
    if (planId !== sub.planId) return { status: "BadArgument", message: "planId is not the subscription's plan", target: "planId" };
    if (!MS_METERED_DIMENSIONS[sub.offerId]?.includes(dimension)) return { status: "InvalidDimension", message: `Dimension ${dimension} is not defined for this plan`, target: "dimension" };
    const t = now().getTime();
    if (start < t - 24 * 3_600_000 || start > t) return { status: "Expired", message: "Usage must be within the last 24 hours", target: "effectiveStartTime" };
    const hour = Math.floor(start / 3_600_000);
    const before = usageEvents.find((u) => u.resourceId === resourceId && u.dimension === dimension && u.hour === hour);
    if (before) return { status: "Duplicate", accepted: before, message: "This usage event already exists." };
    const accepted: SimUsageEvent = {
      usageEventId: randomUUID(),
      status: "Accepted",
      messageTime: now().toISOString(),
      resourceId,
      quantity: e.quantity,
      dimension,
      effectiveStartTime: e.effectiveStartTime as string,
      planId,
      hour,
    };
    usageEvents.push(accepted);
    return { status: "Accepted", accepted };
  }

  const usageView = ({ hour: _h, ...view }: SimUsageEvent): MsUsageEventResult => view;
  /** A duplicate's error: the event accepted first for that hour, marked Duplicate (409 body, or a batch item's error). */
  const duplicateOf = (accepted: SimUsageEvent, message?: string): MsMeteringError => ({ additionalInfo: { acceptedMessage: { ...usageView(accepted), status: "Duplicate" } }, message, code: "Conflict" });

  const SUB_PATH = /^\/api\/saas\/subscriptions\/([^/]+)$/;
  const SUB_ACTION = (action: string) => new RegExp(`^/api/saas/subscriptions/([^/]+)/${action}$`);
  const OP_PATH = /^\/api\/saas\/subscriptions\/([^/]+)\/operations\/([^/]+)$/;
  const idOf = (req: SimRequest, re: RegExp, i = 1) => decodeURIComponent(re.exec(req.path)?.[i] ?? "");
  const api = (name: string, method: "GET" | "POST" | "PATCH" | "DELETE", path: string | RegExp, handler: (req: SimRequest) => SimResponse | Promise<SimResponse>) => ({
    name,
    method,
    path,
    handle: async (req: SimRequest) => (await authorize(req)) ?? handler(req),
  });

  const tokenRoute = (name: string, path: RegExp, v2: boolean) => ({
    name,
    method: "POST" as const,
    path,
    async handle(req: SimRequest): Promise<SimResponse> {
      const form = new URLSearchParams(req.rawBody);
      if (form.get("grant_type") !== "client_credentials") return json(400, { error: "unsupported_grant_type" });
      if (form.get("client_id") !== MARKETPLACE_SANDBOX.clientId || form.get("client_secret") !== MARKETPLACE_SANDBOX.clientSecret) {
        return json(401, { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided." });
      }
      const audience = v2 ? (form.get("scope") ?? "").replace(/\/\.default$/, "") : (form.get("resource") ?? "");
      const token = await signToken({ appid: MARKETPLACE_SANDBOX.clientId }, { audience });
      const iat = Math.floor(now().getTime() / 1000);
      // The v1 endpoint sends its numbers as strings (microsoft-marketplace.md: Token).
      return json(200, v2
        ? { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: token }
        : { token_type: "Bearer", expires_in: "3599", ext_expires_in: "0", expires_on: String(iat + 3599), not_before: String(iat), resource: audience, access_token: token });
    },
  });

  const handle = await startSimulator({
    name: "microsoft-marketplace",
    host: options.host,
    port: options.port,
    faultBody: (status) => ({ message: `Injected ${status}` }),
    routes: [
      api("usage-event", "POST", "/api/usageEvent", (req) => {
        const judged = meter(req.json());
        if (judged.status === "Accepted") return json(200, usageView(judged.accepted!), req);
        if (judged.status === "Duplicate") {
          return json(409, duplicateOf(judged.accepted!, judged.message), req);
        }
        const refused: MsMeteringError = { message: "One or more errors have occurred.", target: "usageEventRequest", details: [{ message: judged.message, target: judged.target, code: judged.status }], code: "BadArgument" };
        return json(400, refused, req);
      }),
      api("batch-usage-event", "POST", "/api/batchUsageEvent", (req) => {
        const events = req.json<{ request?: unknown[] }>()?.request;
        if (!Array.isArray(events)) return json(400, { message: "The request body must be {\"request\": [...]}", code: "BadArgument" }, req);
        if (events.length > MAX_USAGE_BATCH) return json(400, { message: `A batch takes at most ${MAX_USAGE_BATCH} events`, code: "BadArgument" }, req);
        const result = events.map((raw): MsUsageEventResult => {
          const judged = meter(raw);
          if (judged.status === "Accepted") return usageView(judged.accepted!);
          const e = (raw ?? {}) as MsUsageEventResult;
          const echo = { resourceId: e.resourceId, quantity: e.quantity, dimension: e.dimension, effectiveStartTime: e.effectiveStartTime, planId: e.planId, messageTime: now().toISOString() };
          if (judged.status === "Duplicate") {
            return { ...echo, status: "Duplicate", error: duplicateOf(judged.accepted!, judged.message) };
          }
          return { ...echo, status: judged.status, error: { message: judged.message, target: judged.target, code: judged.status } };
        });
        return json(200, { count: result.length, result }, req);
      }),
      tokenRoute("token-v1", /^\/[^/]+\/oauth2\/token$/, false),
      tokenRoute("token-v2", /^\/[^/]+\/oauth2\/v2\.0\/token$/, true),
      { name: "jwks", method: "GET", path: /^\/[^/]+\/discovery\/v2\.0\/keys$/, handle: () => ({ status: 200, body: { keys: [jwk] } }) },
      api("resolve", "POST", "/api/saas/subscriptions/resolve", (req) => {
        const token = req.header("x-ms-marketplace-token");
        const entry = token ? tokens.get(token) : undefined;
        // Only the URL-decoded token works; an encoded one is "malformed".
        if (!entry) return json(400, { message: "The marketplace token is missing, malformed or expired" }, req);
        if (entry.expires < now().getTime()) return json(400, { message: "The marketplace token has expired" }, req);
        const sub = subById(entry.subscriptionId)!;
        return json(200, { id: sub.id, subscriptionName: sub.name, offerId: sub.offerId, planId: sub.planId, quantity: sub.quantity === null ? "" : String(sub.quantity), subscription: sub }, req);
      }),
      api("list-subscriptions", "GET", "/api/saas/subscriptions", (req) => {
        if (subscriptions.length === 0) return empty(200, req); // an empty body, not []
        const offset = Number(req.query.get("continuationToken") ?? 0) || 0;
        const page = subscriptions.slice(offset, offset + 100);
        const next = offset + 100 < subscriptions.length ? `${selfUrl}/api/saas/subscriptions?continuationToken=${offset + 100}&api-version=${MARKETPLACE_API_VERSION}` : "";
        return json(200, { subscriptions: page, "@nextLink": next }, req);
      }),
      api("list-plans", "GET", SUB_ACTION("listAvailablePlans"), (req) => {
        const sub = subById(idOf(req, SUB_ACTION("listAvailablePlans")));
        if (!sub) return empty(200, req); // unknown id: an empty body (microsoft-marketplace.md, note 5)
        return json(200, { plans: MS_OFFERS[sub.offerId ?? ""] ?? [] }, req);
      }),
      api("activate", "POST", SUB_ACTION("activate"), (req) => {
        const sub = subById(idOf(req, SUB_ACTION("activate")));
        if (!sub) return json(404, { message: "Subscription not found" }, req);
        const body = req.json<{ planId?: string; quantity?: string | number }>() ?? {};
        if (sub.saasSubscriptionStatus === "Unsubscribed") return json(404, { message: "Subscription is unsubscribed" }, req);
        if (sub.saasSubscriptionStatus !== "PendingFulfillmentStart") return json(400, { message: `Subscription is ${sub.saasSubscriptionStatus}` }, req);
        if (!body.planId || body.planId !== sub.planId) return json(400, { message: "planId is missing or does not match" }, req);
        const q = body.quantity === undefined || body.quantity === "" ? null : Number(body.quantity);
        if (q !== null && sub.quantity !== null && q !== sub.quantity) return json(400, { message: "quantity does not match" }, req);
        sub.saasSubscriptionStatus = "Subscribed";
        return empty(200, req);
      }),
      api("list-operations", "GET", SUB_ACTION("operations"), (req) => {
        const id = idOf(req, SUB_ACTION("operations"));
        if (!subById(id)) return json(404, { message: "Subscription not found" }, req);
        const pending = operations.filter((o) => o.subscriptionId === id && (o.status === "InProgress" || o.status === "NotStarted"));
        if (options.operationList === "bare") return json(200, pending.map(opView), req);
        return json(200, pending.length ? { operations: pending.map(opView) } : {}, req);
      }),
      api("get-operation", "GET", OP_PATH, (req) => {
        const op = operations.find((o) => o.subscriptionId === idOf(req, OP_PATH, 1) && o.id === idOf(req, OP_PATH, 2));
        if (!op) return json(404, { message: "Operation not found" }, req);
        // Publisher-initiated operations progress as they are polled; customer ones wait for the publisher.
        if (op.operationRequestSource === "Partner" && op.status === "InProgress" && ++op.polls >= operationPolls) finish(op, op.outcome);
        return json(200, opView(op), req);
      }),
      api("update-operation", "PATCH", OP_PATH, (req) => {
        const op = operations.find((o) => o.subscriptionId === idOf(req, OP_PATH, 1) && o.id === idOf(req, OP_PATH, 2));
        if (!op) return json(404, { message: "Operation not found" }, req);
        const status = req.json<{ status?: string }>()?.status;
        if (status !== "Success" && status !== "Failure") return json(400, { message: "status must be Success or Failure" }, req);
        if (op.status !== "InProgress" && op.status !== "NotStarted") return json(409, { message: "The operation has already ended" }, req);
        if ((delivering.get(op.id) ?? 0) > 0) earlyPatches.push(op.id);
        finish(op, status === "Success" ? "Succeeded" : "Failed");
        return empty(200, req);
      }),
      api("get-subscription", "GET", SUB_PATH, (req) => {
        const sub = subById(idOf(req, SUB_PATH));
        return sub ? json(200, sub, req) : json(404, { message: "Subscription not found" }, req);
      }),
      api("change-subscription", "PATCH", SUB_PATH, (req) => {
        const sub = subById(idOf(req, SUB_PATH));
        if (!sub) return json(404, { message: "Subscription not found" }, req);
        const body = req.json<{ planId?: string; quantity?: number | string }>() ?? {};
        if (sub.saasSubscriptionStatus !== "Subscribed") return json(400, { message: `Subscription is ${sub.saasSubscriptionStatus}` }, req);
        if (!sub.allowedCustomerOperations?.includes("Update")) return json(400, { message: "Update is not allowed for this subscription" }, req);
        if ((body.planId === undefined) === (body.quantity === undefined)) return json(400, { message: "Change either planId or quantity" }, req);
        const plans = MS_OFFERS[sub.offerId ?? ""] ?? [];
        if (body.planId !== undefined) {
          if (!plans.some((p) => p.planId === body.planId) || body.planId === sub.planId) return json(400, { message: "Unknown or unchanged plan" }, req);
          const op = newOperation(sub, "ChangePlan", { planId: body.planId }, "Partner");
          return empty(202, req, { "operation-location": operationLocation(op) });
        }
        const quantity = Number(body.quantity);
        const plan = plans.find((p) => p.planId === sub.planId);
        if (!plan?.isPricePerSeat || !Number.isInteger(quantity) || quantity === sub.quantity || quantity < (plan.minQuantity ?? 1) || quantity > (plan.maxQuantity ?? Infinity)) {
          return json(400, { message: "Quantity is outside the plan's limits, unchanged, or the plan is not per seat" }, req);
        }
        const op = newOperation(sub, "ChangeQuantity", { quantity }, "Partner");
        return empty(202, req, { "operation-location": operationLocation(op) });
      }),
      api("delete-subscription", "DELETE", SUB_PATH, (req) => {
        const sub = subById(idOf(req, SUB_PATH));
        if (!sub) return json(404, { message: "Subscription not found" }, req);
        if (sub.saasSubscriptionStatus === "Unsubscribed") return json(404, { message: "Subscription is unsubscribed" }, req);
        if (!sub.allowedCustomerOperations?.includes("Delete")) return json(400, { message: "Delete is not allowed for this subscription" }, req);
        const op = newOperation(sub, "Unsubscribe", { status: "Unsubscribed" }, "Partner");
        return empty(202, req, { "operation-location": operationLocation(op) });
      }),
    ],
  });
  selfUrl = handle.url;

  function newCustomerChange(subscriptionId: string, change: { planId?: string; quantity?: number }): SimMsOperation {
    const sub = subById(subscriptionId);
    if (!sub) throw new Error(`no subscription ${subscriptionId}`);
    const op = newOperation(sub, change.planId !== undefined ? "ChangePlan" : "ChangeQuantity", change, "Azure");
    const timer = setTimeout(() => {
      timers.delete(timer);
      finish(op, "Succeeded"); // nobody said no within the window: accepted
    }, autoAcceptMs);
    timer.unref();
    timers.add(timer);
    return op;
  }

  async function deliver(op: SimMsOperation, o: DeliverOptions = {}): Promise<number[]> {
    if (!webhookUrl) throw new Error("no webhook URL set");
    const sub = subById(op.subscriptionId);
    const body = o.minimal
      ? { id: op.id, activityId: op.activityId, operationRequestSource: op.operationRequestSource, subscriptionId: op.subscriptionId, timeStamp: op.timeStamp, action: op.action }
      : { ...opView(op), operationRequestSource: op.operationRequestSource, subscription: sub, purchaseToken: null };
    const appId = o.appId ?? options.webhookAppId ?? MARKETPLACE_RESOURCE;
    // Entra v1 tokens name the calling app in `appid`, v2 tokens in `azp`.
    const caller = (o.tokenVersion ?? options.webhookTokenVersion ?? "v1") === "v2" ? { ver: "2.0", azp: appId } : { ver: "1.0", appid: appId };
    const token = o.token ?? (await signToken(caller, { audience: MARKETPLACE_SANDBOX.publisherAppId }));
    const statuses: number[] = [];
    const retries = options.webhookRetries ?? 3;
    for (let attempt = 0; attempt <= retries; attempt++) {
      delivering.set(op.id, (delivering.get(op.id) ?? 0) + 1);
      try {
        const res = await request(webhookUrl, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
        await res.body.dump();
        statuses.push(res.statusCode);
        if (res.statusCode < 500) break; // 2xx done; 4xx is the publisher's rejection
      } catch {
        statuses.push(0);
      } finally {
        const left = (delivering.get(op.id) ?? 1) - 1;
        if (left > 0) delivering.set(op.id, left);
        else delivering.delete(op.id);
      }
      await new Promise((r) => setTimeout(r, options.webhookRetryDelayMs ?? 200));
    }
    return statuses;
  }

  return {
    ...handle,
    subscriptions,
    operations,
    usageEvents,
    earlyPatches,
    jwksUrl: `${selfUrl}/${tenant}/discovery/v2.0/keys`,
    issuer,
    purchaseToken(subscriptionId: string) {
      const rnd = seededRandom(`token|${subscriptionId}|${tokens.size}`);
      // Characters that a landing page receives URL-encoded (+ / =).
      const token = Buffer.from(Array.from({ length: 48 }, () => Math.floor(rnd() * 256))).toString("base64");
      tokens.set(token, { subscriptionId, expires: now().getTime() + 24 * 3_600_000 });
      return token;
    },
    setWebhookUrl(url: string) {
      webhookUrl = url;
    },
    newCustomerChange,
    async customerChange(subscriptionId, change) {
      const op = newCustomerChange(subscriptionId, change);
      const statuses = webhookUrl ? await deliver(op) : [];
      // A 4xx answer within the window is a rejection (microsoft-marketplace.md: Webhook).
      if (statuses.some((s) => s >= 400 && s < 500)) finish(op, "Failed");
      return op;
    },
    async suspend(subscriptionId) {
      const sub = subById(subscriptionId)!;
      sub.saasSubscriptionStatus = "Suspended";
      const op = newOperation(sub, "Suspend", { status: "Suspended" }, "Azure");
      op.status = "Succeeded"; // notify only
      if (webhookUrl) await deliver(op);
      return op;
    },
    deliver,
    signToken,
    endNextOperationWith(outcome) {
      nextOutcome = outcome;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      await handle.close();
    },
  };
}
