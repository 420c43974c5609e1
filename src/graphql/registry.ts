import type { CallerScope, VendorConnector } from "../domain/connector";
import { scopeAllows } from "../domain/connector";
import type { Vendor } from "../domain/model";

/** The configured connections, by id. */
export class ConnectorRegistry {
  private readonly byId = new Map<string, VendorConnector>();

  constructor(connectors: VendorConnector[]) {
    for (const c of connectors) this.byId.set(c.info.id, c);
  }

  get(id: string): VendorConnector | undefined {
    return this.byId.get(id);
  }

  all(): VendorConnector[] {
    return [...this.byId.values()];
  }

  /** Connections the caller may see, optionally filtered, in a stable order. */
  visible(scope: CallerScope, filter: { vendor?: Vendor | null; connectionId?: string | null } = {}): VendorConnector[] {
    return this.all()
      .filter((c) => scopeAllows(scope, c.info.id))
      .filter((c) => !filter.vendor || c.info.vendor === filter.vendor)
      .filter((c) => !filter.connectionId || c.info.id === filter.connectionId)
      .sort((a, b) => (a.info.id < b.info.id ? -1 : a.info.id > b.info.id ? 1 : 0));
  }
}
