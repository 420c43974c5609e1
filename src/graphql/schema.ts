import "reflect-metadata";
import { buildSchema } from "type-graphql";
import type { GraphQLSchema } from "graphql";
import { ACCESS_EXTENSION, authChecker, type AccessRule } from "../auth/roles";
import { AuditLogResolver } from "./resolvers/audit-log.resolver";
import { CustomerInsightsResolver, PsaReconciliationResolver } from "./resolvers/customer-insights.resolver";
import { InvoiceLineResolver, InvoiceResolver, ManagedCompanyResolver, MoneyResolver, PartnerResolver, SubscriptionResolver, UsageResolver } from "./resolvers/entities.resolver";
import { BillingReportResolver, CompanyUserLinesResolver, PartnerReportsResolver } from "./resolvers/billing-report.resolver";
import { CustomerResolver, ManagedCompanyDirectoryResolver } from "./resolvers/customer.resolver";
import { CustomerBillingResolver } from "./resolvers/customer-billing.resolver";
import { InvoiceLinePricingResolver } from "./resolvers/pricing.resolver";
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
      InvoiceLinePricingResolver,
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
      CustomerBillingResolver,
      ManagedCompanyDirectoryResolver,
      AuditLogResolver,
      CustomerInsightsResolver,
      PsaReconciliationResolver,
    ],
    validate: { forbidUnknownValues: false },
    authChecker,
  }).then(requireAccessRules);
  return built;
}

/**
 * Every root field says who may use it (auth/roles.ts): one that does not is a build error, not an open
 * door. The rule is also appended to the field's description, for the playground and generated clients.
 */
export function requireAccessRules(schema: GraphQLSchema): GraphQLSchema {
  const missing: string[] = [];
  for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      const rule = field.extensions?.[ACCESS_EXTENSION] as AccessRule | undefined;
      if (!rule) {
        missing.push(`${root!.name}.${field.name}`);
        continue;
      }
      const access = `Role: ${rule.role}${rule.company ? " (company-scoped callers too, for their own company)" : ""}.`;
      // Idempotent: a schema rebuilt from this one's SDL (the federation subgraph) already says it.
      if (field.description?.endsWith(access)) continue;
      field.description = field.description ? `${field.description}\n\n${access}` : access;
    }
  }
  if (missing.length) throw new Error(`Root fields without an @Access rule: ${missing.join(", ")}`);
  return schema;
}
