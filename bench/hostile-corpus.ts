/**
 * `npm run bench:hostile` (and part of `npm run bench`): a deterministic corpus of hostile requests
 * against the sandbox gateway in its own process (hostile-gateway.ts): malformed JSON, bodies over the
 * 1 MiB limit, huge strings, deep nesting, alias floods, many fragments, thousands of distinct invalid
 * ids and periods (literal and as variables), variables of the wrong type, bad cursors and page sizes,
 * bad tokens, unknown operations, GET with junk query strings (mutations among them), persisted-query
 * hashes, batches and wrong content types. test/graphql/hostile-corpus.test.ts runs the same corpus.
 * Prints per kind: requests, HTTP status classes, refused requests and the vendor calls they caused,
 * and the gateway process's RSS and heap after a forced GC before and after the corpus.
 * Asserts nothing (tests check behaviour); `HOSTILE_SEED`, `HOSTILE_ROUNDS`, `HOSTILE_SNAPSHOTS=1`.
 */
import { createHash } from "node:crypto";
import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { Readable } from "node:stream";
import { SignJWT } from "jose";
import { request } from "undici";
import { lastMonth } from "../src/graphql/examples";
import { SANDBOX_AUDIENCE, SANDBOX_ISSUER } from "../src/sandbox";
import type { HostileReply, HostileRequest } from "./hostile-gateway";

const SEED = Number(process.env.HOSTILE_SEED ?? 20_251);
const ROUNDS = Math.max(1, Number(process.env.HOSTILE_ROUNDS ?? 1));
const MiB = 1024 * 1024;

/** mulberry32: small, seeded, the same corpus on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface HostileCase {
  kind: string;
  method: "GET" | "POST";
  /** Path and query string. */
  path?: string;
  headers?: Record<string, string>;
  /** A string, a buffer, or a factory of a stream (sent chunked). */
  body?: string | Buffer | (() => Readable);
  /** null: no authorization header; a string: that header's whole value; default: the valid token. */
  authorization?: string | null;
}

interface Tally {
  requests: number;
  s2xx: number;
  s4xx: number;
  s5xx: number;
  /** The connection closed before an answer. */
  dropped: number;
  refused: number;
  /** Vendor calls made while answering a refused request. */
  refusedCalls: number;
  /** Vendor calls made while answering a request that was not refused. */
  answeredCalls: number;
  /** Answers carrying INTERNAL_SERVER_ERROR (a masked failure, whatever the HTTP status). */
  internal: number;
}

/** Request-level refusals: GraphQL answers carrying one of these (or any 4xx/5xx) refused the request. */
export const REFUSAL_CODES = new Set([
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
]);

export function codesOf(text: string): string[] {
  try {
    const body = JSON.parse(text) as { errors?: Array<{ extensions?: { code?: string } }> };
    return Array.isArray(body.errors) ? body.errors.map((e) => String(e.extensions?.code)) : [];
  } catch {
    return [];
  }
}

/** Values only a running sandbox knows. */
export interface CorpusFixtures {
  partnerId: string;
  period: string;
  expired: string;
  wrongAudience: string;
  badClaim: string;
  noScope: string;
}

/** Signs caller tokens as the sandbox's issuer does (HS256 with its secret), with the claims given. */
export function signer(callerSecret: string) {
  const secret = new TextEncoder().encode(callerSecret);
  return (claims: Record<string, unknown>, exp: number, audience = SANDBOX_AUDIENCE) =>
    new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuer(SANDBOX_ISSUER).setAudience(audience).setSubject("hostile").setExpirationTime(exp).sign(secret);
}

/** The corpus's well-signed tokens a sandbox must refuse: expired, for another audience, with a bad claim, scoped to nothing. */
export async function badTokens(callerSecret: string): Promise<Omit<CorpusFixtures, "partnerId" | "period">> {
  const sign = signer(callerSecret);
  const nowS = Math.floor(Date.now() / 1000);
  return {
    expired: await sign({ connections: "*" }, nowS - 3600),
    wrongAudience: await sign({ connections: "*" }, nowS + 3600, "someone-else"),
    badClaim: await sign({ connections: 42 }, nowS + 3600),
    noScope: await sign({ connections: ["none-of-these"] }, nowS + 3600),
  };
}

