/**
 * Pure mapping of SaaS Fulfillment v2 bodies to the domain model, with the contract's quirks
 * (microsoft-marketplace.md: Quirks): quantity as number, string, "" or null; status values padded
 * with spaces; `0001-01-01T00:00:00` for "never"; term dates as timestamps or bare dates.
 */
import type { Decimal } from "decimal.js";
import type { OperationRecord, OperationStatus } from "../../domain/connector";
import { Dec, isDecimalText } from "../../domain/money";
import type { CompanyRecord, ConnectionInfo, PartyRecord, ProductRecord, SubscriptionRecord, SubscriptionStatus } from "../../domain/model";
import { listOf } from "../connector-kit";
import type { MsOperation, MsParty, MsPlan, MsSubscription } from "./wire";

export const MARKETPLACE_PUBLISHER = "publisher";

export function quantityOf(value: unknown): Decimal | null {
  if (typeof value === "number" && Number.isFinite(value)) return new Dec(String(value));
  if (typeof value === "string" && value.trim() !== "" && isDecimalText(value)) return new Dec(value.trim());
  return null;
}

/** ISO text, or null for Microsoft's "never" (0001-01-01) and anything unreadable. */
export function dateOf(value: unknown): string | null {
  if (typeof value !== "string" || value.trim() === "" || value.startsWith("0001-01-01")) return null;
  const text = value.trim();
  return Number.isNaN(Date.parse(text)) ? null : text;
}

const SUBSCRIPTION_STATUS: Record<string, SubscriptionStatus> = {
  pendingfulfillmentstart: "PENDING_FULFILLMENT_START",
  subscribed: "SUBSCRIBED",
  suspended: "SUSPENDED",
  unsubscribed: "UNSUBSCRIBED",
};

const OPERATION_STATUS: Record<string, OperationStatus> = {
  notstarted: "NOT_STARTED",
  inprogress: "IN_PROGRESS",
  succeeded: "SUCCEEDED",
  failed: "FAILED",
  conflict: "CONFLICT",
};

function party(p: MsParty | undefined): PartyRecord | null {
  if (!p) return null;
  return { tenantId: p.tenantId ?? null, objectId: p.objectId ?? null, email: p.emailId ?? null };
}

export function productKey(offerId: string | undefined, planId: string | undefined): string {
  return `${offerId ?? "?"}/${planId ?? "?"}`;
}

export function mapSubscription(info: ConnectionInfo, s: MsSubscription, onUnknown?: (field: string, value: string) => void): SubscriptionRecord {
  const raw = String(s.saasSubscriptionStatus ?? "").trim();
  const status = SUBSCRIPTION_STATUS[raw.toLowerCase()];
  if (!status) onUnknown?.("saasSubscriptionStatus", raw);
  const beneficiary = party(s.beneficiary);
  const purchaser = party(s.purchaser);
  const attributes: SubscriptionRecord["attributes"] = [];
  const allowed = listOf<string>(info, s, "allowedCustomerOperations", "subscription's allowedCustomerOperations", { absent: true, of: "string" });
  if (s.allowedCustomerOperations !== undefined) attributes.push({ name: "allowedCustomerOperations", value: allowed.join(",") });
  if (s.sandboxType && s.sandboxType !== "None") attributes.push({ name: "sandboxType", value: s.sandboxType });
  const created = dateOf(s.created);
  if (created) attributes.push({ name: "created", value: created });
  return {
    connectionId: info.id,
    vendor: info.vendor,
    key: s.id,
    name: s.name ?? null,
    status: status ?? "UNKNOWN",
    rawStatus: raw,
    plan: s.planId ?? null,
    quantity: quantityOf(s.quantity),
    externalIds: [{ kind: "microsoft.saasSubscriptionId", value: s.id }],
    attributes,
    offer: s.offerId ?? null,
    term: s.term ? { start: dateOf(s.term.startDate), end: dateOf(s.term.endDate), unit: s.term.termUnit ?? null } : null,
    autoRenew: typeof s.autoRenew === "boolean" ? s.autoRenew : null,
    isFreeTrial: typeof s.isFreeTrial === "boolean" ? s.isFreeTrial : null,
    isTest: typeof s.isTest === "boolean" ? s.isTest : null,
    // A CSP purchaser differs from the beneficiary; keep it only then.
    purchaser: purchaser && purchaser.tenantId !== beneficiary?.tenantId ? purchaser : null,
    companyKey: beneficiary?.tenantId ?? null,
    partnerKey: MARKETPLACE_PUBLISHER,
  };
}

export function mapOperation(info: ConnectionInfo, op: MsOperation, subscriptionKey: string, onUnknown?: (field: string, value: string) => void): OperationRecord {
  const raw = String(op.status ?? "").trim();
  const status = OPERATION_STATUS[raw.toLowerCase()];
  if (!status) onUnknown?.("operation.status", raw);
  // A doc sample spells the key "id  " (microsoft-marketplace.md quirk 6).
  const id = op.id ?? (op as Record<string, unknown>)["id  "];
  return {
    connectionId: info.id,
    vendor: info.vendor,
    key: String(id),
    subscriptionKey: op.subscriptionId ?? subscriptionKey,
    action: String(op.action ?? "").trim(),
    status: status ?? "UNKNOWN",
    rawStatus: raw,
    planId: op.planId ?? null,
    quantity: quantityOf(op.quantity),
    timeStamp: dateOf(op.timeStamp) ? new Date(String(op.timeStamp)) : null,
    errorMessage: op.errorMessage ? String(op.errorMessage) : null,
  };
}

export function mapPlan(info: ConnectionInfo, offerId: string | undefined, plan: MsPlan): ProductRecord {
  return {
    connectionId: info.id,
    vendor: info.vendor,
    key: productKey(offerId, plan.planId),
    sku: plan.planId,
    name: plan.displayName ?? plan.planId,
    aliases: [],
    unit: plan.isPricePerSeat ? "seat" : "flat",
    category: "BASE_PLAN",
    known: true,
  };
}

/** Beneficiary tenants as managed companies, with their plans in use as usage. */
export function companiesOf(info: ConnectionInfo, subscriptions: SubscriptionRecord[]): CompanyRecord[] {
  const byTenant = new Map<string, CompanyRecord>();
  for (const s of subscriptions) {
    if (!s.companyKey || s.status === "UNSUBSCRIBED") continue;
    const company =
      byTenant.get(s.companyKey) ??
      ({
        connectionId: info.id,
        vendor: info.vendor,
        partnerKey: MARKETPLACE_PUBLISHER,
        key: s.companyKey,
        name: s.name,
        plan: null,
        externalIds: [{ kind: "microsoft.tenantId", value: s.companyKey }],
        invitedUsers: null,
        maximumAllowedUsers: null,
        usage: [],
      } satisfies CompanyRecord);
    company.usage.push({ productKey: productKey(s.offer ?? undefined, s.plan ?? undefined), reportedName: s.plan, quantity: s.quantity ?? new Dec(1), unit: s.quantity ? "seat" : "flat" });
    byTenant.set(s.companyKey, company);
  }
  return [...byTenant.values()];
}
