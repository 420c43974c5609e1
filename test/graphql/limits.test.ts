/**
 * Query limits (src/graphql/limits.ts), introspection and playground switches, and trusted documents:
 * every refusal is HTTP 400 with a code, before any vendor call; every example still runs.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  parse,
  print,
  specifiedRules,
  typeFromAST,
  validate,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import { request } from "undici";
import { lastMonth, readOperations } from "../../src/graphql/examples";
import { DEFAULT_LIMITS, limitValidationRules, operationCost } from "../../src/graphql/limits";
import { buildGatewaySchema } from "../../src/graphql/schema";
import { startTestGateway, type TestGateway } from "../helpers/gateway";

const root = join(__dirname, "..", "..");
const period = lastMonth();

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());
beforeEach(() => t.resetCalls());

/** An operation `depth` fields deep: partners > nodes > parent > ... > id. */
const nest = (depth: number) => `{ partners { nodes { ${"parent { ".repeat(depth - 3)}id${" }".repeat(depth - 3)} } } }`;
const aliases = (n: number, field: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(" ")} }`;
const cyclic = `{ managedCompanies(first: 1000) { nodes { partner { managedCompanies(first: 1000) { nodes { partner { managedCompanies(first: 1000) { nodes { name } } } } } } } } }`;
const lines = `invoiceLines(period: "${period}", first: 1000) { nodes { id amount { amount currency } } }`;

/** A value for each variable of an operation, of its type (the examples' own variables are for the playground). */
function sampleVariables(schema: GraphQLSchema, operation: OperationDefinitionNode): Record<string, unknown> {
  const sample = (type: GraphQLInputType): unknown => {
    const inner = isNonNullType(type) ? type.ofType : type;
    if (isListType(inner)) return [sample(inner.ofType)];
    if (isInputObjectType(inner)) {
      return Object.fromEntries(Object.values(inner.getFields()).filter((f) => isNonNullType(f.type)).map((f) => [f.name, sample(f.type)]));
    }
    if (isEnumType(inner)) return inner.getValues()[0].value;
    const byScalar: Record<string, unknown> = { BillingPeriod: period, Int: 1, Float: 1, Boolean: true, Decimal: "1", DateTimeISO: new Date().toISOString() };
    return byScalar[getNamedType(inner).name] ?? "x";
  };
  return Object.fromEntries(
    (operation.variableDefinitions ?? []).map((v) => [v.variable.name.value, sample(typeFromAST(schema, v.type as never) as GraphQLInputType)]),
  );
}

async function expectRefused(query: string, code: string, limit: string | string[]): Promise<void> {
  const res = await t.gql(query);
  expect(res.status).toBe(400);
  expect(res.body.data).toBeUndefined();
  expect(res.body.errors?.[0]?.extensions?.code).toBe(code);
  expect([limit].flat()).toContain(res.body.errors?.[0]?.extensions?.limit);
  expect(t.upstreamCalls()).toBe(0);
}

describe("query limits", () => {
  it("refuses depth 50 (and depth maxDepth + 1) before any vendor call", async () => {
    await expectRefused(nest(50), "GRAPHQL_VALIDATION_FAILED", "depth");
    await expectRefused(nest(DEFAULT_LIMITS.maxDepth + 1), "GRAPHQL_VALIDATION_FAILED", "depth");
    const ok = await t.gql(nest(DEFAULT_LIMITS.maxDepth));
    expect(ok.status).toBe(200);
  });

  it("refuses 1,000 aliases of a vendor-backed field, and maxAliases + 1 of them", async () => {
    // 1,000 aliases are also past the token bound, which the parser hits first.
    await expectRefused(aliases(1000, "partners { totalCount }"), "GRAPHQL_PARSE_FAILED", "tokens");
    await expectRefused(aliases(DEFAULT_LIMITS.maxAliases + 1, "partners { totalCount }"), "GRAPHQL_VALIDATION_FAILED", "aliases");
  });

  it("refuses the cyclic partner <-> managedCompanies nesting with first: 1000 on its cost", async () => {
    await expectRefused(cyclic, "QUERY_TOO_COMPLEX", "cost");
  });

  it("refuses 500 aliases of invoiceLines(first: 1000), and 1000-line pages fanned out per partner", async () => {
    await expectRefused(aliases(500, lines), "GRAPHQL_PARSE_FAILED", "tokens");
    const node = `id description quantity unit chargeStart chargeEnd company { id name externalIds { kind value } } partner { id name } product { externalId name category } amount { amount currency } unitPrice { amount currency } sourceDocument { documentId rowRef } source { connectionId fetchedAt }`;
    await expectRefused(`{ partners { nodes { invoice(period: "${period}") { lines(first: 1000) { nodes { ${node} } } } } } }`, "QUERY_TOO_COMPLEX", "cost");
  });

  it("counts `first` given as a variable", async () => {
    const q = `query($n: Int) { managedCompanies(first: $n) { nodes { partner { managedCompanies(first: $n) { nodes { partner { managedCompanies(first: $n) { nodes { name } } } } } } } } }`;
    const res = await t.gql(q, { n: 1000 });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "cost", maximum: DEFAULT_LIMITS.maxCost });
    expect(t.upstreamCalls()).toBe(0);
  });

  it("refuses a huge token count in the parser", async () => {
    await expectRefused(`{ connections { ${"id ".repeat(20_000)} } }`, "GRAPHQL_PARSE_FAILED", "tokens");
  });

  it("answers 400 for application/graphql-response+json too", async () => {
    for (const query of [nest(50), cyclic, `{ connections { ${"id ".repeat(20_000)} } }`]) {
      const res = await request(t.gateway.graphqlUrl, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/graphql-response+json", authorization: `Bearer ${await t.token()}` },
        body: JSON.stringify({ query }),
      });
      const body = (await res.body.json()) as { errors: Array<{ extensions: { limit?: string } }> };
      expect(res.statusCode).toBe(400);
      expect(body.errors[0].extensions.limit).toBeDefined();
    }
    expect(t.upstreamCalls()).toBe(0);
  });

  it("refuses a batch (a JSON array of operations)", async () => {
    const res = await request(t.gateway.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${await t.token()}` },
      body: JSON.stringify(Array.from({ length: 50 }, () => ({ query: "{ partners { totalCount } }" }))),
    });
    expect(res.statusCode).toBe(400);
    await res.body.text();
    expect(t.upstreamCalls()).toBe(0);
  });

  it("lets every operation of schema/operations and every README example through", async () => {
    const schema = await buildGatewaySchema();
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const docs = [
      ...readOperations().map((o) => ({ name: o.file, text: o.text })),
      ...[...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m, i) => ({ name: `README block ${i + 1}`, text: m[1] })),
    ];
    expect(docs.length).toBeGreaterThan(10);
    for (const { name, text } of docs) {
      const document = parse(text, { maxTokens: DEFAULT_LIMITS.maxTokens });
      const errors = validate(schema, document, [...specifiedRules, ...limitValidationRules(DEFAULT_LIMITS)]).map((e) => e.message);
      const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === "OperationDefinition");
      const costs = operations.map((op) =>
        operationCost(DEFAULT_LIMITS, { schema, query: document, operationName: op.name?.value, variables: sampleVariables(schema, op) }),
      );
      const cost = Math.max(...costs);
      if (process.env.PRINT_COSTS) process.stdout.write(`${name}: cost ${cost}\n`);
      expect({ name, errors, withinCost: cost <= DEFAULT_LIMITS.maxCost }).toEqual({ name, errors: [], withinCost: true });
    }
  });

  it("runs the month overview over HTTP", async () => {
    const text = readOperations().find((o) => o.file === "month-overview.graphql")!.text;
    const res = await t.gql(text, { period });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(t.upstreamCalls()).toBeGreaterThan(0);
  });

  it("refuses a body over limits.maxBodyBytes with 413", async () => {
    const small = await startTestGateway({ overrides: { limits: { maxBodyBytes: 1000 } } });
    try {
      const res = await small.gql(`{ connections { id } } # ${"x".repeat(2000)}`);
      expect(res.status).toBe(413);
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_REQUEST", limit: "body" });
      expect((await small.gql(`{ connections { id } }`)).status).toBe(200);
    } finally {
      await small.close();
    }
  });

  it("takes its limits from the configuration", async () => {
    const strict = await startTestGateway({ overrides: { limits: { maxDepth: 3, maxAliases: 1, maxCost: 50, maxTokens: 40, maxPageSize: 5 } } });
    try {
      const depth = await strict.gql(`{ partners { nodes { parent { id } } } }`);
      expect(depth.body.errors?.[0]?.extensions).toMatchObject({ limit: "depth", maximum: 3 });
      const alias = await strict.gql(`{ a: connections { id } b: connections { id } }`);
      expect(alias.body.errors?.[0]?.extensions).toMatchObject({ limit: "aliases", maximum: 1 });
      const cost = await strict.gql(`{ managedCompanies(first: 20) { nodes { id name plan } } }`);
      expect(cost.body.errors?.[0]?.extensions).toMatchObject({ limit: "cost", maximum: 50 });
      const tokens = await strict.gql(`{ connections { ${"id ".repeat(40)} } }`);
      expect(tokens.body.errors?.[0]?.extensions).toMatchObject({ limit: "tokens" });
      const page = await strict.gql(`{ managedCompanies(first: 6) { totalCount } }`);
      expect(page.status).toBe(400);
      expect(page.body.errors?.[0]).toMatchObject({ message: expect.stringContaining("first must be between 0 and 5"), extensions: { code: "BAD_USER_INPUT" } });
      expect(strict.upstreamCalls()).toBe(0);
    } finally {
      await strict.close();
    }
  });
});

