import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listenAddress, loadConfigFile, parseConfig } from "../../src/config";
import { configProblems } from "../helpers/config";

const valid = {
  auth: { issuer: "https://idp.test/", audience: "gw", hs256Secret: { env: "GW_SECRET" } },
  connections: [
    { id: "keeper-us", vendor: "keeper-msp", apiToken: { env: "KEEPER_TOKEN" } },
    { id: "dist", vendor: "keeper-distributor", baseUrl: "https://keepersecurity.eu", partnerKey: "pk", secret: { env: "KEEPER_SECRET" }, vendorName: "acme" },
  ],
};
const env = { GW_SECRET: "gateway-secret-value", KEEPER_TOKEN: "keeper-token-value", KEEPER_SECRET: "keeper-secret-value" };

const problems = (raw: unknown, e: NodeJS.ProcessEnv = env) => configProblems(raw, e);

describe("configuration", () => {
  it("merges quota governor bounds: vendor default, then upstream.governor, then the connection's own", () => {
    const cfg = parseConfig(
      { ...valid, upstream: { governor: { maxPerSecond: 2 } }, connections: [{ ...valid.connections[0], governor: { maxConcurrent: 1 } }, valid.connections[1]] },
      env,
    );
    expect(cfg.governors.get("keeper-us")).toEqual({ maxConcurrent: 1, maxPerSecond: 2, maxQueue: 100 });
    expect(cfg.governors.get("dist")).toEqual({ maxConcurrent: 4, maxPerSecond: 2, maxQueue: 100 });
    expect(problems({ ...valid, connections: [{ ...valid.connections[0], governor: { maxConcurrent: 0 } }] })).toEqual([
      "connections[0].governor.maxConcurrent: Number must be greater than or equal to 1",
    ]);
  });

  it("resolves {env} secrets into Secrets that never print", () => {
    const cfg = parseConfig(valid, env);
    const keeper = cfg.connections[0];
    expect(keeper.vendor === "keeper-msp" && keeper.apiToken.reveal()).toBe("keeper-token-value");
    expect(keeper.baseUrl).toBe("https://keepersecurity.com");
    const printed = `${JSON.stringify(cfg)} ${String(keeper.vendor === "keeper-msp" && keeper.apiToken)} ${require("node:util").inspect(cfg, { depth: 5 })}`;
    for (const s of Object.values(env)) expect(printed).not.toContain(s);
  });

  it("names the field and what is wrong", () => {
    expect(problems({ ...valid, connections: [{ ...valid.connections[0], baseUrl: "not a url" }] })).toEqual([
      "connections[0].baseUrl: must be an absolute http(s) URL",
    ]);
    expect(problems(valid, { ...env, KEEPER_SECRET: undefined })).toEqual(["connections[1].secret: environment variable KEEPER_SECRET is not set"]);
    expect(problems({ ...valid, connections: [valid.connections[0], valid.connections[0]] })).toEqual(['connections[1].id: duplicate connection id "keeper-us"']);
    expect(problems({ ...valid, connections: [{ id: "m", vendor: "google-workspace" }] })[0]).toMatch(/^connections\[0\]\.vendor: must be one of keeper-msp, keeper-distributor, webex-wholesale, microsoft-marketplace, microsoft-partner-billing/);
    expect(problems({ ...valid, connections: [{ ...valid.connections[1], vendorName: undefined }] })[0]).toMatch(/^connections\[0\]\.vendorName: /);
    expect(problems({ ...valid, auth: { issuer: "x", audience: "y" } })).toEqual(["auth: needs exactly one of hs256Secret or jwksUrl"]);
    expect(problems({ ...valid, connections: [{ ...valid.connections[0], id: "has:colon" }] })[0]).toMatch(/^connections\[0\]\.id: /);
    expect(problems({ ...valid, extra: true })[0]).toMatch(/Unrecognized key/);
  });

  it("lets only Microsoft's marketplace app call a marketplace webhook unless told otherwise", () => {
    const marketplace = (webhook: Record<string, unknown>) => ({
      ...valid,
      connections: [{ id: "mkt", vendor: "microsoft-marketplace", tenantId: "t", clientId: "c", clientSecret: "s", webhook: { jwksUrl: "https://login.test/keys", issuer: "i", audience: "a", tenantId: "t", ...webhook } }],
    });
    const webhookOf = (raw: unknown) => {
      const c = parseConfig(raw, env).connections[0];
      return c.vendor === "microsoft-marketplace" ? c.webhook : undefined;
    };
    expect(webhookOf(marketplace({}))?.allowedAppIds).toEqual(["20e940b3-4c77-4b0b-9a53-9e16a1b010a7"]);
    expect(webhookOf(marketplace({ allowedAppIds: ["app-1", "app-2"] }))?.allowedAppIds).toEqual(["app-1", "app-2"]);
    expect(problems(marketplace({ allowedAppIds: [] }))).toEqual(["connections[0].webhook.allowedAppIds: must list at least one app id"]);
  });

  it("bounds waiting on Redis: 150 ms per call by default, each timeout configurable", () => {
    expect(parseConfig(valid, env).redisTimeouts).toEqual({ commandMs: 150, connectMs: 1000, reconnectMaxDelayMs: 2000, probeIntervalMs: 1000 });
    const cfg = parseConfig({ ...valid, cache: { redisUrl: "redis://r:6379", redisTimeouts: { commandMs: 50 } } }, env);
    expect(cfg.redisTimeouts).toMatchObject({ commandMs: 50, connectMs: 1000 });
    expect(problems({ ...valid, cache: { redisTimeouts: { commandMs: 0 } } })).toEqual([expect.stringMatching(/^cache\.redisTimeouts\.commandMs: /)]);
  });

  it("pins caller-token algorithms and tolerates 30 s of clock skew unless told otherwise", () => {
    expect(parseConfig(valid, env).auth).toMatchObject({ clockToleranceSeconds: 30, rolesClaim: "roles", jwksCacheSeconds: 600, jwksCooldownSeconds: 30 });
    const jwks = { issuer: "https://idp.test/", audience: "gw", jwksUrl: "https://idp.test/keys", algorithms: ["ES256"], clockToleranceSeconds: 5 };
    expect(parseConfig({ ...valid, auth: jwks }, env).auth).toMatchObject({ algorithms: ["ES256"], clockToleranceSeconds: 5 });
    expect(problems({ ...valid, auth: { ...jwks, algorithms: ["HS256"] } })).toEqual([expect.stringMatching(/^auth\.algorithms\[0\]: /)]);
    expect(problems({ ...valid, auth: { ...jwks, algorithms: ["none"] } })).toEqual([expect.stringMatching(/^auth\.algorithms\[0\]: /)]);
    expect(problems({ ...valid, auth: { ...valid.auth, algorithms: ["RS256"] } })).toEqual(["auth: algorithms go with jwksUrl (hs256Secret is HS256 only)"]);
    expect(problems({ ...valid, auth: { ...jwks, clockToleranceSeconds: 3600 } })).toEqual([expect.stringMatching(/^auth\.clockToleranceSeconds: /)]);
  });

  it("keeps the newest 10,000 audit entries per tenant unless told otherwise", () => {
    expect(parseConfig(valid, env).audit).toEqual({ maxEntries: 10_000 });
    expect(parseConfig({ ...valid, audit: { maxEntries: 500 } }, env).audit).toEqual({ maxEntries: 500 });
    expect(problems({ ...valid, audit: { maxEntries: 0 } })).toEqual([expect.stringMatching(/^audit\.maxEntries: /)]);
  });

  it("limits each caller to 600 requests a minute unless told otherwise, or not at all with rateLimit: false", () => {
    expect(parseConfig(valid, env).rateLimit).toEqual({ requests: 600, windowSeconds: 60 });
    expect(parseConfig({ ...valid, rateLimit: { requests: 50, windowSeconds: 10 } }, env).rateLimit).toEqual({ requests: 50, windowSeconds: 10 });
    expect(parseConfig({ ...valid, rateLimit: false }, env).rateLimit).toBeNull();
    expect(problems({ ...valid, rateLimit: { requests: 0, windowSeconds: 10 } })).toEqual([expect.stringMatching(/^rateLimit/)]);
  });

  it("takes the Redis URL from the environment, keeps it out of every printout, and checks it without repeating it", () => {
    const url = "redis://gateway:s3cret-pass@redis.internal:6379";
    const cfg = parseConfig({ ...valid, cache: { redisUrl: { env: "GW_REDIS_URL" } } }, { ...env, GW_REDIS_URL: url });
    expect(cfg.redisUrl!.reveal()).toBe(url);
    expect(`${String(cfg.redisUrl)} ${JSON.stringify(cfg)}`).not.toContain("s3cret-pass");
    expect(parseConfig({ ...valid, cache: { redisUrl: "redis://127.0.0.1:6379" } }, env).redisUrl!.reveal()).toBe("redis://127.0.0.1:6379");
    expect(problems({ ...valid, cache: { redisUrl: { env: "GW_REDIS_URL" } } })).toEqual(["cache.redisUrl: environment variable GW_REDIS_URL is not set"]);
    const wrong = problems({ ...valid, cache: { redisUrl: { env: "GW_REDIS_URL" } } }, { ...env, GW_REDIS_URL: "http://user:s3cret-pass@redis" });
    expect(wrong).toEqual(["cache.redisUrl: must be a redis:// or rediss:// URL"]);
  });

  it("serves a federation subgraph only when asked, and not with a safelist of its own (the router plans the operations)", () => {
    expect(parseConfig(valid, env).subgraph).toBe(false);
    expect(parseConfig({ ...valid, subgraph: true }, env).subgraph).toBe(true);
    expect(problems({ ...valid, subgraph: true, trustedDocuments: "safelist" })).toEqual([
      'subgraph: a subgraph runs the operations its router plans, which no safelist holds: use trustedDocuments "off" and safelist at the router',
    ]);
    expect(problems({ ...valid, subgraph: "yes" })).toEqual(["subgraph: Expected boolean, received string"]);
  });

  it("reads the file named by GATEWAY_CONFIG and reports a file that is not JSON", () => {
    const dir = mkdtempSync(join(tmpdir(), "gw-config-"));
    writeFileSync(join(dir, "ok.json"), JSON.stringify(valid));
    writeFileSync(join(dir, "bad.json"), "{ nope");
    expect(loadConfigFile(join(dir, "ok.json"), env).connections).toHaveLength(2);
    expect(() => loadConfigFile(join(dir, "bad.json"), env)).toThrow(/is not valid JSON/);
    expect(() => loadConfigFile(join(dir, "missing.json"), env)).toThrow(/cannot read/);
  });

  it("takes PORT and HOST from the environment", () => {
    expect(listenAddress({})).toEqual({ port: 4000, host: "127.0.0.1" });
    expect(listenAddress({ PORT: "8080", HOST: "0.0.0.0" })).toEqual({ port: 8080, host: "0.0.0.0" });
    expect(() => listenAddress({ PORT: "eighty" })).toThrow(/PORT/);
  });
});
