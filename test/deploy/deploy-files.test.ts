/**
 * The deployment files, checked without a container engine (none on the machine they were written
 * on, so `docker build` and `docker compose up` never ran): the example config passes the gateway's own
 * loader; the compose file mounts it where GATEWAY_CONFIG says and passes every variable it names; the
 * Dockerfile runs what a build makes, as a non-root user, on the Node the package declares, and copies
 * only files that exist and that the build context keeps.
 */
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
// yaml 2 is in node_modules through @graphql-codegen/cli (pinned in package.json and the lockfile):
// the compose file is read as Compose reads it (merge keys included), not by matching its text.
import { parse as parseYaml } from "yaml";
import { ConfigError, loadConfigFile } from "../../src/config";
import { operationsDir } from "../../src/graphql/examples";
import { all, copiesOf, envOf, execForm, inImage, last, readDockerfile } from "../helpers/dockerfile";
import { buildDist } from "../helpers/build";

const root = join(__dirname, "..", "..");
const deployDir = join(root, "deploy");
const CONFIG = join(deployDir, "gateway.json");
const COMPOSE = join(deployDir, "compose.yaml");
const DOCKERFILE = join(root, "Dockerfile");
const BUILD_MS = 180_000;

/** Configuration fields that hold secrets (src/config.ts `secretField`): each must come from the environment. */
const SECRET_FIELDS = new Set(["hs256Secret", "apiToken", "accessToken", "partnerKey", "secret", "clientSecret", "token"]);

// ---- small readers ---------------------------------------------------------------------------

/** Every `{ "env": NAME }` in a parsed config, and every secret field given some other way. */
function envReferences(value: unknown, path = ""): { names: string[]; literalSecrets: string[] } {
  const out = { names: [] as string[], literalSecrets: [] as string[] };
  if (Array.isArray(value)) {
    value.forEach((v, i) => merge(out, envReferences(v, `${path}[${i}]`)));
  } else if (value !== null && typeof value === "object") {
    for (const [key, v] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      const isEnv = v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { env?: unknown }).env === "string";
      if (isEnv) out.names.push((v as { env: string }).env);
      else if (SECRET_FIELDS.has(key)) out.literalSecrets.push(at);
      else merge(out, envReferences(v, at));
    }
  }
  return out;
}

function merge(into: { names: string[]; literalSecrets: string[] }, from: { names: string[]; literalSecrets: string[] }): void {
  into.names.push(...from.names);
  into.literalSecrets.push(...from.literalSecrets);
}

/** .dockerignore patterns as Docker applies them: from the context root, `*` within one path segment. */
function dockerIgnored(patterns: string[], path: string): boolean {
  const segments = path.split("/");
  return patterns.some((pattern) => {
    const re = new RegExp(`^${pattern.replace(/\/$/, "").replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*\*/g, "\u0000").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]").replace(/\u0000/g, ".*")}$`);
    return segments.some((_, i) => re.test(segments.slice(0, i + 1).join("/")));
  });
}