describe("introspection and playground switches", () => {
  it("are off unless configured: __schema is refused and GET text/html is no playground", async () => {
    const off = await startTestGateway({ overrides: { introspection: false, playground: false } });
    try {
      const res = await off.gql(`{ __schema { queryType { name } } }`);
      expect(res.status).toBe(400);
      expect(res.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
      const page = await request(off.gateway.graphqlUrl, { headers: { accept: "text/html" } });
      const html = await page.body.text();
      expect(html).not.toMatch(/graphiql/i);
      expect(off.upstreamCalls()).toBe(0);
    } finally {
      await off.close();
    }
    // The sandbox has both on.
    expect((await t.gql(`{ __schema { queryType { name } } }`)).status).toBe(200);
    const page = await request(t.gateway.graphqlUrl, { headers: { accept: "text/html" } });
    expect(await page.body.text()).toMatch(/graphiql/i);
  });
});

describe("trusted documents", () => {
  it("in safelist mode runs an operation of schema/operations (however spaced) and refuses another", async () => {
    const safe = await startTestGateway({ overrides: { trustedDocuments: "safelist" } });
    try {
      const accounts = readOperations().find((o) => o.file === "accounts.graphql")!.text;
      const listed = await safe.gql(accounts);
      expect(listed.status).toBe(200);
      expect(listed.body.data?.subscriptions).toBeDefined();
      expect((await safe.gql(print(parse(accounts)))).status).toBe(200);
      safe.resetCalls();
      const other = await safe.gql(`{ partners { totalCount } }`);
      expect(other.status).toBe(400);
      expect(other.body.errors?.[0]?.extensions?.code).toBe("OPERATION_NOT_ALLOWED");
      expect(safe.upstreamCalls()).toBe(0);
    } finally {
      await safe.close();
    }
  });

  it("takes more documents from trustedDocumentsFile (sha256 of the text a generated client sends)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "trusted-"));
    const query = `query Count { partners { totalCount } }`;
    const file = join(dir, "persisted-documents.json");
    writeFileSync(file, JSON.stringify({ [createHash("sha256").update(query).digest("hex")]: query }));
    const safe = await startTestGateway({ overrides: { trustedDocuments: "safelist", trustedDocumentsFile: file } });
    try {
      expect((await safe.gql(query)).status).toBe(200);
      expect((await safe.gql(`query Count { partners { totalCount nodes { id } } }`)).body.errors?.[0]?.extensions?.code).toBe("OPERATION_NOT_ALLOWED");
    } finally {
      await safe.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
