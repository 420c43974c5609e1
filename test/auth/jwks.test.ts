/**
 * Caller tokens checked against an issuer's JWKS (issue 11, item 3), over real HTTP: an in-test issuer
 * publishes its keys; the gateway picks the key by `kid`, follows a rotation, pins the algorithms and
 * tolerates a small clock skew.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from "jose";
import { startTestGateway, type TestGateway } from "../helpers/gateway";

const ISSUER = "https://idp.example.test/";
const AUDIENCE = "billing-gateway";

interface Issuer {
  url: string;
  keys: JWK[];
  fetches: number;
  down: boolean;
  close(): Promise<void>;
}

async function startIssuer(): Promise<Issuer> {
  const issuer = { keys: [] as JWK[], fetches: 0, down: false } as Issuer;
  const server: Server = createServer((req, res) => {
    issuer.fetches++;
    if (issuer.down) {
      res.writeHead(503).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: issuer.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  issuer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  issuer.close = () => new Promise((resolve) => server.close(() => resolve()));
  return issuer;
}

interface Key {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function makeKey(kid: string, alg: "RS256" | "ES256" = "RS256"): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

function sign(key: Key, options: { alg?: string; exp?: number; nbf?: number; kid?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ connections: "*", roles: ["billing:read"] })
    .setProtectedHeader({ alg: options.alg ?? "RS256", kid: options.kid ?? key.kid })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject("jwks-user")
    .setIssuedAt(now)
    .setExpirationTime(options.exp ?? now + 300);
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  return jwt.sign(key.privateKey);
}

let issuer: Issuer;
let t: TestGateway;
let a: Key;
let b: Key;
const status = async (token: string) => (await t.gql(`{ connections { id } }`, undefined, token)).status;

beforeAll(async () => {
  issuer = await startIssuer();
  [a, b] = await Promise.all([makeKey("key-a"), makeKey("key-b", "ES256")]);
  issuer.keys = [a.jwk];
  t = await startTestGateway({
    overrides: {
      auth: { issuer: ISSUER, audience: AUDIENCE, jwksUrl: issuer.url, jwksCacheSeconds: 1, jwksCooldownSeconds: 0, clockToleranceSeconds: 30 },
    },
  });
});
afterAll(async () => {
  await t.close();
  await issuer.close();
});

describe("JWKS", () => {
  it("accepts a token signed by a published key, fetching the keys once for many requests", async () => {
    const token = await sign(a);
    const before = issuer.fetches;
    const statuses = await Promise.all([1, 2, 3, 4].map(() => status(token)));
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect(issuer.fetches - before).toBeLessThanOrEqual(1);
  });

  it("follows a rotation: a new kid works once published, a removed key stops once the keys are fetched again", async () => {
    const withB = await sign(b, { alg: "ES256" });
    expect(await status(withB)).toBe(401); // not published yet
    issuer.keys = [a.jwk, b.jwk];
    expect(await status(withB)).toBe(200); // the unknown kid fetched the keys again
    const withA = await sign(a);
    expect(await status(withA)).toBe(200); // both published during the overlap

    issuer.keys = [b.jwk];
    await new Promise((r) => setTimeout(r, 1100)); // past jwksCacheSeconds
    expect(await status(withA)).toBe(401);
    expect(await status(withB)).toBe(200);
  });

  it("pins the algorithms: another RSA algorithm, alg none, and the public key used as an HMAC secret are refused", async () => {
    issuer.keys = [a.jwk, b.jwk];
    const { privateKey } = await generateKeyPair("RS384", { extractable: true });
    const rs384 = await new SignJWT({ connections: "*", roles: ["billing:read"] })
      .setProtectedHeader({ alg: "RS384", kid: a.kid })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime("5m")
      .sign(privateKey);
    expect(await status(rs384)).toBe(401);

    const claims = Buffer.from(JSON.stringify({ connections: "*", roles: ["admin"], iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 300 })).toString("base64url");
    const none = `${Buffer.from(JSON.stringify({ alg: "none", kid: a.kid })).toString("base64url")}.${claims}.`;
    expect(await status(none)).toBe(401);

    const hmac = await new SignJWT({ connections: "*", roles: ["admin"] })
      .setProtectedHeader({ alg: "HS256", kid: a.kid })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(JSON.stringify(a.jwk)));
    expect(await status(hmac)).toBe(401);
  });

  it("tolerates a small clock skew on exp and nbf, not a large one", async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await status(await sign(a, { exp: now - 10 }))).toBe(200);
    expect(await status(await sign(a, { nbf: now + 10 }))).toBe(200);
    expect(await status(await sign(a, { exp: now - 120 }))).toBe(401);
    expect(await status(await sign(a, { nbf: now + 120 }))).toBe(401);
  });

  it("answers 401 while the issuer's keys cannot be fetched, says so in the log, and recovers", async () => {
    const c = await makeKey("key-c");
    issuer.down = true;
    const token = await sign(c);
    const res = await t.gql(`{ connections { id } }`, undefined, token);
    expect(res.status).toBe(401);
    expect(res.body.errors![0].extensions!.code).toBe("UNAUTHENTICATED");
    expect(t.logs.some((l) => l.includes("the JWKS could not be fetched"))).toBe(true);
    issuer.down = false;
    issuer.keys = [a.jwk, c.jwk];
    expect(await status(token)).toBe(200);
  });
});
