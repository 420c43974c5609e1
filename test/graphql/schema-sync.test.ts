import { readFileSync } from "node:fs";
import { join } from "node:path";
import { renderSchema, renderSubgraphSchema } from "../../src/graphql/emit-schema";

const committed = (name: string) => readFileSync(join(__dirname, "..", "..", "schema", name), "utf8");

describe("the checked-in schemas are in sync with the code (run `npm run schema` after changing types)", () => {
  it("schema/schema.graphql", async () => {
    expect(committed("schema.graphql")).toBe(await renderSchema());
  });

  it("schema/subgraph.graphql (the federation subgraph's SDL)", async () => {
    expect(committed("subgraph.graphql")).toBe(await renderSubgraphSchema());
  });
});