function readDockerignore(): string[] {
  return readFileSync(join(root, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
}

/** Compose's `${NAME:?message}`: the variable must be set, or compose refuses to start. */
function requiredVariable(value: unknown): string | undefined {
  return typeof value === "string" ? /^\$\{([A-Za-z_][A-Za-z0-9_]*):\?[^}]+\}$/.exec(value)?.[1] : undefined;
}

/** A service's environment, from the map form or the list form. */
function environmentOf(service: Record<string, any>): Record<string, string> {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
  return Object.fromEntries(env.map((e: string) => [e.split("=")[0], e.slice(e.indexOf("=") + 1)]));
}

/** A volume's host source and container target, from the short (`a:b:ro`) or the long form. */
function mountsOf(service: Record<string, any>): Array<{ source: string; target: string }> {
  return (service.volumes ?? []).map((v: any) => {
    if (typeof v !== "string") return { source: String(v.source), target: String(v.target) };
    const [source, target] = v.split(":");
    return { source, target };
  });
}

// ---- the files -------------------------------------------------------------------------------

const configRaw: unknown = JSON.parse(readFileSync(CONFIG, "utf8"));
const { names: configEnv, literalSecrets } = envReferences(configRaw);
const compose = parseYaml(readFileSync(COMPOSE, "utf8"), { merge: true }) as { services: Record<string, Record<string, any>>; volumes?: Record<string, unknown> };
const composeText = readFileSync(COMPOSE, "utf8");
const stages = readDockerfile(DOCKERFILE);
const runtime = stages.at(-1)!;
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { engines: { node: string } };

/** The services built from this repository's Dockerfile: the gateway instances. */
const gateways = Object.entries(compose.services).filter(([, s]) => {
  if (!s.build) return false;
  const context = resolve(deployDir, typeof s.build === "string" ? s.build : s.build.context);
  return context === resolve(root) && resolve(context, s.build.dockerfile ?? "Dockerfile") === DOCKERFILE;
});

/** Every env name with a dummy value. */
const dummyEnv = (): NodeJS.ProcessEnv => Object.fromEntries(configEnv.map((n) => [n, `dummy-${n.toLowerCase()}`]));

describe("deploy/gateway.json", () => {
  it("loads with the gateway's own loader when the variables it names are set", () => {
    expect(configEnv.length).toBeGreaterThan(0);
    const config = loadConfigFile(CONFIG, dummyEnv());
    // Production settings: a shared store, no sandbox conveniences, a protected /metrics, a rate limit.
    expect(config.redisUrl?.reveal()).toMatch(/^redis:\/\//);
    expect(config.playground).toBe(false);
    expect(config.introspection).toBe(false);
    expect(config.metrics?.token?.reveal()).toBe("dummy-metrics_token");
    expect(config.rateLimit).not.toBeNull();
    expect(config.connections.length).toBeGreaterThanOrEqual(2);
  });

  it("fails naming the variable when one it names is missing", () => {
    for (const name of configEnv) {
      const env = dummyEnv();
      delete env[name];
      let problems: string[] = [];
      try {
        loadConfigFile(CONFIG, env);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        problems = err.problems;
      }
      expect([name, problems]).toEqual([name, [expect.stringContaining(`environment variable ${name} is not set`)]]);
    }
  });

  it("takes every secret from the environment, none written in the file", () => {
    expect(literalSecrets).toEqual([]);
    expect(configEnv).toEqual(expect.arrayContaining(["GATEWAY_JWT_SECRET", "METRICS_TOKEN"]));
  });
});

describe("deploy/compose.yaml", () => {
  it("runs two gateway instances built from the Dockerfile, on distinct host ports", () => {
    expect(gateways.map(([name]) => name)).toHaveLength(2);
    const exposed = last(runtime, "EXPOSE");
    const published = gateways.map(([, s]) => {
      expect(s.ports).toHaveLength(1);
      const [host, container] = String(s.ports[0]).split(":");
      expect(container).toBe(exposed);
      return host;
    });
    expect(new Set(published).size).toBe(2);
  });

  it("mounts the config where each instance's GATEWAY_CONFIG says (sandbox mode off)", () => {
    for (const [name, service] of gateways) {
      const path = environmentOf(service).GATEWAY_CONFIG;
      expect([name, path]).toEqual([name, expect.stringMatching(/^\//)]);
      const mount = mountsOf(service).find((m) => m.target === path);
      expect([name, mount && resolve(deployDir, mount.source)]).toEqual([name, CONFIG]);
    }
  });

  it("passes every variable the config names to each instance, required (${NAME:?...}), never a value", () => {
    for (const [name, service] of gateways) {
      const env = environmentOf(service);
      for (const variable of configEnv) expect([name, variable, requiredVariable(env[variable])]).toEqual([name, variable, variable]);
    }
  });

  it("has the Redis the config names, with persistence on a volume, and a healthcheck on every service", () => {
    const host = new URL(loadConfigFile(CONFIG, dummyEnv()).redisUrl!.reveal()).hostname;
    const redis = compose.services[host];
    expect(redis?.image).toMatch(/^redis:/);
    const command = Array.isArray(redis.command) ? redis.command.join(" ") : String(redis.command);
    expect(command).toMatch(/--appendonly yes\b/);
    const data = mountsOf(redis).find((m) => m.target === "/data");
    // A named volume (declared at the top level), not a container's own layer that goes with it.
    expect(data && Object.keys(compose.volumes ?? {})).toContain(data?.source);
    for (const [name, service] of Object.entries(compose.services)) expect([name, service.healthcheck?.test]).toEqual([name, expect.any(Array)]);
    for (const [name, service] of gateways) expect([name, service.healthcheck.test.join(" ")]).toEqual([name, expect.stringContaining("/healthz")]);
    for (const [name, service] of gateways) expect([name, service.depends_on?.[host]?.condition]).toEqual([name, "service_healthy"]);
  });

  it("says to rotate instances behind a load balancer on /readyz", () => {
    expect(composeText).toMatch(/load balancer/i);
    expect(composeText).toContain("/readyz");
  });
});

describe("Dockerfile", () => {
  beforeAll(async () => {
    // The CMD's target is what a build makes: build as `npm run build` does (incremental).
    await buildDist();
  }, BUILD_MS);

  it("builds in one stage and runs in another, on the Node major package.json declares", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const engines = /^>=\s*(\d+)(?:\.(\d+))?/.exec(pkg.engines.node);
    expect(engines).not.toBeNull();
    for (const stage of stages) {
      const tag = /^node:(\d+)(?:\.(\d+))?/.exec(stage.image);
      expect([stage.image, tag?.[1]]).toEqual([stage.image, engines![1]]);
      // A minor in the tag must be at least the declared one; without one, the tag is that major's newest.
      if (tag?.[2] !== undefined && engines![2] !== undefined) expect(Number(tag[2])).toBeGreaterThanOrEqual(Number(engines![2]));
    }
    expect(all(stages[0], "RUN").some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    expect(all(stages[0], "RUN").some((r) => /\bnpm run build\b/.test(r))).toBe(true);
    expect(all(runtime, "RUN").some((r) => /\bnpm ci\b.*--omit=dev/.test(r))).toBe(true);
  });

  it("runs node on the built entry point (not npm start), which a build makes", () => {
    const cmd = execForm(last(runtime, "CMD") ?? "");
    expect(cmd).toEqual(["node", "dist/src/main.js"]);
    // The runtime stage's copy of dist/src holds the build stage's dist/src: the repository's after a build.
    const built = copiesOf(runtime).find((c) => c.from !== undefined && inImage(runtime, c.dest) === inImage(runtime, "dist/src"));
    expect(built).toBeDefined();
    const buildStage = stages.find((s) => s.name === built!.from)!;
    const inRepo = relative(inImage(buildStage, "."), built!.sources[0]);
    expect(inRepo).toBe(join("dist", "src"));
    expect(existsSync(join(root, inRepo, "main.js"))).toBe(true);
  });

  it("checks its health on /healthz with node itself, runs as a non-root user, in production mode", () => {
    const health = last(runtime, "HEALTHCHECK") ?? "";
    const cmd = execForm(health.replace(/^(--\S+\s+)*CMD\s+/, ""));
    expect(cmd?.[0]).toBe("node");
    expect(cmd!.join(" ")).toContain("/healthz");
    const user = last(runtime, "USER");
    expect(user).toBeDefined();
    expect(["root", "0"]).not.toContain(user!.split(":")[0]);
    // The user is set before CMD, after the last RUN that needs root.
    const keywords = runtime.instructions.map((i) => i.keyword);
    expect(keywords.lastIndexOf("USER")).toBeGreaterThan(keywords.lastIndexOf("RUN"));
    const env = envOf(runtime);
    expect(env.NODE_ENV).toBe("production");
    expect(env.HOST).toBe("0.0.0.0");
    expect(last(runtime, "EXPOSE")).toBe(env.PORT);
  });

  it("copies only files that exist and that .dockerignore keeps, and everything the gateway reads at run time", () => {
    const ignore = readDockerignore();
    for (const pattern of ["node_modules", "dist", ".git"]) expect(ignore).toContain(pattern);
    for (const stage of stages) {
      for (const copy of copiesOf(stage).filter((c) => c.from === undefined)) {
        for (const source of copy.sources) {
          expect([source, existsSync(join(root, source))]).toEqual([source, true]);
          expect([source, dockerIgnored(ignore, source)]).toEqual([source, false]);
        }
      }
    }
    // The example operations (playground, trusted documents) are read from schema/operations beside dist/.
    const operations = relative(root, operationsDir()).split("\\").join("/");
    expect(isAbsolute(operations)).toBe(false);
    const runtimeTargets = copiesOf(runtime).map((c) => inImage(runtime, c.dest));
    expect(runtimeTargets).toContain(inImage(runtime, operations));
    expect(runtimeTargets).toContain(inImage(runtime, "dist/src"));
  });
});
