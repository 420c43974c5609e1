/**
 * PSA reconciliation: what the PSA (ConnectWise, Autotask, Gradient) billed each customer for a month,
 * against what the vendors say the customer used, priced at resale. Both sides are added up per
 * customer, SKU and currency (exactly; two currencies are never compared or added), then:
 *
 * - UNDER_BILLED: the PSA billed less than the usage is worth, or fewer units;
 * - OVER_BILLED: more, or more units;
 * - MISSING_IN_PSA: usage at a vendor the PSA did not bill at all;
 * - MISSING_AT_VENDOR: a PSA charge for which no vendor reports usage.
 *
 * Each difference carries the figures of both sides. Equal sides are counted as matched. A PSA line whose
 * customer reference matches no directory customer is not dropped: it is reported as unmatched.
 */
import type { Decimal } from "decimal.js";
import { Dec } from "./money";

export interface PsaChargeInput {
  /** The PSA's company id (the directory's psaCompanyId) or the directory customer id. */
  customerRef: string;
  sku: string;
  quantity: Decimal;
  amount: Decimal;
  currency: string;
  /** Where it came from in the PSA (an agreement addition id, a contract charge id), echoed back. */
  reference?: string | null;
}

/** Usage a vendor reported for a customer, priced at resale (null where no rule priced it). */
export interface VendorUsageInput {
  customerId: string;
  sku: string;
  quantity: Decimal;
  resale: Decimal | null;
  currency: string | null;
}

export type DifferenceKind = "UNDER_BILLED" | "OVER_BILLED" | "MISSING_IN_PSA" | "MISSING_AT_VENDOR";

export interface Side {
  quantity: Decimal;
  /** Null on the vendor side when some of its usage has no resale price. */
  amount: Decimal | null;
  lines: number;
}

export interface PsaDifference {
  kind: DifferenceKind;
  customerId: string;
  sku: string;
  currency: string | null;
  psa: Side | null;
  vendor: Side | null;
  /** PSA minus vendor, where both sides have one. */
  quantityDelta: Decimal | null;
  amountDelta: Decimal | null;
  /** What the comparison looked at, in words. */
  detail: string;
  psaReferences: string[];
}

export interface PsaReconciliation {
  matched: number;
  differences: PsaDifference[];
  /** PSA lines whose customerRef matches no customer of the directory. */
  unmatchedCustomerRefs: Array<{ customerRef: string; lines: number }>;
}

interface Bucket {
  customerId: string;
  sku: string;
  currency: string | null;
  psa?: Side & { references: string[] };
  vendor?: Side;
}

const ZERO = () => new Dec(0);

/** Normalises a SKU for matching: case and surrounding space do not make two products. */
export function skuKey(sku: string): string {
  return sku.trim().toUpperCase();
}

export function reconcilePsa(
  psa: readonly PsaChargeInput[],
  usage: readonly VendorUsageInput[],
  customerOfRef: (ref: string) => string | null,
): PsaReconciliation {
  const buckets = new Map<string, Bucket>();
  const bucket = (customerId: string, sku: string, currency: string | null): Bucket => {
    const key = JSON.stringify([customerId, skuKey(sku), currency]);
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = { customerId, sku: sku.trim(), currency }));
    return b;
  };

  const unmatched = new Map<string, number>();
  for (const line of psa) {
    const customerId = customerOfRef(line.customerRef);
    if (!customerId) {
      unmatched.set(line.customerRef, (unmatched.get(line.customerRef) ?? 0) + 1);
      continue;
    }
    const b = bucket(customerId, line.sku, line.currency);
    b.psa ??= { quantity: ZERO(), amount: ZERO(), lines: 0, references: [] };
    b.psa.quantity = b.psa.quantity.plus(line.quantity);
    b.psa.amount = b.psa.amount!.plus(line.amount);
    b.psa.lines++;
    if (line.reference) b.psa.references.push(line.reference);
  }

  // The PSA's currencies per customer and SKU: unpriced usage is compared in the PSA's currency, by units.
  const psaCurrencies = new Map<string, Set<string>>();
  for (const b of buckets.values()) {
    const key = JSON.stringify([b.customerId, skuKey(b.sku)]);
    if (!psaCurrencies.has(key)) psaCurrencies.set(key, new Set());
    psaCurrencies.get(key)!.add(b.currency!);
  }
  for (const line of usage) {
    let currency = line.currency;
    if (line.resale === null) {
      const billedIn = psaCurrencies.get(JSON.stringify([line.customerId, skuKey(line.sku)]));
      if (billedIn?.size === 1) currency = [...billedIn][0];
    }
    const b = bucket(line.customerId, line.sku, currency);
    b.vendor ??= { quantity: ZERO(), amount: ZERO(), lines: 0 };
    b.vendor.quantity = b.vendor.quantity.plus(line.quantity);
    b.vendor.amount = b.vendor.amount === null || line.resale === null ? null : b.vendor.amount.plus(line.resale);
    b.vendor.lines++;
  }

  let matched = 0;
  const differences: PsaDifference[] = [];
  for (const b of buckets.values()) {
    const psaSide = b.psa ? { quantity: b.psa.quantity, amount: b.psa.amount, lines: b.psa.lines } : null;
    const base = { customerId: b.customerId, sku: b.sku, currency: b.currency, psa: psaSide, vendor: b.vendor ?? null, psaReferences: b.psa?.references ?? [] };
    if (!b.vendor) {
      differences.push({ ...base, kind: "MISSING_AT_VENDOR", quantityDelta: null, amountDelta: null, detail: "billed in the PSA; no vendor reports this product for the customer" });
      continue;
    }
    if (!b.psa) {
      differences.push({ ...base, kind: "MISSING_IN_PSA", quantityDelta: null, amountDelta: null, detail: "used at the vendor; not billed in the PSA" });
      continue;
    }
    const quantityDelta = b.psa.quantity.minus(b.vendor.quantity);
    const amountDelta = b.vendor.amount === null ? null : b.psa.amount!.minus(b.vendor.amount);
    // Money decides where the usage is priced; units where it is not (or where the money agrees).
    const sign = amountDelta !== null && !amountDelta.isZero() ? amountDelta.comparedTo(0) : quantityDelta.comparedTo(0);
    if (sign === 0) {
      matched++;
      continue;
    }
    const what = amountDelta !== null && !amountDelta.isZero() ? "amount" : "quantity";
    differences.push({
      ...base,
      kind: sign < 0 ? "UNDER_BILLED" : "OVER_BILLED",
      quantityDelta,
      amountDelta,
      detail:
        what === "amount"
          ? `the PSA billed ${b.psa.amount!.toFixed()} ${b.currency}, the usage is worth ${b.vendor.amount!.toFixed()} ${b.currency} at resale`
          : `the PSA billed ${b.psa.quantity.toFixed()} units, the vendor reports ${b.vendor.quantity.toFixed()}${b.vendor.amount === null ? " (no resale price to compare)" : ""}`,
    });
  }
  const order: Record<DifferenceKind, number> = { UNDER_BILLED: 0, MISSING_IN_PSA: 1, OVER_BILLED: 2, MISSING_AT_VENDOR: 3 };
  differences.sort((x, y) => order[x.kind] - order[y.kind] || x.customerId.localeCompare(y.customerId) || x.sku.localeCompare(y.sku));
  return { matched, differences, unmatchedCustomerRefs: [...unmatched].map(([customerRef, lines]) => ({ customerRef, lines })) };
}
