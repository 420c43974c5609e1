/**
 * Pure, total mapping from Keeper wire bodies (both APIs share the usage shapes) to the domain model.
 * Numbers go from their JSON text straight to Decimal. A body that fails the wire checks raises
 * VENDOR_BAD_RESPONSE naming the field; `success:false` raises VENDOR_REJECTED with Keeper's message.
 */
import { isLosslessNumber, parse as losslessParse } from "lossless-json";
import type { Decimal } from "decimal.js";
import { VendorError } from "../../domain/errors";
import { decimalFromText, isDecimalText } from "../../domain/money";
import type {
  CompanyRecord,
  ConnectionInfo,
  InvoiceLineRecord,
  ProductRecord,
  StatementRecord,
  SubscriptionRecord,
  SubscriptionStatus,
  UsageRecord,
  UsageSnapshot,
} from "../../domain/model";
import { formatBillingPeriod, periodBounds, type BillingPeriod } from "../../domain/period";
import { listOf } from "../connector-kit";
import { KEEPER_CATALOGUE, keeperCatalogueEntry } from "./catalogue";
import type {
  KeeperAccountRow,
  KeeperCompanyItem,
  KeeperCurrentUsageBody,
  KeeperMonthlyUsageBody,
  KeeperMspProductsBody,
  KeeperProductRow,
} from "./wire";

export type UnknownValueHook = (field: string, value: string) => void;

class WireCheckError extends Error {}

function badResponse(connection: ConnectionInfo, message: string): VendorError {
  return new VendorError("VENDOR_BAD_RESPONSE", { vendor: connection.vendor, connectionId: connection.id }, message);
}

/** Parses a Keeper JSON body keeping every number's text. */
export function parseKeeperBody<T>(connection: ConnectionInfo, text: string): T {
  let parsed: unknown;
  try {
    parsed = losslessParse(text);
  } catch {
    throw badResponse(connection, "The vendor sent a body that is not JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw badResponse(connection, "The vendor sent a JSON body that is not an object");
  }
  return parsed as T;
}

/** keeper.md: treat `success:false` (even on a 200) as an error, with Keeper's message kept. */
export function ensureSuccess(connection: ConnectionInfo, body: { success?: unknown; message?: unknown }): void {
  if (body.success === true) return;
  const message = typeof body.message === "string" ? body.message.slice(0, 300) : undefined;
  if (body.success === false) {
    throw new VendorError(
      "VENDOR_REJECTED",
      { vendor: connection.vendor, connectionId: connection.id, upstreamCode: message },
      message ? `The vendor rejected the request: ${message}` : undefined,
    );
  }
  throw badResponse(connection, "The vendor's body has no `success` flag");
}

/** Keeper's error bodies are `{"success":false,"message":"..."}`: the message is the upstream code. */
export function describeKeeperError(_status: number, body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === "string" ? parsed.message.slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}

function decimalAt(value: unknown, path: string): Decimal {
  if (isLosslessNumber(value)) return decimalFromText(value.value);
  if (typeof value === "string" && isDecimalText(value)) return decimalFromText(value);
  throw new WireCheckError(`${path} is not a number`);
}

function optionalDecimalAt(value: unknown, path: string): Decimal | null {
  return value === undefined || value === null ? null : decimalAt(value, path);
}

function stringAt(value: unknown, path: string): string {
  if (typeof value === "string") return value;
  if (isLosslessNumber(value)) return value.value;
  throw new WireCheckError(`${path} is not a string`);
}

function optionalString(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function productIdAt(row: KeeperProductRow, path: string): string {
  const id = row.productId as unknown;
  if (isLosslessNumber(id) && /^\d+$/.test(id.value)) return id.value;
  if (typeof id === "string" && /^\d+$/.test(id)) return id;
  throw new WireCheckError(`${path}.productId is not an integer`);
}

// keeper.md: every usage item carries its products list, every usage its mcItems; a missing one is
// a body of another shape, not "none".
function productsAt(connection: ConnectionInfo, item: KeeperCompanyItem, path: string): KeeperProductRow[] {
  return listOf<KeeperProductRow>(connection, item, "products", `${path}.products`);
}

function withWireChecks<T>(connection: ConnectionInfo, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof WireCheckError) throw badResponse(connection, `The vendor's ${what} failed a wire check: ${err.message}`);
    throw err;
  }
}

function companyItemsAt(connection: ConnectionInfo, usage: { mcItems?: unknown }): KeeperCompanyItem[] {
  return listOf<KeeperCompanyItem>(connection, usage, "mcItems", "usage.mcItems");
}

function usageRows(connection: ConnectionInfo, item: KeeperCompanyItem, path: string): UsageRecord[] {
  return productsAt(connection, item, path).map((row, i) => ({
    productKey: productIdAt(row, `${path}.products[${i}]`),
    reportedName: optionalString(row.productName),
    quantity: decimalAt(row.quantity, `${path}.products[${i}].quantity`),
    unit: optionalString(row.unit),
  }));
}

