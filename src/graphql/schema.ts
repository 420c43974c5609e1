import "reflect-metadata";
import { buildSchema } from "type-graphql";
import type { GraphQLSchema } from "graphql";
import { ACCESS_EXTENSION, authChecker } from "../auth/roles";
import { AuditLogResolver } from "./resolvers/audit-log.resolver";
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
      AuditLogResolver,
    ],
    validate: { forbidUnknownValues: false },
    authChecker,
  }).then(requireAccessRules);
  return built;
}

/** Every root field says who may use it (auth/roles.ts): one that does not is a build error, not an open door. */
export function requireAccessRules(schema: GraphQLSchema): GraphQLSchema {
  const missing: string[] = [];
  for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      if (!field.extensions?.[ACCESS_EXTENSION]) missing.push(`${root!.name}.${field.name}`);
    }
  }
  if (missing.length) throw new Error(`Root fields without an @Access rule: ${missing.join(", ")}`);
  return schema;
}
