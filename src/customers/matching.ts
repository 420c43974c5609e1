/**
 * Suggestions for a company no customer is linked to: which directory customers it may be, how sure, and
 * why. Exact vendor-id matches are strong; names compared after normalising (case, accents, punctuation,
 * spacing, then legal suffixes) are weaker. Suggestions are only ever shown: linking is the user's act.
 */
import type { ExternalId } from "../domain/model";
import type { DirectoryCustomer, DirectorySnapshot } from "./directory";

export interface Suggestion {
  customer: DirectoryCustomer;
  /** 0..1: how likely the company is this customer. */
  confidence: number;
  /** What matched, in words. */
  reason: string;
}

export const CONFIDENCE = {
  /** A vendor id of the company equals the customer's PSA company id. */
  psaCompanyId: 0.95,
  /** A Microsoft tenant id that is the customer's Partner Center CustomerId (the same tenant), or the reverse. */
  sameTenant: 0.9,
  /** A vendor id of the company equals an id of another kind in the customer's mapping. */
  mappedId: 0.85,
  /** Names equal once case, accents, punctuation and spacing are ignored. */
  name: 0.7,
  /** Names equal once legal suffixes (Inc, LLC, Ltd, GmbH, S.A. ...) are dropped as well. */
  nameWithoutSuffix: 0.6,
  /** A Microsoft domain whose first label is the customer's name without spaces. */
  domainName: 0.5,
} as const;

const MAX_SUGGESTIONS = 5;

const KIND_LABELS: Record<string, string> = {
  "keeper.companyId": "Keeper companyId",
  "keeper.vendorInternalId": "Keeper vendorInternalId",
  "webex.customerExternalId": "Webex CUSTOMER_EXTERNAL_ID",
  "webex.orgId": "Webex org id",
  "microsoft.customerId": "Microsoft CustomerId",
  "microsoft.tenantId": "Microsoft tenant id",
  "microsoft.domain": "Microsoft domain",
};

export function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind;
}

const LEGAL_SUFFIXES = new Set([
  "inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "gmbh", "mbh", "ag", "kg", "sa", "sas", "sarl", "srl", "spa", "bv", "nv",
  "plc", "pty", "pte", "corp", "corporation", "co", "company", "oy", "ab", "as", "aps", "kk", "pc", "pllc",
]);

/** Lower case, accents and punctuation dropped ("S.A." → "sa", "&" → "and"), spacing collapsed. */
export function normaliseName(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/&/g, " and ")
    .replace(/\./g, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/** The normalised name without trailing legal suffixes ("contoso pharma gmbh" → "contoso pharma"). */
export function withoutLegalSuffixes(normalised: string): string {
  const words = normalised.split(" ").filter(Boolean);
  while (words.length > 1 && LEGAL_SUFFIXES.has(words[words.length - 1])) words.pop();
  return words.join(" ");
}

const sameTenantKinds = new Set(["microsoft.tenantId", "microsoft.customerId"]);
const idValue = (v: string) => v.trim().toLowerCase();

/** Indexes of one snapshot's customers, built once per request that asks for suggestions. */
export class Matcher {
  private readonly byPsa = new Map<string, DirectoryCustomer[]>();
  private readonly byIdValue = new Map<string, Array<{ customer: DirectoryCustomer; kind: string }>>();
  private readonly byName = new Map<string, DirectoryCustomer[]>();
  private readonly byStrippedName = new Map<string, DirectoryCustomer[]>();
  private readonly byCompactName = new Map<string, DirectoryCustomer[]>();

  constructor(snapshot: DirectorySnapshot) {
    const push = <T>(map: Map<string, T[]>, key: string, value: T) => {
      if (!key) return;
      const list = map.get(key);
      if (list) list.push(value);
      else map.set(key, [value]);
    };
    for (const c of snapshot.customers) {
      if (c.psaCompanyId) push(this.byPsa, idValue(c.psaCompanyId), c);
      for (const e of c.externalIds) push(this.byIdValue, idValue(e.value), { customer: c, kind: e.kind });
      const n = normaliseName(c.name);
      push(this.byName, n, c);
      push(this.byStrippedName, withoutLegalSuffixes(n), c);
      push(this.byCompactName, n.replace(/ /g, ""), c);
      push(this.byCompactName, withoutLegalSuffixes(n).replace(/ /g, ""), c);
    }
  }

  /** Suggestions for one company, strongest first (at most five; one per customer, with every reason found). */
  suggest(company: { name: string | null; externalIds: ExternalId[] }): Suggestion[] {
    const found = new Map<string, { customer: DirectoryCustomer; confidence: number; reasons: string[] }>();
    const add = (customer: DirectoryCustomer, confidence: number, reason: string) => {
      const entry = found.get(customer.id) ?? { customer, confidence: 0, reasons: [] };
      entry.confidence = Math.max(entry.confidence, confidence);
      if (!entry.reasons.includes(reason)) entry.reasons.push(reason);
      found.set(customer.id, entry);
    };
    for (const e of company.externalIds) {
      const value = idValue(e.value);
      const shown = `${kindLabel(e.kind)} "${e.value.slice(0, 80)}"`;
      for (const c of this.byPsa.get(value) ?? []) add(c, CONFIDENCE.psaCompanyId, `${shown} equals the customer's PSA company id`);
      for (const { customer, kind } of this.byIdValue.get(value) ?? []) {
        if (kind === e.kind) continue; // the same id would link it already
        if (sameTenantKinds.has(kind) && sameTenantKinds.has(e.kind)) add(customer, CONFIDENCE.sameTenant, `${shown} is the customer's ${kindLabel(kind)} (the same Microsoft tenant)`);
        else add(customer, CONFIDENCE.mappedId, `${shown} equals the customer's ${kindLabel(kind)}`);
      }
      if (e.kind === "microsoft.domain") {
        const label = value.split(".")[0];
        for (const c of this.byCompactName.get(label) ?? []) add(c, CONFIDENCE.domainName, `${shown} is the customer's name "${c.name}" without spaces`);
      }
    }
    if (company.name) {
      const n = normaliseName(company.name);
      for (const c of this.byName.get(n) ?? []) add(c, CONFIDENCE.name, `name "${company.name.slice(0, 120)}" matches "${c.name}" ignoring case, punctuation and spacing`);
      const stripped = withoutLegalSuffixes(n);
      for (const c of this.byStrippedName.get(stripped) ?? []) {
        if (normaliseName(c.name) !== n) add(c, CONFIDENCE.nameWithoutSuffix, `name "${company.name.slice(0, 120)}" matches "${c.name}" without legal suffixes`);
      }
    }
    return [...found.values()]
      .sort((a, b) => b.confidence - a.confidence || a.customer.name.localeCompare(b.customer.name))
      .slice(0, MAX_SUGGESTIONS)
      .map((s) => ({ customer: s.customer, confidence: s.confidence, reason: s.reasons.join("; ") }));
  }
}