export function mapUsageSnapshot(
  connection: ConnectionInfo,
  partnerKey: string,
  body: KeeperCurrentUsageBody,
): UsageSnapshot {
  ensureSuccess(connection, body);
  return withWireChecks(connection, "current usage", () => {
    const usage = body.usage;
    if (!usage || typeof usage !== "object") throw new WireCheckError("usage is missing");
    const msp = usage.mspItem;
    const companies: CompanyRecord[] = companyItemsAt(connection, usage).map((item, i) => {
      const path = `usage.mcItems[${i}]`;
      const companyId = stringAt(item.companyId, `${path}.companyId`);
      return {
        connectionId: connection.id,
        vendor: connection.vendor,
        partnerKey,
        key: companyId,
        name: optionalString(item.companyName),
        plan: optionalString(item.plan),
        externalIds: [{ kind: "keeper.companyId", value: companyId }],
        invitedUsers: optionalDecimalAt(item.invitedUsers, `${path}.invitedUsers`),
        maximumAllowedUsers: optionalDecimalAt(item.maximumAllowedUsers, `${path}.maximumAllowedUsers`),
        usage: usageRows(connection, item, path),
      };
    });
    return {
      partnerKey,
      partnerName: msp ? optionalString(msp.companyName) : null,
      partnerUsage: msp ? usageRows(connection, msp, "usage.mspItem") : [],
      companies,
    };
  });
}

export function mapStatement(
  connection: ConnectionInfo,
  partnerKey: string,
  period: BillingPeriod,
  documentId: string,
  body: KeeperMonthlyUsageBody,
): StatementRecord {
  ensureSuccess(connection, body);
  return withWireChecks(connection, "monthly usage", () => {
    const usage = body.usage;
    if (!usage || typeof usage !== "object") throw new WireCheckError("usage is missing");
    // keeper.md B: money is plain USD numbers with no currency per line; `currency` is top level.
    const currency = typeof usage.currency === "string" && usage.currency !== "" ? usage.currency : "USD";
    const { start, end } = periodBounds(period);
    const lines: InvoiceLineRecord[] = [];
    const groups: StatementRecord["reported"]["groups"] = [];
    const seenRefs = new Map<string, number>();

    const addItem = (item: KeeperCompanyItem, path: string, isPartner: boolean) => {
      const companyId = stringAt(item.companyId, `${path}.companyId`);
      const companyName = optionalString(item.companyName);
      groups.push({
        companyKey: isPartner ? null : companyId,
        currency,
        companyName,
        total: optionalDecimalAt(item.total ?? item.totalCost, `${path}.total`),
      });
      productsAt(connection, item, path).forEach((row, i) => {
        const rowPath = `${path}.products[${i}]`;
        const productKey = productIdAt(row, rowPath);
        const baseRef = `${isPartner ? "mspItem" : "mcItems"}[companyId=${companyId}].products[productId=${productKey}]`;
        const n = (seenRefs.get(baseRef) ?? 0) + 1;
        seenRefs.set(baseRef, n);
        const rowRef = n === 1 ? baseRef : `${baseRef}#${n}`;
        lines.push({
          id: `${connection.id}|${documentId}|${rowRef}`,
          connectionId: connection.id,
          vendor: connection.vendor,
          period,
          partnerKey,
          companyKey: isPartner ? null : companyId,
          companyName,
          companyExternalIds: isPartner ? [] : [{ kind: "keeper.companyId", value: companyId }],
          productKey,
          description: optionalString(row.productName),
          quantity: decimalAt(row.quantity, `${rowPath}.quantity`),
          unit: optionalString(row.unit),
          unitPrice: optionalDecimalAt(row.unitPrice, `${rowPath}.unitPrice`),
          amount: optionalDecimalAt(row.avgMonthlyCost, `${rowPath}.avgMonthlyCost`),
          currency,
          chargeStart: start,
          chargeEnd: end,
          chargeType: "MONTHLY_USAGE",
          subscriptionId: null,
          locationId: null,
          attributes: [],
          source: { documentId, rowRef },
        });
      });
    };

    if (usage.mspItem) addItem(usage.mspItem, "usage.mspItem", true);
    companyItemsAt(connection, usage).forEach((item, i) => addItem(item, `usage.mcItems[${i}]`, false));

    return {
      connectionId: connection.id,
      vendor: connection.vendor,
      partnerKey,
      period,
      currency,
      documentId,
      lines,
      reported: {
        byCurrency: [
          {
            currency,
            subtotal: optionalDecimalAt(usage.subTotal, "usage.subTotal"),
            tax: optionalDecimalAt(usage.tax, "usage.tax"),
            // keeper.md: the real sample says `total`, the schema sample `totalCost`; accept both.
            total: optionalDecimalAt(usage.total ?? usage.totalCost, "usage.total"),
          },
        ].filter((r) => r.subtotal !== null || r.tax !== null || r.total !== null),
        groups,
      },
      lineAmountRule: "ROUND_HALF_UP_CENTS",
      problems: [],
    };
  });
}

