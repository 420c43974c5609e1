/**
 * Writes schema/schema.graphql (the gateway's schema) and schema/subgraph.graphql (the same as an
 * Apollo Federation v2 subgraph, what `_service { sdl }` answers and what a supergraph is composed
 * from) from the code (`npm run schema`). A test fails when either file is stale.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { printSchema, lexicographicSortSchema } from "graphql";
import { buildGatewaySchema } from "./schema";
import { buildSubgraphGatewaySchema, subgraphSdl } from "./federation";

/** npm scripts run from the project root. */
export const SCHEMA_FILE = join(process.cwd(), "schema", "schema.graphql");
export const SUBGRAPH_SCHEMA_FILE = join(process.cwd(), "schema", "subgraph.graphql");

export async function renderSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildGatewaySchema()))}\n`;
}

/** The subgraph SDL exactly as `_service { sdl }` gives it to composition tools. */
export async function renderSubgraphSchema(): Promise<string> {
  return `${subgraphSdl(await buildSubgraphGatewaySchema())}\n`;
}

if (require.main === module) {
  void (async () => {
    const dir = process.argv[2];
    for (const [file, render] of [
      [dir ? join(dir, "schema.graphql") : SCHEMA_FILE, renderSchema],
      [dir ? join(dir, "subgraph.graphql") : SUBGRAPH_SCHEMA_FILE, renderSubgraphSchema],
    ] as const) {
      mkdirSync(join(file, ".."), { recursive: true });
      writeFileSync(file, await render());
      process.stdout.write(`wrote ${file}\n`);
    }
  })();
}
