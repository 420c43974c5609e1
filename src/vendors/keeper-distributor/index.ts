/**
 * Keeper distributor account management, the "mspvendor" API (keeper.md, section B). The connection is
 * the distributor; its linked MSPs (GET /accounts) are sub-partners, each with its own usage and monthly
 * statement keyed by `vendorInternalId`. Lifecycle calls change state at Keeper and are never retried.
 */
import type {
  AccountLifecycle,
  CallContext,
  CreateTrialInput,
  CreatedTrial,
  LifecycleResult,
  VendorConnector,
} from "../../domain/connector";
import { BadUserInputError, VendorError } from "../../domain/errors";
import type {
  ConnectionInfo,
  PartnerRecord,
  ProductRecord,
  Sourced,
  StatementRecord,
  UsageSnapshot,
} from "../../domain/model";
import type { BillingPeriod } from "../../domain/period";
import type { Secret } from "../../domain/secret";
import type { UpstreamRequest } from "../../http/upstream";
import { cachedRead, createUpstream, localProvenance, rootPartnerRecord, statementTtl, warnUnknown, type ConnectorDeps } from "../connector-kit";
import {
  describeKeeperError,
  ensureSuccess,
  mapAccounts,
  mapProducts,
  mapStatement,
  mapUsageSnapshot,
  monthlyDocumentId,
  parseKeeperBody,
  productResolver,
} from "../keeper/mapper";
import {
  KEEPER_DISTRIBUTOR_PREFIX,
  type KeeperAccountsBody,
  type KeeperCreateTrialBody,
  type KeeperCreateTrialRequest,
  type KeeperCurrentUsageBody,
  type KeeperMessageBody,
  type KeeperMonthlyUsageBody,
  type KeeperMspProductsBody,
} from "../keeper/wire";
import { KeeperJwtSource } from "./auth";

export interface KeeperDistributorConnectionConfig {
  id: string;
  name?: string;
  baseUrl: string;
  /** Keeper's "partner key" (consumer key): the JWT issuer. */
  partnerKey: Secret;
  /** The pre-shared secret the JWT is signed with. */
  secret: Secret;
  /** The vendor name Keeper assigned, sent as the `vendor` header. */
  vendorName: string;
}

/** Key of the distributor itself; linked MSPs are keyed by their vendorInternalId. */
export const KEEPER_DISTRIBUTOR_ROOT = "@distributor";

export interface KeeperDistributorConnector extends VendorConnector {
  readonly lifecycle: AccountLifecycle;
  readonly jwt: KeeperJwtSource;
}

