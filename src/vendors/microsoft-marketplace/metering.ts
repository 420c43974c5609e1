/**
 * Marketplace metering (microsoft-marketplace.md, Metering API): events as the service takes them, and
 * its statuses as the gateway's. A quantity goes out as a JSON number written from its exact decimal
 * text (never through a double).
 */
import { LosslessNumber, stringify } from "lossless-json";
import type { MeteredUsage, MeteringResult, MeteringStatus } from "../../domain/connector";
import type { MsMeteringError } from "./wire";

const STATUSES: Record<string, MeteringStatus> = {
  accepted: "ACCEPTED",
  duplicate: "DUPLICATE",
  expired: "EXPIRED",
  error: "ERROR",
  resourcenotfound: "RESOURCE_NOT_FOUND",
  resourcenotauthorized: "RESOURCE_NOT_AUTHORIZED",
  resourcenotactive: "RESOURCE_NOT_ACTIVE",
  invaliddimension: "INVALID_DIMENSION",
  invalidquantity: "INVALID_QUANTITY",
  badargument: "BAD_ARGUMENT",
};

/** The service's status (any casing, padded or not) as the gateway's; UNKNOWN for one it never documented. */
export function meteringStatusOf(raw: string): MeteringStatus {
  return STATUSES[raw.trim().toLowerCase()] ?? "UNKNOWN";
}

/** The service's reason, from its error body (the first detail says most), or null. */
export function meteringMessage(error: MsMeteringError | undefined): string | null {
  return error?.details?.[0]?.message ?? error?.message ?? null;
}

export function meteringResult(event: MeteredUsage, status: MeteringStatus, rawStatus: string, usageEventId: string | null, message: string | null, errorCode: string | null = null): MeteringResult {
  return { event, status, rawStatus, usageEventId, message, errorCode };
}

/** UTC to the second, as the service's samples write it (the hour is the caller's: the service dedupes per hour). */
function utcText(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The body of usageEvent (one event) or batchUsageEvent (`{"request": [...]}`). */
export function usageEventBody(events: MeteredUsage[], batch = false): string {
  const wire = events.map((e) => ({
    resourceId: e.subscriptionKey,
    quantity: new LosslessNumber(e.quantity.toFixed()),
    dimension: e.dimension,
    effectiveStartTime: utcText(e.effectiveStartTime),
    planId: e.planId,
  }));
  return stringify(batch ? { request: wire } : wire[0]) ?? "";
}
