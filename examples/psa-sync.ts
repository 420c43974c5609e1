/**
 * A PSA sync script: pulls one month's lines per customer of the directory, priced at resale by the
 * gateway's price book, and writes them in the shapes two PSAs import:
 *
 *   - connectwise-agreement-additions.json: per customer, the additions of its ConnectWise agreement
 *     (`POST /finance/agreements/{id}/additions`: product identifier, quantity, unitPrice, unitCost,
 *     billCustomer, effectiveDate, description, uom);
 *   - autotask-contract-charges.json: per customer, Autotask contract charges (`ContractCharges`: name,
 *     description, datePurchased, unitQuantity, unitPrice, unitCost, isBillableToCompany).
 *
 *   npm run codegen && npx tsc -p examples/tsconfig.json --outDir dist/examples
 *   GATEWAY_URL=http://127.0.0.1:4000/graphql GATEWAY_TOKEN=<token> PERIOD=2026-10 OUT_DIR=./psa \
 *     node dist/examples/examples/psa-sync.js
 *
 * One entry per customer, product and currency: quantities and amounts are added exactly (decimal.js).
 * Both PSAs take a unit price and multiply it by the quantity, so the unit price is the exact amount
 * divided by the quantity, rounded to 6 decimals; `extPrice` (ConnectWise) and `billableAmount`
 * (Autotask's own check) carry the exact amount, so a rounding difference shows. Numbers are written as
 * JSON numbers with their exact digits (lossless-json), never through a float. Lines without a resale
 * price, and customers without a PSA company id, are reported on stderr and left out: nothing silently.
 * The queries are the typed documents `PsaCustomersDocument` and `PsaCustomerLinesDocument`.
 */
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Decimal } from "decimal.js";
import { print } from "graphql";
import { LosslessNumber, stringify } from "lossless-json";
import { PsaCustomerLinesDocument, PsaCustomersDocument, type PsaCustomerLinesQuery } from "../generated/graphql";

type Line = NonNullable<PsaCustomerLinesQuery["customer"]>["invoiceLines"]["nodes"][number];

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string } }>;
}

async function graphql<TResult, TVariables>(url: string, token: string | undefined, document: TypedDocumentNode<TResult, TVariables>, variables: NoInfer<TVariables>): Promise<TResult> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await res.json()) as GraphQLResponse<TResult>;
  // A vendor that fails gives errors beside the rest: a sync must not post a partial month as if whole.
  if (body.errors?.length) throw new Error(`HTTP ${res.status}: ${body.errors.map((e) => `${e.extensions?.code ?? "ERROR"}: ${e.message}`).join("; ")}`);
  if (!body.data) throw new Error(`HTTP ${res.status}: no data`);
  return body.data;
}

/** A decimal written into JSON as a number with exactly its digits. */
const num = (d: Decimal) => new LosslessNumber(d.toFixed());

interface Group {
  sku: string;
  name: string;
  unit: string | null;
  currency: string;
  quantity: Decimal;
  resale: Decimal;
  /** Null when some line of the group has no cost in the resale's currency. */
  cost: Decimal | null;
  lines: number;
}

function group(lines: Line[], warn: (message: string) => void): Group[] {
  const groups = new Map<string, Group>();
  for (const l of lines) {
    if (!l.resale) {
      warn(`line ${l.id} (${l.product.name}) has no resale price: left out`);
      continue;
    }
    const key = `${l.product.externalId}|${l.resale.currency}`;
    const g = groups.get(key) ?? { sku: l.product.externalId, name: l.product.name, unit: l.unit ?? null, currency: l.resale.currency, quantity: new Decimal(0), resale: new Decimal(0), cost: new Decimal(0), lines: 0 };
    g.quantity = g.quantity.plus(l.quantity);
    g.resale = g.resale.plus(l.resale.amount);
    g.cost = g.cost !== null && l.cost && l.cost.currency === l.resale.currency ? g.cost.plus(l.cost.amount) : null;
    g.lines++;
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => a.currency.localeCompare(b.currency) || a.sku.localeCompare(b.sku));
}

const perUnit = (amount: Decimal, quantity: Decimal) => (quantity.isZero() ? new Decimal(0) : amount.dividedBy(quantity).toDecimalPlaces(6, Decimal.ROUND_HALF_UP));

async function main(): Promise<void> {
  const url = process.env.GATEWAY_URL ?? "http://127.0.0.1:4000/graphql";
  const token = process.env.GATEWAY_TOKEN;
  const period = process.env.PERIOD;
  const outDir = process.env.OUT_DIR ?? ".";
  if (!period || !/^\d{4}-\d{2}$/.test(period)) throw new Error("PERIOD=YYYY-MM is required");
  const warn = (message: string) => process.stderr.write(`warning: ${message}\n`);
  const effectiveDate = `${period}-01T00:00:00Z`;

  const { customers } = await graphql(url, token, PsaCustomersDocument, {});
  const connectwise: unknown[] = [];
  const autotask: unknown[] = [];
  let lineCount = 0;
  for (const customer of customers) {
    if (!customer.psaCompanyId) {
      warn(`customer ${customer.id} has no PSA company id: left out`);
      continue;
    }
    const lines: Line[] = [];
    for (let after: string | null = null; ; ) {
      const data: PsaCustomerLinesQuery = await graphql(url, token, PsaCustomerLinesDocument, { customerId: customer.id, period, after });
      const page = data.customer!.invoiceLines;
      lines.push(...page.nodes);
      if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) break;
      after = page.pageInfo.endCursor;
    }
    lineCount += lines.length;
    const groups = group(lines, warn);
    for (const g of groups) {
      if (g.quantity.isZero() && !g.resale.isZero()) warn(`${customer.id} ${g.sku}: the quantity nets to 0 with ${g.resale.toFixed()} ${g.currency}; only extPrice/billableAmount carry it`);
    }
    connectwise.push({
      company: { identifier: customer.psaCompanyId },
      customerId: customer.id,
      period,
      additions: groups.map((g) => ({
        product: { identifier: g.sku },
        description: g.name,
        invoiceDescription: `${g.name} (${period})`,
        quantity: num(g.quantity),
        unitPrice: num(perUnit(g.resale, g.quantity)),
        unitCost: g.cost === null ? null : num(perUnit(g.cost, g.quantity)),
        extPrice: num(g.resale),
        extCost: g.cost === null ? null : num(g.cost),
        currency: g.currency,
        uom: g.unit,
        billCustomer: "Billable",
        effectiveDate,
      })),
    });
    autotask.push({
      companyID: customer.psaCompanyId,
      customerId: customer.id,
      period,
      charges: groups.map((g) => ({
        name: g.name,
        description: `${g.sku}: ${g.lines} line(s) for ${period}`,
        datePurchased: effectiveDate,
        unitQuantity: num(g.quantity),
        unitPrice: num(perUnit(g.resale, g.quantity)),
        unitCost: g.cost === null ? null : num(perUnit(g.cost, g.quantity)),
        billableAmount: num(g.resale),
        currency: g.currency,
        isBillableToCompany: true,
      })),
    });
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "connectwise-agreement-additions.json"), `${stringify(connectwise, undefined, 2)}\n`);
  writeFileSync(join(outDir, "autotask-contract-charges.json"), `${stringify(autotask, undefined, 2)}\n`);
  process.stderr.write(`${lineCount} lines for ${connectwise.length} customers written to ${outDir}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
