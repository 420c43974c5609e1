/**
 * Keeper MSP billing through the Admin REST API (keeper.md, section A): `x-api-token: Bearer <token>`,
 * monthly usage with an integer month (no leading zero) and a four-digit year, and current usage.
 * The connection is the MSP itself; its managed companies come from the usage bodies.
 */
import type { CallContext, VendorConnector } from "../../domain/connector";
import { BadUserInputError } from "../../domain/errors";
import type { ConnectionInfo, PartnerRecord, ProductRecord, Sourced, StatementRecord, UsageSnapshot } from "../../domain/model";
import type { BillingPeriod } from "../../domain/period";
import type { Secret } from "../../domain/secret";
import { cachedRead, createUpstream, localProvenance, rootPartnerRecord, statementTtl, type ConnectorDeps } from "../connector-kit";
import {
  describeKeeperError,
  mapProducts,
  mapStatement,
  mapUsageSnapshot,
  monthlyDocumentId,
  parseKeeperBody,
  productResolver,
} from "../keeper/mapper";
import { KEEPER_MSP_PREFIX, type KeeperCurrentUsageBody, type KeeperMonthlyUsageBody } from "../keeper/wire";

export interface KeeperMspConnectionConfig {
  id: string;
  name?: string;
  baseUrl: string;
  apiToken: Secret;
}

/** The connection's own partner key: the Admin API only ever speaks for the token's MSP. */
export const KEEPER_MSP_SELF = "self";

export function createKeeperMspConnector(config: KeeperMspConnectionConfig, deps: ConnectorDeps): VendorConnector {
  const info: ConnectionInfo = { id: config.id, vendor: "KEEPER", api: "keeper-msp", name: config.name ?? null };
  const upstream = createUpstream(info, config.baseUrl, deps, describeKeeperError);
  // keeper.md A: the word "Bearer" lives inside the custom header, not in Authorization.
  const authHeaders = () => ({ "x-api-token": `Bearer ${config.apiToken.reveal()}` });

  // The Admin API names the MSP only in its usage bodies; resolved from there (config name is the connection's).
  const rootPartner = rootPartnerRecord(info, KEEPER_MSP_SELF, "MSP", null, []);

  function requireSelf(partnerKey: string): void {
    if (partnerKey !== KEEPER_MSP_SELF) throw new BadUserInputError(`Unknown partner for connection ${info.id}`);
  }

  return {
    info,
    rootPartner,
    async listSubPartners(): Promise<Sourced<PartnerRecord[]>> {
      return { value: [], source: localProvenance(info, deps) };
    },

    async getCurrentUsage(call: CallContext, partnerKey: string): Promise<Sourced<UsageSnapshot>> {
      requireSelf(partnerKey);
      return cachedRead(info, deps, upstream, call, {
        op: "keeper-msp.current-usage",
        kind: "usage",
        args: null,
        ttlMs: deps.ttls.currentUsageMs,
        request: { route: "current-usage", method: "GET", path: `${KEEPER_MSP_PREFIX}/current-usage`, headers: authHeaders, idempotent: true },
      }, (payload) => mapUsageSnapshot(info, partnerKey, parseKeeperBody<KeeperCurrentUsageBody>(info, payload)));
    },

    async getStatement(call: CallContext, partnerKey: string, period: BillingPeriod): Promise<Sourced<StatementRecord | null>> {
      requireSelf(partnerKey);
      const documentId = monthlyDocumentId("keeper-msp", partnerKey, period);
      return cachedRead(info, deps, upstream, call, {
        op: "keeper-msp.billing-usage",
        kind: "usage",
        args: period,
        ttlMs: statementTtl(deps.ttls, period, deps.now()),
        request: {
          route: "billing-usage",
          method: "GET",
          path: `${KEEPER_MSP_PREFIX}/billing-usage`,
          // keeper.md quirk 2: integer month without a leading zero, four-digit year.
          query: { month: String(period.month), year: String(period.year) },
          headers: authHeaders,
          idempotent: true,
        },
      }, (payload) => mapStatement(info, partnerKey, period, documentId, parseKeeperBody<KeeperMonthlyUsageBody>(info, payload)));
    },

    async listProducts(): Promise<Sourced<ProductRecord[]>> {
      // The Admin API has no catalogue endpoint: the published product table serves (seed 001).
      return { value: mapProducts(info), source: localProvenance(info, deps) };
    },

    productFor: productResolver(info),

    async invalidate(): Promise<void> {
      await deps.cache.invalidate(info.id, "usage");
    },
  };
}