export function createKeeperDistributorConnector(
  config: KeeperDistributorConnectionConfig,
  deps: ConnectorDeps,
): KeeperDistributorConnector {
  const info: ConnectionInfo = { id: config.id, vendor: "KEEPER", api: "keeper-distributor", name: config.name ?? null };
  const upstream = createUpstream(info, config.baseUrl, deps, describeKeeperError);
  const jwt = new KeeperJwtSource({ partnerKey: config.partnerKey, secret: config.secret, now: deps.now });
  // keeper.md B: always send both headers, even where a seed sample omits Authorization.
  const headers = async () => ({ authorization: `Bearer ${await jwt.token()}`, vendor: config.vendorName });
  const onUnknown = warnUnknown(deps.logger, info);

  const rootPartner = rootPartnerRecord(info, KEEPER_DISTRIBUTOR_ROOT, "DISTRIBUTOR", config.name ?? config.vendorName, [{ kind: "keeper.vendorName", value: config.vendorName }]);

  const route = (name: string, method: "GET" | "POST", body: unknown, idempotent: boolean): UpstreamRequest => ({
    route: name,
    method,
    path: `${KEEPER_DISTRIBUTOR_PREFIX}/${name}`,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    idempotent,
  });

  async function lifecycleCall(call: CallContext, name: string, body: Record<string, unknown>): Promise<LifecycleResult> {
    // A state change: never retried blindly (idempotent: false), never cached.
    const res = await upstream.send(call, route(name, "POST", body, false));
    const parsed = parseKeeperBody<KeeperMessageBody>(info, res.text);
    ensureSuccess(info, parsed);
    await invalidateAll();
    return { message: typeof parsed.message === "string" ? parsed.message : "" };
  }

  async function invalidateAll(): Promise<void> {
    await deps.cache.invalidate(info.id, "accounts");
    await deps.cache.invalidate(info.id, "usage");
  }

  function requireMsp(partnerKey: string): string {
    if (partnerKey === KEEPER_DISTRIBUTOR_ROOT || partnerKey.trim() === "") {
      throw new BadUserInputError("This operation needs a linked MSP, not the distributor itself");
    }
    return partnerKey;
  }

  const lifecycle: AccountLifecycle = {
    async createTrialAccount(call: CallContext, input: CreateTrialInput): Promise<CreatedTrial> {
      const body: KeeperCreateTrialRequest = {
        name: input.name,
        country: input.country,
        email: input.email,
        vendorInternalId: input.vendorInternalId,
        zipCode: input.zipCode,
        state: input.state,
        city: input.city,
        street: input.street,
        phone: input.phone,
        showPricingInMSPConsole: input.showPricingInMspConsole ?? false,
      };
      const res = await upstream.send(call, route("create-trial-account", "POST", body, false));
      const parsed = parseKeeperBody<KeeperCreateTrialBody>(info, res.text);
      ensureSuccess(info, parsed);
      await invalidateAll();
      const details = parsed.partnerDetails;
      if (!details || typeof details.partnerId !== "string") {
        throw new VendorError(
          "VENDOR_BAD_RESPONSE",
          { vendor: info.vendor, connectionId: info.id },
          "The vendor's create-trial-account answer has no partnerDetails.partnerId",
        );
      }
      const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);
      return {
        vendorPartnerId: details.partnerId,
        contactFirstName: str(details["first name"]),
        contactLastName: str(details["last name"]),
        locale: str(details.locale),
        // keeper.md B: a new account is PENDING until its invitation is accepted.
        subscription: {
          connectionId: info.id,
          vendor: info.vendor,
          key: typeof details.vendorInternalId === "string" ? details.vendorInternalId : input.vendorInternalId,
          name: input.name,
          status: "PENDING",
          rawStatus: "PENDING",
          plan: null,
          quantity: null,
          externalIds: [
            { kind: "keeper.vendorInternalId", value: input.vendorInternalId },
            { kind: "keeper.partnerId", value: details.partnerId },
          ],
          attributes: details.trial === true ? [{ name: "trial", value: "true" }] : [],
        },
      };
    },
    convertToPaid: (call, vendorInternalId) => lifecycleCall(call, "convert-to-paid", { vendorInternalId }),
    activateExpiredAccount: (call, vendorInternalId) => lifecycleCall(call, "activate-expired", { vendorInternalId }),
    cancelPaidAccount: (call, partnerId) => lifecycleCall(call, "cancel-paid-account", { partnerId }),
    removeAccount: (call, partnerId) => lifecycleCall(call, "remove-account", { partnerId }),
  };

  return {
    info,
    rootPartner,
    lifecycle,
    jwt,

    async listSubPartners(call: CallContext, partnerKey: string): Promise<Sourced<PartnerRecord[]>> {
      if (partnerKey !== KEEPER_DISTRIBUTOR_ROOT) {
        return { value: [], source: localProvenance(info, deps) };
      }
      return cachedRead(
        info,
        deps,
        upstream,
        call,
        {
          op: "keeper-distributor.accounts",
          kind: "accounts",
          args: null,
          ttlMs: deps.ttls.accountsMs,
          request: route("accounts", "GET", undefined, true),
        },
        (payload) =>
          mapAccounts(info, parseKeeperBody<KeeperAccountsBody>(info, payload), onUnknown).map((subscription) => ({
            connectionId: info.id,
            vendor: info.vendor,
            key: subscription.key,
            parentKey: KEEPER_DISTRIBUTOR_ROOT,
            role: "MSP" as const,
            name: subscription.name,
            externalIds: subscription.externalIds,
            subscription,
          })),
      );
    },

    async getCurrentUsage(call: CallContext, partnerKey: string): Promise<Sourced<UsageSnapshot>> {
      if (partnerKey === KEEPER_DISTRIBUTOR_ROOT) {
        // The distributor holds no licences itself; its MSPs do.
        const empty: UsageSnapshot = { partnerKey, partnerName: rootPartner.name, partnerUsage: [], companies: [] };
        return { value: empty, source: localProvenance(info, deps) };
      }
      const vendorInternalId = requireMsp(partnerKey);
      return cachedRead(
        info,
        deps,
        upstream,
        call,
        {
          op: "keeper-distributor.current-usage",
          kind: "usage",
          args: { vendorInternalId },
          ttlMs: deps.ttls.currentUsageMs,
          // A read over POST: safe to retry.
          request: route("current-usage", "POST", { vendorInternalId }, true),
        },
        (payload) => mapUsageSnapshot(info, partnerKey, parseKeeperBody<KeeperCurrentUsageBody>(info, payload)),
      );
    },

    async getStatement(call: CallContext, partnerKey: string, period: BillingPeriod): Promise<Sourced<StatementRecord | null>> {
      if (partnerKey === KEEPER_DISTRIBUTOR_ROOT) {
        // Keeper bills a distributor per linked MSP; there is no distributor-level statement.
        return { value: null, source: localProvenance(info, deps) };
      }
      const vendorInternalId = requireMsp(partnerKey);
      // keeper.md quirk 2: zero-padded month and the year, both as strings.
      const body = { vendorInternalId, month: String(period.month).padStart(2, "0"), year: String(period.year) };
      const documentId = monthlyDocumentId("keeper-distributor", vendorInternalId, period);
      return cachedRead(info, deps, upstream, call, {
        op: "keeper-distributor.monthly-usage",
        kind: "usage",
        args: body,
        ttlMs: statementTtl(deps.ttls, period, deps.now()),
        request: route("monthly-usage", "POST", body, true),
      }, (payload) => mapStatement(info, partnerKey, period, documentId, parseKeeperBody<KeeperMonthlyUsageBody>(info, payload)));
    },

    async listProducts(call: CallContext): Promise<Sourced<ProductRecord[]>> {
      return cachedRead(info, deps, upstream, call, {
        op: "keeper-distributor.msp-products",
        kind: "catalogue",
        args: null,
        ttlMs: deps.ttls.catalogueMs,
        request: route("msp-products", "GET", undefined, true),
      }, (payload) => mapProducts(info, parseKeeperBody<KeeperMspProductsBody>(info, payload)));
    },

    productFor: productResolver(info),

    async invalidate(what: "accounts" | "usage" | "all"): Promise<void> {
      if (what === "all") return invalidateAll();
      await deps.cache.invalidate(info.id, what);
    },
  };
}
