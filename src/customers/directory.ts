/**
 * The customer directory as one request sees it: the MSP's customers, each joined to its companies at
 * the vendors by the vendors' own ids (Keeper companyId, Webex CUSTOMER_EXTERNAL_ID, Microsoft
 * CustomerId...). Lookups are synchronous (pricing asks once per line); the snapshot is built when the
 * request starts. Today it comes from the config file's `customers`.
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

const idKey = (e: ExternalId) => `${e.kind}\u0000${e.value}`;

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
