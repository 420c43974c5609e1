import "reflect-metadata";
import { buildSchema } from "type-graphql";
import type { GraphQLSchema } from "graphql";
import { InvoiceLineResolver, InvoiceResolver, ManagedCompanyResolver, MoneyResolver, PartnerResolver, SubscriptionResolver, UsageResolver } from "./resolvers/entities.resolver";
import { BillingReportResolver, CompanyUserLinesResolver, PartnerReportsResolver } from "./resolvers/billing-report.resolver";
import { CustomerResolver } from "./resolvers/customer.resolver";
import { LifecycleResolver } from "./resolvers/lifecycle.resolver";
import { MarketplaceMeteringResolver, MarketplaceResolver, SubscriptionMarketplaceResolver } from "./resolvers/marketplace.resolver";
import { QueryResolver } from "./resolvers/query.resolver";

let built: Promise<GraphQLSchema> | undefined;

/** The gateway's schema, built once from the decorated classes (code first). */
export function buildGatewaySchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({
    resolvers: [
      QueryResolver,
      PartnerResolver,
      ManagedCompanyResolver,
      UsageResolver,
      InvoiceLineResolver,
      InvoiceResolver,
      MoneyResolver,
      SubscriptionResolver,
      LifecycleResolver,
      BillingReportResolver,
      PartnerReportsResolver,
      CompanyUserLinesResolver,
      MarketplaceResolver,
      MarketplaceMeteringResolver,
      SubscriptionMarketplaceResolver,
      CustomerResolver,
    ],
    validate: { forbidUnknownValues: false },
  });
  return built;
}
