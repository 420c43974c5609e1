/**
 * The customer directory of one gateway: the configured customers (mapping file and config `customers`)
 * with the edits made through the API (link, unlink, rename, create) folded over them. Each request takes
 * a snapshot when it starts: the cached one, unless the store's generation moved (one GET on Redis, no
 * I/O in the embedded store, whose edits only this process makes).
 *
 * One directory per gateway, not per tenant: the tenant claim separates callers (their cache entries,
 * their audit log), while the directory is the MSP's own list of its customers.
 */
import type { Logger } from "pino";
import type { ExternalId } from "../domain/model";
import { BadUserInputError } from "../domain/errors";
import { directorySnapshot, foldDirectory, idKey, refField, type DirectoryCustomer, type DirectorySnapshot } from "./directory";
import type { DirectoryState, DirectoryStore } from "./store";

/** At most this many customers may be created through the API (the configured ones are not counted). */
export const MAX_CREATED_CUSTOMERS = 10_000;
export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
export const MAX_NAME_LENGTH = 200;

export class CustomerDirectory {
  private generation = -1;
  private fields: Record<string, string> = {};
  private current: DirectorySnapshot;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly base: readonly DirectoryCustomer[],
    readonly store: DirectoryStore,
    private readonly logger?: Logger,
  ) {
    this.current = directorySnapshot(foldDirectory(base, {}));
  }

  /** Reads the persisted edits once (at start); a Redis that does not answer leaves the configured customers until it does. */
  async start(): Promise<void> {
    const state = await this.store.read();
    if (state) this.apply(state);
    else this.logger?.warn("customer directory: the store did not answer; serving the configured customers until it does");
  }

  /** The directory as a request sees it; cheap when nothing changed. */
  async snapshot(): Promise<DirectorySnapshot> {
    const generation = await this.store.generation();
    if (generation !== undefined && generation !== this.generation) {
      this.refreshing ??= this.store
        .read()
        .then((state) => {
          if (state) this.apply(state);
        })
        .finally(() => (this.refreshing = undefined));
      await this.refreshing;
    }
    return this.current;
  }

  private apply(state: DirectoryState): void {
    if (state.generation === this.generation) return;
    this.generation = state.generation;
    this.fields = state.fields;
    this.current = directorySnapshot(foldDirectory(this.base, state.fields));
  }

  private async fresh(): Promise<DirectorySnapshot> {
    const state = await this.store.read();
    if (state) this.apply(state);
    return this.current;
  }

  private customerOrThrow(snapshot: DirectorySnapshot, customerId: string): DirectoryCustomer {
    const customer = snapshot.get(customerId);
    if (!customer) throw new BadUserInputError(`customerId: unknown customer "${customerId.slice(0, 64)}"`);
    return customer;
  }

  private async write(fields: Array<[string, string]>): Promise<DirectorySnapshot> {
    await this.store.set(fields);
    return this.fresh();
  }

  /** Links a company's vendor ids to a customer. A company already linked to another customer is refused (unlink it there first). */
  async link(customerId: string, refs: ExternalId[]): Promise<DirectoryCustomer> {
    const snapshot = await this.fresh();
    const customer = this.customerOrThrow(snapshot, customerId);
    if (refs.length === 0) throw new BadUserInputError("companyId: the company carries no vendor ids to link");
    for (const ref of refs) {
      const owner = snapshot.customerOfLine({ companyExternalIds: [ref] });
      if (owner && owner.id !== customerId) {
        throw new BadUserInputError(`companyId: ${ref.kind} "${ref.value.slice(0, 80)}" is linked to customer "${owner.id}"; unlink it there first`);
      }
    }
    const have = new Set(customer.externalIds.map(idKey));
    const missing = refs.filter((r) => !have.has(idKey(r)));
    const after = missing.length ? await this.write(missing.map((r) => [refField(r), customerId])) : snapshot;
    return this.customerOrThrow(after, customerId);
  }

  /** Unlinks a company's vendor ids from a customer (also ids the mapping file gave it: the edit overrides the file). */
  async unlink(customerId: string, refs: ExternalId[]): Promise<DirectoryCustomer> {
    const snapshot = await this.fresh();
    const customer = this.customerOrThrow(snapshot, customerId);
    const refKeys = new Set(refs.map(idKey));
    const linked = customer.externalIds.filter((e) => refKeys.has(idKey(e)));
    if (linked.length === 0) throw new BadUserInputError(`companyId: the company is not linked to customer "${customerId.slice(0, 64)}"`);
    return this.customerOrThrow(await this.write(linked.map((r) => [refField(r), ""])), customerId);
  }

  async rename(customerId: string, name: string): Promise<DirectoryCustomer> {
    const trimmed = checkName(name);
    const snapshot = await this.fresh();
    this.customerOrThrow(snapshot, customerId);
    return this.customerOrThrow(await this.write([[`name|${customerId}`, trimmed]]), customerId);
  }

  async create(id: string, name: string, psaCompanyId: string | null): Promise<DirectoryCustomer> {
    if (!CUSTOMER_ID_PATTERN.test(id)) throw new BadUserInputError("id: must be 1-64 letters, digits, '.', '_' or '-'");
    const trimmed = checkName(name);
    if (psaCompanyId !== null && (psaCompanyId.trim() === "" || psaCompanyId.length > 128)) throw new BadUserInputError("psaCompanyId: must be 1-128 characters");
    const snapshot = await this.fresh();
    if (snapshot.get(id)) throw new BadUserInputError(`id: customer "${id}" exists already`);
    const created = Object.keys(this.fields).filter((f) => f.startsWith("new|")).length;
    if (created >= MAX_CREATED_CUSTOMERS) throw new BadUserInputError(`At most ${MAX_CREATED_CUSTOMERS} customers can be created through the API; add them to the mapping file`);
    return this.customerOrThrow(await this.write([[`new|${id}`, JSON.stringify({ name: trimmed, psaCompanyId })]]), id);
  }
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === "" || trimmed.length > MAX_NAME_LENGTH) throw new BadUserInputError(`name: must be 1-${MAX_NAME_LENGTH} characters`);
  return trimmed;
}
