/**
 * A PSA script: pulls one month's invoice lines through the gateway, page by page, and writes them
 * as CSV grouped by customer, ready for the PSA's billing import.
 *
 *   npm run codegen && npx tsc -p examples/tsconfig.json --outDir dist/examples
 *   GATEWAY_URL=http://127.0.0.1:4000/graphql GATEWAY_TOKEN=<dev token> PERIOD=2026-10 \
 *     node dist/examples/examples/psa-invoice-lines.js > lines.csv
 *
 * The query is the typed document `InvoiceLinesDocument` (from schema/operations/invoice-lines.graphql),
 * so its variables and every field read below are checked by tsc against the schema. Any client that
 * takes a TypedDocumentNode would do; this one is a plain POST.
 */
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { InvoiceLinesDocument, type InvoiceLinesQuery } from "../generated/graphql";

type Line = InvoiceLinesQuery["invoiceLines"]["nodes"][number];

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string } }>;
}

async function graphql<TResult, TVariables>(
  url: string,
  token: string | undefined,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: NoInfer<TVariables>,
): Promise<{ data: TResult; errors: NonNullable<GraphQLResponse<TResult>["errors"]> }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await res.json()) as GraphQLResponse<TResult>;
  // A vendor that fails gives null fields and errors beside the rest; only no data at all is fatal.
  if (!body.data) throw new Error(`HTTP ${res.status}: ${body.errors?.map((e) => e.message).join("; ") ?? "no data"}`);
  return { data: body.data, errors: body.errors ?? [] };
}

function csvField(value: string | number | null | undefined): string {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

async function main(): Promise<void> {
  const url = process.env.GATEWAY_URL ?? "http://127.0.0.1:4000/graphql";
  const token = process.env.GATEWAY_TOKEN;
  const period = process.env.PERIOD;
  if (!period || !/^\d{4}-\d{2}$/.test(period)) throw new Error("PERIOD=YYYY-MM is required");

  const page = (after: string | null) => graphql(url, token, InvoiceLinesDocument, { period, after });
  const lines: Line[] = [];
  let after: string | null = null;
  let pages = 0;
  for (;;) {
    const { data, errors } = await page(after);
    for (const e of errors) process.stderr.write(`warning: ${e.extensions?.code ?? "ERROR"} at ${e.path?.join(".") ?? "(request)"}: ${e.message}\n`);
    pages++;
    lines.push(...data.invoiceLines.nodes);
    const { hasNextPage, endCursor } = data.invoiceLines.pageInfo;
    if (!hasNextPage || !endCursor) break;
    after = endCursor;
  }

  // Amounts stay the gateway's exact decimal strings: no arithmetic on them here.
  const byCustomer = new Map<string, Line[]>();
  for (const line of lines) {
    const key = line.company?.id ?? "(no customer)";
    byCustomer.set(key, [...(byCustomer.get(key) ?? []), line]);
  }
  const out = [["customer_id", "customer", "line_id", "product", "quantity", "unit", "amount", "currency", "charge_start", "charge_end", "connection"].join(",")];
  for (const [customerId, customerLines] of [...byCustomer].sort(([a], [b]) => a.localeCompare(b))) {
    for (const l of customerLines) {
      out.push(
        [customerId, l.company?.name, l.id, l.product?.name ?? l.description, l.quantity, l.unit, l.amount?.amount, l.amount?.currency, l.chargeStart, l.chargeEnd, l.source.connectionId]
          .map(csvField)
          .join(","),
      );
    }
  }
  process.stdout.write(`${out.join("\n")}\n`);
  process.stderr.write(`${lines.length} lines for ${byCustomer.size} customers in ${pages} pages\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
