/**
 * The customer directory as one request sees it: the MSP's customers, each joined to its companies at
 * the vendors by the vendors' own ids (Keeper companyId, Webex CUSTOMER_EXTERNAL_ID, Microsoft
 * CustomerId...). Lookups are synchronous (pricing asks once per line); the snapshot is built when the
 * request starts, from the configured customers (mapping file and config `customers`) with the edits
 * made through the API folded over them (customers/service.ts).
 */
import type { CustomerConfig } from "../config";
import type { ExternalId, InvoiceLineRecord } from "../domain/model";

export interface DirectoryCustomer {
  id: string;
  name: string;
  /** The customer's company id in the PSA (ConnectWise, Autotask...), when the directory has it. */
  psaCompanyId: string | null;
  /** The vendor ids that join this customer's companies across vendors. */
  externalIds: ExternalId[];
}

export interface DirectorySnapshot {
  readonly customers: readonly DirectoryCustomer[];
  get(id: string): DirectoryCustomer | undefined;
  /** The customer a vendor line belongs to: the first whose ids include one of the line's company ids. */
  customerOfLine(line: Pick<InvoiceLineRecord, "companyExternalIds">): DirectoryCustomer | null;
}

export const idKey = (e: ExternalId) => `${e.kind}\u0000${e.value}`;

export function directorySnapshot(customers: readonly DirectoryCustomer[]): DirectorySnapshot {
  const byId = new Map(customers.map((c) => [c.id, c]));
  const byExternalId = new Map<string, DirectoryCustomer>();
  for (const c of customers) for (const e of c.externalIds) if (!byExternalId.has(idKey(e))) byExternalId.set(idKey(e), c);
  return {
    customers,
    get: (id) => byId.get(id),
    customerOfLine(line) {
      for (const e of line.companyExternalIds) {
        const found = byExternalId.get(idKey(e));
        if (found) return found;
      }
      return null;
    },
  };
}

export function configDirectory(customers: readonly CustomerConfig[]): DirectorySnapshot {
  return directorySnapshot(customers.map((c) => ({ id: c.id, name: c.name, psaCompanyId: null, externalIds: c.externalIds })));
}

/**
 * The persisted edits, as flat fields (the same in the data file and in the Redis hash):
 * - `ref|<kind>\u0000<value>`: the customer id a vendor id is linked to, or "" when it was unlinked;
 * - `name|<customerId>`: the customer's name after a rename;
 * - `new|<customerId>`: `{"name","psaCompanyId"}` of a customer created through the API.
 * Each edit sets one field, so edits from several instances never overwrite each other's.
 */
export type DirectoryFields = Record<string, string>;

export const refField = (e: ExternalId) => `ref|${idKey(e)}`;

/** The configured customers with the edits folded over them. */
export function foldDirectory(base: readonly DirectoryCustomer[], fields: DirectoryFields): DirectoryCustomer[] {
  const customers = new Map<string, DirectoryCustomer>(base.map((c) => [c.id, { ...c, externalIds: [...c.externalIds] }]));
  for (const [field, value] of Object.entries(fields)) {
    if (!field.startsWith("new|")) continue;
    const id = field.slice(4);
    if (customers.has(id)) continue;
    const created = JSON.parse(value) as { name: string; psaCompanyId: string | null };
    customers.set(id, { id, name: created.name, psaCompanyId: created.psaCompanyId ?? null, externalIds: [] });
  }
  for (const [field, value] of Object.entries(fields)) {
    if (field.startsWith("name|")) {
      const c = customers.get(field.slice(5));
      if (c) c.name = value;
    } else if (field.startsWith("ref|")) {
      const [kind, ...rest] = field.slice(4).split("\u0000");
      const ref = { kind, value: rest.join("\u0000") };
      const key = idKey(ref);
      for (const c of customers.values()) c.externalIds = c.externalIds.filter((e) => idKey(e) !== key);
      const owner = value ? customers.get(value) : undefined;
      if (owner) owner.externalIds.push(ref);
    }
  }
  return [...customers.values()];
}
