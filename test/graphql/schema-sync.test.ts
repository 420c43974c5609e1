import { readFileSync } from "node:fs";
import { join } from "node:path";
import { renderSchema } from "../../src/graphql/emit-schema";

describe("schema/schema.graphql", () => {
  it("is in sync with the code (run `npm run schema` after changing types)", async () => {
    const committed = readFileSync(join(__dirname, "..", "..", "schema", "schema.graphql"), "utf8");
    expect(committed).toBe(await renderSchema());
  });
});