/** Sends one case (the valid token unless the case says otherwise); status 0 when no answer came. */
export async function sendCase(base: string, token: string, c: HostileCase): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { ...c.headers };
  if (c.authorization === undefined) headers.authorization = `Bearer ${token}`;
  else if (c.authorization !== null) headers.authorization = c.authorization;
  const body = typeof c.body === "function" ? c.body() : c.body;
  try {
    const res = await request(`${base}${c.path ?? "/graphql"}`, { method: c.method, headers, body, headersTimeout: 30_000, bodyTimeout: 30_000 });
    return { status: res.statusCode, text: await res.body.text() };
  } catch {
    return { status: 0, text: "" };
  }
}

/** The corpus: same seed, same requests. */
export function buildCorpus(seed: number, fixtures: CorpusFixtures): HostileCase[] {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const hex = (n: number) => Array.from({ length: n }, () => "0123456789abcdef"[int(16)]).join("");
  const word = (n: number) => Array.from({ length: n }, () => "abcdefghijklmnopqrstuvwxyz0123456789"[int(36)]).join("");
  const json = { "content-type": "application/json" };
  const post = (kind: string, payload: unknown, extra: Partial<HostileCase> = {}): HostileCase => ({ kind, method: "POST", headers: json, body: JSON.stringify(payload), ...extra });
  const cases: HostileCase[] = [];
  const connections = ["keeper-msp", "keeper-distributor", "webex-wholesale", "microsoft-marketplace", "microsoft-partner-billing"];
  const conn = () => connections[int(connections.length)];

  // Malformed JSON.
  const broken = [
    () => `{"query": "{ connections { id } }"`,
    () => `{"query": ${word(20)}}`,
    () => `{"query": "{ connections { id } }", "variables": {${word(8)}}}`,
    () => `\u0000\u0001${randomFrom(rnd, 64)}`,
    () => `{"query": "\\u${hex(2)}"}`,
    () => `[`.repeat(1 + int(50)),
    () => `{"query": NaN, "x": ${"9".repeat(400)}e99999}`,
    () => `{"query": "{ connections { id } }",}`,
    () => `{'query': '{ connections { id } }'}`,
    () => `null${word(4)}`,
  ];
  for (let i = 0; i < 100; i++) cases.push({ kind: "malformed JSON", method: "POST", headers: json, body: broken[i % broken.length]() });

  // Bodies over the 1 MiB limit, whole and streamed.
  for (let i = 0; i < 16; i++) {
    const pad = "a".repeat(MiB + 1024 * (1 + int(512)));
    cases.push(post("body over 1 MiB", { query: "query($x: String) { connections { id } }", variables: { x: pad } }));
  }
  for (let i = 0; i < 4; i++) {
    cases.push({ kind: "body over 1 MiB", method: "POST", headers: json, body: () => Readable.from((function* () { yield '{"query":"'; for (let c = 0; c < 48; c++) yield "b".repeat(64 * 1024); yield '"}'; })()) });
  }

  // Huge strings in arguments (literal: each is a distinct document) and in variables.
  for (let i = 0; i < 20; i++) {
    const s = word(8) + "x".repeat(200_000 + int(600_000));
    cases.push(post("huge string", { query: `{ partner(id: "${s}") { id name } }` }));
    cases.push(post("huge string", { query: "query($id: ID!) { partner(id: $id) { id name } }", variables: { id: s } }));
  }

  // Deep nesting: selections, list values, input objects, variables.
  for (let i = 0; i < 10; i++) {
    const d = 500 + int(5000);
    cases.push(post("deep nesting", { query: `{ ${"partners { nodes { parent ".repeat(d)} id ${"} } }".repeat(d)} }` }));
    cases.push(post("deep nesting", { query: `{ partner(id: ${"[".repeat(d)}"x"${"]".repeat(d)}) { id } }` }));
    cases.push(post("deep nesting", { query: `{ invoiceLines(period: "${fixtures.period}", filter: ${"{ and: ".repeat(d)}{}${" }".repeat(d)}) { totalCount } }` }));
    // Written as text: JSON.stringify of a value this deep overflows the stack (the gateway's JSON.parse does not).
    cases.push({ kind: "deep nesting", method: "POST", headers: json, body: `{"query":"query($id: ID!) { partner(id: $id) { id } }","variables":{"id":${"[".repeat(d * 10)}"x"${"]".repeat(d * 10)}}}` });
  }

  // Alias floods of vendor fields: with distinct invalid ids (refused) and with valid arguments.
  for (let i = 0; i < 30; i++) {
    const n = 1000 + int(3000);
    const fields = Array.from({ length: n }, (_, k) => `a${k}: partner(id: "partner:${word(6)}:${word(6)}") { id invoice(period: "${fixtures.period}") { id } }`);
    cases.push(post("alias flood, invalid ids", { query: `{ ${fields.join(" ")} }` }));
  }
  for (let i = 0; i < 10; i++) {
    const n = 1000 + int(2000);
    const fields = Array.from({ length: n }, (_, k) => `a${k}_${word(4)}: partner(id: "${fixtures.partnerId}") { id name }`);
    cases.push(post("alias flood, valid arguments", { query: `{ ${fields.join(" ")} }` }));
  }

  // Many fragments: thousands of definitions, spread, unused, or cyclic.
  for (let i = 0; i < 30; i++) {
    const n = 500 + int(3000);
    const defs = Array.from({ length: n }, (_, k) => `fragment F${k}_${word(4)} on Partner { id name }`);
    const names = defs.map((d) => d.split(" ")[1]);
    const spreads = i % 3 === 0 ? "id" : names.map((f) => `...${f}`).join(" ");
    const cyclic = i % 3 === 2 ? ` fragment C on Partner { ...D } fragment D on Partner { ...C }` : "";
    cases.push(post("many fragments", { query: `{ partner(id: "partner:${word(8)}:x") { ${spreads} } } ${defs.join(" ")}${cyclic}` }));
  }

  // Thousands of distinct invalid ids and periods, literal and as variables.
  const badId = (): string => {
    switch (int(6)) {
      case 0: return `partner:${word(10)}:${word(6)}`; // unknown connection
      case 1: return `${word(6)}:${conn()}:${word(6)}`; // unknown type
      case 2: return `company:${conn()}:${word(8)}`; // wrong key count
      case 3: return `subscription:${conn()}:${word(4)}%E0%A4%A`; // bad escape
      case 4: return `invoice:${conn()}:${word(3)}:${word(3)}`; // wrong type for the argument
      default: return word(1 + int(60));
    }
  };
  const idFields: Array<[string, string]> = [
    ["partner", "id name"],
    ["managedCompany", "id name"],
    ["subscription", "id"],
    ["billingReport", "id status"],
    ["marketplaceOperation", "id"],
  ];
  for (let i = 0; i < 500; i++) {
    const [field, sel] = idFields[i % idFields.length];
    const id = badId();
    if (i % 2 === 0) cases.push(post("distinct invalid ids", { query: `{ ${field}(id: ${JSON.stringify(id)}) { ${sel} } }` }));
    else cases.push(post("distinct invalid ids", { query: `query($id: ID!) { ${field}(id: $id) { ${sel} } }`, variables: { id } }));
  }
  const badPeriod = (): string => {
    switch (int(5)) {
      case 0: return `${2000 + int(30)}-${13 + int(87)}`; // no such month
      case 1: return `${2100 + int(7000)}-${String(1 + int(12)).padStart(2, "0")}`; // in the future
      case 2: return `${word(4)}-${word(2)}`;
      case 3: return `${int(10000)}/${int(100)}`;
      default: return `${2020 + int(5)}-${String(1 + int(12)).padStart(2, "0")}-${String(1 + int(28)).padStart(2, "0")}`; // a date
    }
  };
  for (let i = 0; i < 500; i++) {
    const p = badPeriod();
    const shape = i % 4;
    if (shape === 0) cases.push(post("distinct invalid periods", { query: `{ invoiceLines(period: ${JSON.stringify(p)}) { totalCount } }` }));
    else if (shape === 1) cases.push(post("distinct invalid periods", { query: "query($p: BillingPeriod!) { invoices(period: $p) { id } }", variables: { p } }));
    else if (shape === 2) cases.push(post("distinct invalid periods", { query: `{ invoice(partnerId: "${fixtures.partnerId}", period: ${JSON.stringify(p)}) { id } }` }));
    else cases.push(post("distinct invalid periods", { query: "query($id: ID!, $p: BillingPeriod!) { invoice(partnerId: $id, period: $p) { id } }", variables: { id: fixtures.partnerId, p } }));
  }

  // Bad, expired, forged tokens.
  const q = { query: "{ partners { totalCount } }" };
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  for (let i = 0; i < 150; i++) {
    let authorization: string | null;
    switch (i % 10) {
      case 0: authorization = null; break;
      case 1: authorization = `Bearer ${word(20 + int(200))}`; break;
      case 2: authorization = `Basic ${Buffer.from(`${word(5)}:${word(8)}`).toString("base64")}`; break;
      case 3: authorization = `Bearer ${b64({ alg: "none", typ: "JWT" })}.${b64({ iss: SANDBOX_ISSUER, aud: SANDBOX_AUDIENCE, connections: "*", sub: word(6) })}.`; break;
      case 4: authorization = `Bearer ${b64({ alg: "HS256", typ: "JWT" })}.${b64({ iss: SANDBOX_ISSUER, aud: SANDBOX_AUDIENCE, connections: "*", sub: word(6), exp: 4e9 })}.${word(43)}`; break;
      case 5: authorization = `Bearer ${fixtures.expired}`; break;
      case 6: authorization = `Bearer ${fixtures.wrongAudience}`; break;
      case 7: authorization = `Bearer ${fixtures.badClaim}`; break;
      case 8: authorization = `Bearer ${"A".repeat(6000 + int(6000))}.${word(10)}.${word(10)}`; break;
      default: authorization = `Bearer ${fixtures.noScope}`; break;
    }
    cases.push(post("bad tokens", i % 10 === 9 ? { query: `{ partner(id: "${fixtures.partnerId}") { id } }` } : q, { authorization }));
  }

  // Unknown operations and fields.
  for (let i = 0; i < 60; i++) {
    switch (i % 5) {
      case 0: cases.push(post("unknown operations", { query: "query A { connections { id } } query B { customers { id } }", operationName: `Op${word(8)}` })); break;
      case 1: cases.push(post("unknown operations", { query: `{ ${word(1)}${word(10)} }` })); break;
      case 2: cases.push(post("unknown operations", { query: `mutation { ${word(12)}(id: "x") }` })); break;
      case 3: cases.push(post("unknown operations", { query: "subscription { partners { totalCount } }" })); break;
      default: cases.push(post("unknown operations", { query: "query A { connections { id } } query B { customers { id } }" })); break;
    }
  }

  // GET with junk query strings (with and without the CSRF preflight header).
  for (let i = 0; i < 150; i++) {
    const preflight: Record<string, string> = i % 2 === 0 ? { "apollo-require-preflight": "true" } : {};
    const qs = [
      () => `query=${encodeURIComponent(randomFrom(rnd, 40))}`,
      () => `query=${encodeURIComponent("{ connections { id } }")}&variables=${encodeURIComponent(`{${word(10)}`)}`,
      () => `query=${encodeURIComponent("{ connections { id } }")}&extensions=${encodeURIComponent(word(30))}`,
      () => `query=${encodeURIComponent(`mutation { deleteBillingReport(id: "report:${conn()}:${word(6)}") }`)}`,
      () => `${word(5)}=${word(2000 + int(5000))}&${word(3)}`,
      () => `query=${encodeURIComponent(`{ partner(id: "${badId()}") { id } }`)}`,
      () => `query=${encodeURIComponent(`{ invoiceLines(period: "${badPeriod()}") { totalCount } }`)}`,
      () => `query=%E0%A4%A&%%%=${word(4)}`,
    ][i % 8]();
    cases.push({ kind: "GET with junk query strings", method: "GET", path: `/graphql?${qs}`, headers: preflight });
  }

  // Persisted-query hashes: random (not found), mismatched, and registered (each a distinct document).
  for (let i = 0; i < 150; i++) {
    const hash = hex(64);
    const shape = i % 3;
    if (shape === 0) cases.push(post("persisted-query hashes", { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }));
    else if (shape === 1) cases.push({ kind: "persisted-query hashes", method: "GET", path: `/graphql?extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } }))}`, headers: { "apollo-require-preflight": "true" } });
    else {
      const query = `{ partner(id: "partner:${word(8)}:${word(8)}") { id ${"name ".repeat(1 + int(2000))} } }`;
      const sha = i % 6 === 2 ? hash : createHash("sha256").update(query).digest("hex");
      cases.push(post("persisted-query hashes", { query, extensions: { persistedQuery: { version: 1, sha256Hash: sha } } }));
    }
  }

  // Variables of the wrong type: each gets exactly the checks a literal gets.
  const wrongValues: unknown[] = ["ten", 1.5, 2 ** 40, { n: 1 }, [1, 2], true, "", null];
  for (let i = 0; i < 80; i++) {
    const v = wrongValues[i % wrongValues.length];
    switch (i % 4) {
      case 0: cases.push(post("wrong variable types", { query: "query($n: Int!) { managedCompanies(first: $n) { totalCount } }", variables: { n: v } })); break;
      case 1: cases.push(post("wrong variable types", { query: "query($p: BillingPeriod!) { invoices(period: $p) { id } }", variables: { p: typeof v === "string" ? `${v}${word(3)}` : v } })); break;
      case 2: cases.push(post("wrong variable types", { query: "query($id: ID!) { partner(id: $id) { id } }", variables: { id: typeof v === "string" ? { id: v } : v } })); break;
      default: cases.push(post("wrong variable types", { query: "query($f: InvoiceLineFilter) { invoiceLines(period: \"2025-08\", filter: $f) { totalCount } }", variables: { f: { [word(6)]: v } } })); break;
    }
  }

  // Cursors and page sizes out of range, literal and as variables.
  for (let i = 0; i < 80; i++) {
    const first = [-1, 1001, 100_000, 2 ** 31 - 1, -(2 ** 31)][i % 5];
    const after = [word(1 + int(40)), Buffer.from(`x:${word(6)}`).toString("base64"), Buffer.from(String(-1 - int(1000))).toString("base64"), "%%%", "=".repeat(1 + int(8))][int(5)];
    switch (i % 4) {
      case 0: cases.push(post("bad cursors and page sizes", { query: `{ managedCompanies(first: ${first}) { totalCount } }` })); break;
      case 1: cases.push(post("bad cursors and page sizes", { query: "query($n: Int) { partners(first: $n) { totalCount } }", variables: { n: first } })); break;
      case 2: cases.push(post("bad cursors and page sizes", { query: `{ managedCompanies(after: ${JSON.stringify(after)}) { totalCount } }` })); break;
      default: cases.push(post("bad cursors and page sizes", { query: `query($a: String) { invoiceLines(period: "${fixtures.period}", after: $a) { totalCount } }`, variables: { a: after } })); break;
    }
  }

  // Batches (JSON arrays).
  for (let i = 0; i < 60; i++) {
    const n = 2 + int(200);
    cases.push(post("batches", Array.from({ length: n }, () => ({ query: `{ partner(id: "${badId()}") { id } }` }))));
  }

  // Wrong content types.
  const types = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/graphql", "application/json; charset=utf-16", "", "application/xml"];
  for (let i = 0; i < 70; i++) {
    const type = types[i % types.length];
    const body = i % 2 === 0 ? JSON.stringify({ query: "{ connections { id } }" }) : `query=${encodeURIComponent("{ connections { id } }")}`;
    cases.push({ kind: "wrong content types", method: "POST", headers: type ? { "content-type": type } : {}, body });
  }
  return cases;
}

function emptyTally(): Tally {
  return { requests: 0, s2xx: 0, s4xx: 0, s5xx: 0, dropped: 0, refused: 0, refusedCalls: 0, answeredCalls: 0, internal: 0 };
}

function randomFrom(rnd: () => number, n: number): string {
  return Array.from({ length: n }, () => String.fromCharCode(32 + Math.floor(rnd() * 95))).join("");
}

class GatewayProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, (r: HostileReply) => void>();
  constructor(readonly child: ChildProcess) {
    child.on("message", (m: HostileReply) => {
      this.waiting.get(m.id)?.(m);
      this.waiting.delete(m.id);
    });
  }
  ask(op: HostileRequest["op"], label?: string): Promise<HostileReply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.send({ id, op, label } satisfies HostileRequest);
    });
  }
}

