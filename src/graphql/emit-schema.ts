/** Writes schema/schema.graphql from the code (`npm run schema`). A test fails when the file is stale. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { printSchema, lexicographicSortSchema } from "graphql";
import { buildGatewaySchema } from "./schema";

/** npm scripts run from the project root. */
export const SCHEMA_FILE = join(process.cwd(), "schema", "schema.graphql");

export async function renderSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildGatewaySchema()))}\n`;
}

if (require.main === module) {
  void renderSchema().then((sdl) => {
    const file = process.argv[2] ?? SCHEMA_FILE;
    mkdirSync(join(file, ".."), { recursive: true });
    writeFileSync(file, sdl);
    process.stdout.write(`wrote ${file}\n`);
  });
}
