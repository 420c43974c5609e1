/** Builds the connector for each configured connection, by its vendor contract. */
import type { ConnectionConfig } from "../config";
import type { VendorConnector } from "../domain/connector";
import type { ConnectorDeps } from "./connector-kit";
import { createKeeperDistributorConnector } from "./keeper-distributor";
import { createKeeperMspConnector } from "./keeper-msp";
import { createMarketplaceConnector } from "./microsoft-marketplace";
import { createPartnerBillingConnector } from "./microsoft-partner-billing";
import { createWebexConnector } from "./webex-wholesale";

export function createConnector(connection: ConnectionConfig, deps: ConnectorDeps): VendorConnector {
  switch (connection.vendor) {
    case "keeper-msp":
      return createKeeperMspConnector(connection, deps);
    case "keeper-distributor":
      return createKeeperDistributorConnector(connection, deps);
    case "webex-wholesale":
      return createWebexConnector(connection, deps);
    case "microsoft-marketplace":
      return createMarketplaceConnector(connection, deps);
    case "microsoft-partner-billing":
      return createPartnerBillingConnector(connection, deps);
  }
}