export async function runHostileCorpus(): Promise<string[]> {
  const child = fork(join(__dirname, "hostile-gateway.js"), [], { execArgv: ["--expose-gc"], stdio: ["ignore", "ignore", "inherit", "ipc"], env: process.env });
  const hello = await new Promise<{ url: string; base: string; callerSecret: string; gc: boolean }>((resolve, reject) => {
    child.once("message", (m) => resolve(m as never));
    child.once("exit", (code) => reject(new Error(`gateway process exited ${code}`)));
  });
  const gw = new GatewayProcess(child);
  try {
    return await corpusAgainst(gw, hello);
  } finally {
    if (child.exitCode === null) child.kill("SIGTERM");
  }
}

async function corpusAgainst(gw: GatewayProcess, hello: { url: string; base: string; callerSecret: string; gc: boolean }): Promise<string[]> {
  const child = gw.child;
  const sign = signer(hello.callerSecret);
  const nowS = Math.floor(Date.now() / 1000);
  const token = await sign({ connections: "*", roles: ["billing:read", "accounts:write"] }, nowS + 3600);

  const send = (c: HostileCase) => sendCase(hello.base, token, c);
  const gql = async (query: string) => JSON.parse((await send({ kind: "warm-up", method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) })).text);

  // Warm-up: what a normal first use initialises (schema, connectors, pools, loaders) is not counted as growth.
  const partners = await gql("{ partners(first: 5) { nodes { id } } }");
  const partnerId: string = partners.data.partners.nodes[0].id;
  const period = lastMonth();
  for (let i = 0; i < 3; i++) {
    await gql(`{ connections { id } partner(id: "${partnerId}") { id name invoice(period: "${period}") { id } } }`);
    await gql("{ partner(id: \"partner:nope:x\") { id } }");
  }
  const fixtures = { partnerId, period, ...(await badTokens(hello.callerSecret)) };

  const before = await gw.ask("memory");
  if (process.env.HOSTILE_SNAPSHOTS === "1") process.stderr.write(`heap snapshot before: ${(await gw.ask("snapshot", "before")).file}\n`);
  const tallies = new Map<string, Tally>();
  const total = emptyTally();
  const afterRounds: HostileReply[] = [];
  const callsBefore = (await gw.ask("calls")).calls!;
  for (let round = 0; round < ROUNDS; round++) {
    const corpus = buildCorpus(SEED + round, fixtures);
    for (const c of corpus) {
      const calls0 = (await gw.ask("calls")).calls!;
      const { status, text } = await send(c);
      const made = (await gw.ask("calls")).calls! - calls0;
      const codes = codesOf(text);
      const refused = status === 0 || status >= 400 || codes.some((code) => REFUSAL_CODES.has(code));
      for (const t of [total, tallies.get(c.kind) ?? tallies.set(c.kind, emptyTally()).get(c.kind)!]) {
        t.requests++;
        if (codes.includes("INTERNAL_SERVER_ERROR")) t.internal++;
        if (status === 0) t.dropped++;
        else if (status < 300) t.s2xx++;
        else if (status < 500) t.s4xx++;
        else t.s5xx++;
        if (refused) {
          t.refused++;
          t.refusedCalls += made;
        } else t.answeredCalls += made;
      }
    }
    afterRounds.push(await gw.ask("memory"));
  }
  const callsAll = (await gw.ask("calls")).calls! - callsBefore;
  if (process.env.HOSTILE_SNAPSHOTS === "1") process.stderr.write(`heap snapshot after: ${(await gw.ask("snapshot", "after")).file}\n`);
  await gw.ask("stop");
  await new Promise((r) => child.once("exit", r));

  const out: string[] = [];
  const line = (label: string, value: string) => out.push(`${label.padEnd(58)} ${value}`);
  const mib = (n: number) => (n / MiB).toFixed(0);
  const row = (t: Tally) =>
    `${t.requests} req: ${t.s2xx} 2xx / ${t.s4xx} 4xx / ${t.s5xx} 5xx / ${t.dropped} dropped; refused ${t.refused}; vendor calls ${t.refusedCalls} refused / ${t.answeredCalls} answered${t.internal ? `; INTERNAL_SERVER_ERROR ${t.internal}` : ""}`;
  line(`hostile corpus (seed ${SEED}, ${ROUNDS} round${ROUNDS > 1 ? "s" : ""}), gateway in its own process`, row(total));
  for (const [kind, t] of tallies) line(`  ${kind}`, row(t));
  line("  5xx (goal 0)", String(total.s5xx));
  line("  answers with INTERNAL_SERVER_ERROR, any status (goal 0)", String(total.internal));
  line("  vendor calls caused by refused requests (goal 0)", `${total.refusedCalls} (all vendor calls during the corpus: ${callsAll})`);
  line("  gateway RSS after GC, before / after (MiB, goal +50)", `${mib(before.rss!)} / ${afterRounds.map((m) => mib(m.rss!)).join(" / ")} (${(afterRounds[afterRounds.length - 1].rss! - before.rss!) >= 0 ? "+" : ""}${mib(afterRounds[afterRounds.length - 1].rss! - before.rss!)})`);
  line("  gateway heap used after GC, before / after (MiB)", `${mib(before.heapUsed!)} / ${afterRounds.map((m) => mib(m.heapUsed!)).join(" / ")}`);
  if (!hello.gc) line("  (no --expose-gc in the gateway process: figures without a forced GC)", "");
  return out;
}

if (require.main === module) {
  void runHostileCorpus().then(
    (lines) => process.stdout.write(`${lines.join("\n")}\n`),
    (err: unknown) => {
      process.stderr.write(`hostile corpus failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
