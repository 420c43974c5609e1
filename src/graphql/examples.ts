/**
 * Example operations shown in the playground: the `.graphql` files of schema/operations, which are
 * also what `npm run codegen` types and what a test validates against the schema.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { formatBillingPeriod, periodOf, previousPeriod } from "../domain/period";
// What the sandbox's PSA billed for one month, with one discrepancy (the PsaReconciliation tab's variables).
import SANDBOX_PSA_CHARGES from "../sandbox/psa-charges.json";

export interface ExampleOperation {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
}

export function lastMonth(now: number = Date.now()): string {
  return formatBillingPeriod(previousPeriod(periodOf(new Date(now))));
}

/** schema/operations, found from here whether running from src/ (tests) or dist/src/ (npm start). */
export function operationsDir(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, "schema", "operations");
    if (existsSync(candidate)) return candidate;
  }
  throw new Error("schema/operations not found");
}

export function readOperations(): Array<{ file: string; text: string }> {
  const dir = operationsDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith(".graphql"))
    .sort()
    .map((file) => ({ file, text: readFileSync(join(dir, file), "utf8") }));
}

/** Playground tabs, with variables that work against the sandbox. */
export function exampleOperations(now: number, sandbox: { distributorConnectionId: string; trialAccount: string } | null): ExampleOperation[] {
  const period = lastMonth(now);
  const order = [
    "month-overview.graphql",
    "invoice-lines.graphql",
    "customer-lines.graphql",
    "customer-billing.graphql",
    "customer-directory.graphql",
    "psa-customers.graphql",
    "psa-customer-lines.graphql",
    "psa-reconciliation.graphql",
    "webex-report.graphql",
    "marketplace.graphql",
    "partner-invoice.graphql",
    "accounts.graphql",
    "customer-usage.graphql",
    "convert-to-paid.graphql",
  ];
  const ops = readOperations().sort((a, b) => order.indexOf(a.file) - order.indexOf(b.file));
  return ops.map(({ file, text }) => {
    const name = /(?:query|mutation)\s+(\w+)/.exec(text)?.[1] ?? file;
    const variables: Record<string, unknown> = {};
    // The Webex example asks for the month before last, which the sandbox has not generated yet.
    if (text.includes("$period")) variables.period = file === "webex-report.graphql" ? formatBillingPeriod(previousPeriod(previousPeriod(periodOf(new Date(now))))) : period;
    if (text.includes("$id")) variables.id = "paste the id the mutation above returned";
    if (text.includes("$subscriptionId")) {
      variables.subscriptionId = "paste a SUBSCRIBED per-seat subscription id from MarketplaceSubscriptions";
      variables.quantity = 42;
    }
    if (text.includes("$units")) {
      variables.planId = "paste that subscription's plan";
      variables.dimension = "storage-gb";
      variables.units = "2.5";
      variables.hour = new Date(Math.floor(now / 3_600_000) * 3_600_000).toISOString();
    }
    if (text.includes("$customerId")) variables.customerId = "harbor-dental";
    if (text.includes("$charges")) {
      variables.period = SANDBOX_PSA_CHARGES.period;
      variables.charges = SANDBOX_PSA_CHARGES.charges;
    }
    if (text.includes("$companyId")) variables.companyId = "paste a ManagedCompany id from Month overview";
    if (text.includes("$input") && sandbox) {
      variables.input = { connectionId: sandbox.distributorConnectionId, vendorInternalId: sandbox.trialAccount };
    }
    return { name, query: text, variables: Object.keys(variables).length ? variables : undefined };
  });
}
