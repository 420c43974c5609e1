/** What README.md says is missing must not be something the running gateway serves. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startTestGateway, type TestGateway } from "../helpers/gateway";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());

// A README word for a feature, and the schema fields that implement it.
const FEATURES: Array<[RegExp, string[]]> = [[/meter/i, ["reportMarketplaceUsage", "reportMarketplaceUsageBatch"]]];

describe("README", () => {
  it("calls nothing unimplemented that the gateway's schema has", async () => {
    const res = await t.gql(`{ __schema { queryType { fields { name } } mutationType { fields { name } } } }`);
    expect(res.status).toBe(200);
    const schema = res.body.data!.__schema;
    const served = new Set<string>([...schema.queryType.fields, ...schema.mutationType.fields].map((f: { name: string }) => f.name));
    expect([...served]).toEqual(expect.arrayContaining(FEATURES.flatMap(([, fields]) => fields)));

    const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8").replace(/\s+/g, " ");
    const claims = readme.split(/(?<=\.)\s/).filter((s) => /not (yet )?(implemented|supported)/i.test(s));
    const wrong = claims.filter((claim) => [...served].some((f) => claim.includes(f)) || FEATURES.some(([word, fields]) => word.test(claim) && fields.every((f) => served.has(f))));
    expect(wrong).toEqual([]);
    // And the README does document them.
    for (const field of FEATURES.flatMap(([, fields]) => fields)) expect(readme).toContain(`\`${field}`);
  });
});