const KNOWN_STATUSES: Record<string, SubscriptionStatus> = {
  PENDING: "PENDING",
  TRIAL: "TRIAL",
  ACTIVE: "ACTIVE",
  EXPIRED: "EXPIRED",
  REGION_CONFLICT: "REGION_CONFLICT",
  PRODUCT_CONFLICT: "PRODUCT_CONFLICT",
};

/** keeper.md B, account statuses. Anything else is UNKNOWN, with the raw value kept and a warning. */
export function mapAccountStatus(raw: string, onUnknown?: UnknownValueHook): SubscriptionStatus {
  const status = KNOWN_STATUSES[raw.trim().toUpperCase()];
  if (status) return status;
  onUnknown?.("accounts[].status", raw);
  return "UNKNOWN";
}

export function mapAccount(connection: ConnectionInfo, row: KeeperAccountRow, onUnknown?: UnknownValueHook): SubscriptionRecord {
  const attributes: SubscriptionRecord["attributes"] = [];
  for (const [name, value] of Object.entries(row)) {
    if (name === "companyName" || name === "vendorInternalId" || name === "status") continue;
    if (value === undefined || value === null) continue;
    attributes.push({ name, value: isLosslessNumber(value) ? value.value : typeof value === "string" ? value : JSON.stringify(value) });
  }
  return {
    connectionId: connection.id,
    vendor: connection.vendor,
    key: row.vendorInternalId,
    name: optionalString(row.companyName),
    status: mapAccountStatus(row.status, onUnknown),
    rawStatus: row.status,
    plan: null,
    quantity: null,
    externalIds: [{ kind: "keeper.vendorInternalId", value: row.vendorInternalId }],
    attributes,
  };
}

export function mapAccounts(
  connection: ConnectionInfo,
  body: { success?: unknown; message?: unknown; accounts?: unknown },
  onUnknown?: UnknownValueHook,
): SubscriptionRecord[] {
  ensureSuccess(connection, body);
  return withWireChecks(connection, "accounts", () => {
    return listOf<KeeperAccountRow>(connection, body, "accounts", "account list").map((row, i) => {
      if (typeof row?.vendorInternalId !== "string") throw new WireCheckError(`accounts[${i}].vendorInternalId is not a string`);
      if (typeof row.status !== "string") throw new WireCheckError(`accounts[${i}].status is not a string`);
      return mapAccount(connection, row, onUnknown);
    });
  });
}

function catalogueProduct(connection: ConnectionInfo, key: string, seenNames: Iterable<string>): ProductRecord {
  const entry = keeperCatalogueEntry(key);
  const names = new Set<string>(entry ? entry.aliases : []);
  for (const n of seenNames) names.add(n);
  if (entry) {
    names.delete(entry.name);
    return {
      connectionId: connection.id,
      vendor: connection.vendor,
      key,
      sku: null,
      name: entry.name,
      aliases: [...names].sort(),
      unit: entry.unit,
      category: entry.category,
      known: true,
    };
  }
  const [first, ...rest] = [...names];
  return {
    connectionId: connection.id,
    vendor: connection.vendor,
    key,
    sku: null,
    name: first ?? `Keeper product ${key}`,
    aliases: rest.sort(),
    unit: null,
    category: "UNKNOWN",
    known: false,
  };
}

/** The published table (seed 001) merged with what the vendor's catalogue endpoint reports. */
export function mapProducts(connection: ConnectionInfo, body?: KeeperMspProductsBody): ProductRecord[] {
  const seen = new Map<string, Set<string>>();
  for (const entry of KEEPER_CATALOGUE) seen.set(String(entry.id), new Set());
  if (body) {
    ensureSuccess(connection, body);
    withWireChecks(connection, "products", () => {
      listOf<NonNullable<KeeperMspProductsBody["products"]>[number]>(connection, body, "products", "product list").forEach((p, i) => {
        const key = productIdAt(p as KeeperProductRow, `products[${i}]`);
        const names = seen.get(key) ?? new Set<string>();
        if (typeof p.productName === "string" && p.productName !== "") names.add(p.productName);
        seen.set(key, names);
      });
    });
  }
  return [...seen.entries()].map(([key, names]) => catalogueProduct(connection, key, names));
}

/** A product for an id met on a usage or invoice row, from the published table plus the name on the row. */
export function productFromRow(connection: ConnectionInfo, key: string, reportedName: string | null): ProductRecord {
  return catalogueProduct(connection, key, reportedName ? [reportedName] : []);
}

/** productFromRow, memoised per connection: the same few products recur on thousands of rows. */
export function productResolver(connection: ConnectionInfo): (key: string, reportedName: string | null) => ProductRecord {
  const memo = new Map<string, ProductRecord>();
  return (key, reportedName) => {
    const memoKey = `${key}\u0000${reportedName ?? ""}`;
    let product = memo.get(memoKey);
    if (!product) {
      product = productFromRow(connection, key, reportedName);
      if (memo.size < 10_000) memo.set(memoKey, product);
    }
    return product;
  };
}

export function monthlyDocumentId(api: string, partnerKey: string, period: BillingPeriod): string {
  return `${api}:monthly-usage:${partnerKey}:${formatBillingPeriod(period)}`;
}
