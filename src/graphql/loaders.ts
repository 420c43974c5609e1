/**
 * Per-request DataLoaders: within one GraphQL operation each distinct upstream read happens at most
 * once, however many fields need it (thirty companies' usage = one current-usage call). Across
 * requests the connectors' scoped cache takes over.
 */
import DataLoader from "dataloader";
import type { CallContext, VendorConnector } from "../domain/connector";
import type { PartnerRecord, ProductRecord, Sourced, StatementRecord, UsageSnapshot } from "../domain/model";
import { formatBillingPeriod, parseBillingPeriod, type BillingPeriod } from "../domain/period";
import type { ConnectorRegistry } from "./registry";

function batch<K, V>(fn: (key: K) => Promise<V>) {
  return async (keys: readonly K[]): Promise<Array<V | Error>> =>
    Promise.all(keys.map((k) => fn(k).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))))));
}

function split(key: string): string[] {
  return key.split("\u0000");
}

function join(...parts: string[]): string {
  return parts.join("\u0000");
}

export class Loaders {
  private readonly subPartners: DataLoader<string, Sourced<PartnerRecord[]>>;
  private readonly usage: DataLoader<string, Sourced<UsageSnapshot>>;
  private readonly statements: DataLoader<string, Sourced<StatementRecord | null>>;
  private readonly products: DataLoader<string, Sourced<ProductRecord[]>>;

  constructor(registry: ConnectorRegistry, call: CallContext) {
    const connector = (id: string): VendorConnector => {
      const c = registry.get(id);
      if (!c) throw new Error(`unknown connection ${id}`); // checked before execution; a bug if reached
      return c;
    };
    this.subPartners = new DataLoader(
      batch((key: string) => {
        const [conn, partner] = split(key);
        return connector(conn).listSubPartners(call, partner);
      }),
    );
    this.usage = new DataLoader(
      batch((key: string) => {
        const [conn, partner] = split(key);
        return connector(conn).getCurrentUsage(call, partner);
      }),
    );
    this.statements = new DataLoader(
      batch((key: string) => {
        const [conn, partner, period] = split(key);
        return connector(conn).getStatement(call, partner, parseBillingPeriod(period) as BillingPeriod);
      }),
    );
    this.products = new DataLoader(batch((conn: string) => connector(conn).listProducts(call)));
  }

  loadSubPartners(connectionId: string, partnerKey: string) {
    return this.subPartners.load(join(connectionId, partnerKey));
  }

  loadUsage(connectionId: string, partnerKey: string) {
    return this.usage.load(join(connectionId, partnerKey));
  }

  loadStatement(connectionId: string, partnerKey: string, period: BillingPeriod) {
    return this.statements.load(join(connectionId, partnerKey, formatBillingPeriod(period)));
  }

  loadProducts(connectionId: string) {
    return this.products.load(connectionId);
  }

  /** After a lifecycle mutation: forget the account and usage reads this request already made. */
  forgetAccountReads(): void {
    this.subPartners.clearAll();
    this.usage.clearAll();
    this.statements.clearAll();
  }
}
