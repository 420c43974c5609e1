import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, validate } from "graphql";
import { readOperations } from "../../src/graphql/examples";
import { buildGatewaySchema } from "../../src/graphql/schema";

const root = join(__dirname, "..", "..");

describe("schema/operations", () => {
  it("holds operations that are valid against the schema", async () => {
    const schema = await buildGatewaySchema();
    const ops = readOperations();
    expect(ops.length).toBeGreaterThanOrEqual(4);
    for (const op of ops) {
      expect({ file: op.file, errors: validate(schema, parse(op.text)).map((e) => e.message) }).toEqual({ file: op.file, errors: [] });
    }
  });

  it("include the README's examples, which are valid too", async () => {
    const schema = await buildGatewaySchema();
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const blocks = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const block of blocks) {
      expect(validate(schema, parse(block)).map((e) => e.message)).toEqual([]);
    }
  });

  it("are typed by `graphql-codegen` from codegen.yml", () => {
    const out = mkdtempSync(join(tmpdir(), "codegen-"));
    try {
      const config = readFileSync(join(root, "codegen.yml"), "utf8").replace("\n  generated/:", `\n  ${join(out, "/")}:`);
      writeFileSync(join(out, "codegen.yml"), config);
      execFileSync(join(root, "node_modules", ".bin", "graphql-codegen"), ["--config", join(out, "codegen.yml")], { cwd: root, stdio: "pipe" });
      const generated = readFileSync(join(out, "graphql.ts"), "utf8");
      expect(generated).toContain("export type MonthOverviewQuery");
      expect(generated).toContain("export type InvoiceLinesQuery");
      expect(generated).toMatch(/quantity: string/);
      // Typed documents (client preset), not just types: what a script passes to its client.
      expect(generated).toMatch(/export const InvoiceLinesDocument = .* as unknown as DocumentNode<InvoiceLinesQuery, InvoiceLinesQueryVariables>;/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
