/**
 * Apollo's parsed-document cache is bounded by entries and by estimated heap bytes, and persisted
 * queries are off: over real HTTP, distinct queries (as a caller choosing ids and periods sends them)
 * do not pile up ASTs in the gateway.
 */
import { createHash } from "node:crypto";
import { parse } from "graphql";
import { request } from "undici";
import { signCallerToken } from "../../src/auth/caller";
import { createGateway, type Gateway } from "../../src/gateway";
import { DEFAULT_DOCUMENT_STORE_BOUNDS, DOCUMENT_HEAP_BYTES_PER_CHAR, DocumentStore, documentWeight } from "../../src/graphql/document-store";
import { createLogger } from "../../src/logger";
import { SANDBOX_AUDIENCE, SANDBOX_ISSUER, startSandbox, type Sandbox } from "../../src/sandbox";
import { DisposableStack } from "../helpers/stack";

const stack = new DisposableStack();
let sandbox: Sandbox;
let token: string;

beforeAll(async () => {
  sandbox = stack.use(await startSandbox());
  token = await signCallerToken(sandbox.callerSecret, { issuer: SANDBOX_ISSUER, audience: SANDBOX_AUDIENCE, connections: "*", roles: ["billing:read", "accounts:write"] });
});
afterAll(() => stack.dispose());

async function gateway(bounds?: ConstructorParameters<typeof DocumentStore>[0]): Promise<Gateway> {
  // The alias flood below tests the document cache's own bound, so the query limits are raised past it.
  const config = { ...sandbox.config, limits: { ...sandbox.config.limits, maxAliases: 10_000, maxTokens: 100_000 } };
  return stack.use(await createGateway({ config, logger: createLogger({ level: "silent" }), documentStore: bounds }));
}

async function post(gw: Gateway, payload: unknown): Promise<{ status: number; body: any }> {
  const res = await request(gw.graphqlUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(payload),
  });
  return { status: res.statusCode, body: JSON.parse(await res.body.text()) };
}

describe("parsed-document cache", () => {
  it("keeps at most maxEntries documents under many distinct queries", async () => {
    const gw = await gateway({ maxEntries: 20 });
    for (let i = 0; i < 60; i++) {
      const res = await post(gw, { query: `{ c${i}: connections { id } }` });
      expect(res.status).toBe(200);
    }
    expect(gw.documents.usage.entries).toBe(20);
    const before = sandbox.simulators.reduce((n, s) => n + s.calls.count(), 0);
    // Refused input is parsed and validated first: those documents are bounded the same way.
    for (let i = 0; i < 60; i++) expect((await post(gw, { query: `{ partner(id: "partner:nope-${i}:x") { id } }` })).status).toBe(400);
    expect(gw.documents.usage.entries).toBe(20);
    expect(sandbox.simulators.reduce((n, s) => n + s.calls.count(), 0)).toBe(before);
  });

  it("keeps at most maxBytes of estimated heap, and does not keep an alias flood at all", async () => {
    const maxBytes = 100 * 1024;
    const gw = await gateway({ maxBytes });
    for (let i = 0; i < 60; i++) await post(gw, { query: `{ c${i}: connections { id name } }` });
    const { entries, bytes } = gw.documents.usage;
    expect(bytes).toBeLessThanOrEqual(maxBytes);
    expect(entries).toBeGreaterThan(10);
    expect(entries).toBeLessThan(60);

    const flood = `{ ${Array.from({ length: 2000 }, (_, k) => `a${k}: connections { id }`).join(" ")} }`;
    const res = await post(gw, { query: flood });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.data)).toHaveLength(2000);
    expect(gw.documents.usage.bytes).toBeLessThanOrEqual(maxBytes);
    expect(gw.documents.usage.entries).toBe(entries);
  });

  it("sizes a document by its source, not its JSON (the lexer tokens it keeps are not in the JSON)", () => {
    const doc = parse(`{ ${Array.from({ length: 500 }, (_, k) => `a${k}: partner(id: "partner:x:y") { id name }`).join(" ")} }`);
    expect(documentWeight(doc)).toBe((doc.loc!.end - doc.loc!.start) * DOCUMENT_HEAP_BYTES_PER_CHAR);
    expect(documentWeight(doc)).toBeGreaterThan(4 * Buffer.byteLength(JSON.stringify(doc)));
    expect(DEFAULT_DOCUMENT_STORE_BOUNDS.maxEntryBytes).toBeLessThan(DEFAULT_DOCUMENT_STORE_BOUNDS.maxBytes);
  });
});

describe("persisted queries", () => {
  it("are not supported: a registered hash does not answer later, so a caller cannot fill a cache with its own", async () => {
    const gw = await gateway();
    const query = "{ connections { id } }";
    const sha256Hash = createHash("sha256").update(query).digest("hex");
    const register = await post(gw, { query, extensions: { persistedQuery: { version: 1, sha256Hash } } });
    expect(register.body.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_SUPPORTED");
    const byHash = await post(gw, { extensions: { persistedQuery: { version: 1, sha256Hash } } });
    expect(byHash.body.data).toBeUndefined();
    expect(byHash.body.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_SUPPORTED");
  });
});
