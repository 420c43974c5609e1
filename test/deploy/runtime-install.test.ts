/**
 * The Dockerfile's runtime stage, replayed without a container engine: its COPYs into a fresh temp
 * directory (dist/src from a build, the rest from the repository), its `npm ci --omit=dev` there, then
 * its CMD with its ENV and a config of simulators. The gateway must answer from a production-only
 * install (no devDependency reachable: nothing above a temp directory has node_modules), serve the
 * playground's files from it, pass the image's HEALTHCHECK command, and exit 0 on SIGTERM.
 * npm reads the packages from its cache when it has them (`--prefer-offline`): after the project's own
 * `npm ci`, it does.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { promisify } from "node:util";
import { request } from "undici";
import { signCallerToken } from "../../src/auth/caller";
import { createKeeperMspSimulator, KEEPER_MSP_SANDBOX_TOKEN, type KeeperMspSimulator } from "../../src/vendors/keeper-msp/simulator/server";
import { all, copiesOf, envOf, execForm, inImage, last, readDockerfile, type Stage } from "../helpers/dockerfile";
import { buildDist } from "../helpers/build";

const run = promisify(execFile);
const root = join(__dirname, "..", "..");
const BUILD_MS = 180_000;
const INSTALL_MS = 180_000;
const START_MS = 60_000;
const STOP_MS = 15_000;
const SECRET = "runtime-install-test-caller-secret";

const stages = readDockerfile(join(root, "Dockerfile"));
const runtime = stages.at(-1)!;

/** The repository path a COPY source stands for: the context's own, or a build stage's (built here by tsc -b). */
function sourceInRepo(stage: Stage | undefined, source: string): string {
  if (!stage) return join(root, source);
  return join(root, relative(inImage(stage, "."), inImage(stage, source)));
}

let app: string | undefined;
let work: string | undefined;
let keeper: KeeperMspSimulator | undefined;
let gateway: ChildProcess | undefined;
let output = "";
let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
let url = "";

beforeAll(async () => {
  await buildDist();
  app = mkdtempSync(join(tmpdir(), "runtime-stage-"));
  work = mkdtempSync(join(tmpdir(), "runtime-stage-config-"));
  // The image's WORKDIR is this temp directory.
  const workdir = inImage(runtime, ".");
  for (const copy of copiesOf(runtime)) {
    const from = copy.from === undefined ? undefined : stages.find((s) => s.name === copy.from);
    if (copy.from !== undefined && !from) throw new Error(`COPY --from=${copy.from}: no such stage`);
    const dest = join(app, relative(workdir, inImage(runtime, copy.dest)));
    for (const source of copy.sources) {
      const path = sourceInRepo(from, source);
      // As Docker copies: a directory's content into the destination; a file into a destination ending in "/", else as it.
      const target = !statSync(path).isDirectory() && copy.dest.endsWith("/") ? join(dest, basename(path)) : dest;
      mkdirSync(statSync(path).isDirectory() ? target : dirname(target), { recursive: true });
      cpSync(path, target, { recursive: true });
    }
  }
  // The runtime stage's install, as written (flags included), reading npm's cache first.
  const install = all(runtime, "RUN")
    .flatMap((r) => r.split("&&").map((c) => c.trim()))
    .find((c) => /^npm ci\b/.test(c));
  if (!install) throw new Error("the runtime stage runs no npm ci");
  await run("npm", [...install.split(/\s+/).slice(1), "--prefer-offline"], { cwd: app, timeout: INSTALL_MS });

  keeper = await createKeeperMspSimulator();
  const config = join(work, "gateway.json");
  writeFileSync(
    config,
    JSON.stringify({
      auth: { issuer: "runtime-install-test", audience: "billing-gateway", hs256Secret: { env: "GATEWAY_JWT_SECRET" } },
      connections: [{ id: "keeper-msp", vendor: "keeper-msp", baseUrl: keeper.url, apiToken: { env: "KEEPER_API_TOKEN" } }],
      // Its files come from node_modules: the production install must have them.
      playground: true,
    }),
  );
  const cmd = execForm(last(runtime, "CMD") ?? "");
  if (!cmd || cmd[0] !== "node") throw new Error(`the CMD is not node: ${last(runtime, "CMD")}`);
  gateway = spawn(process.execPath, cmd.slice(1), {
    cwd: app,
    stdio: ["ignore", "pipe", "pipe"],
    // A container's environment: the image's ENV, the config and its secrets; a free port on loopback here.
    env: { PATH: process.env.PATH, ...envOf(runtime), HOST: "127.0.0.1", PORT: "0", LOG_FORMAT: "json", GATEWAY_CONFIG: config, GATEWAY_JWT_SECRET: SECRET, KEEPER_API_TOKEN: KEEPER_MSP_SANDBOX_TOKEN },
  });
  gateway.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  gateway.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  gateway.once("exit", (code, signal) => (exit = { code, signal }));
  const end = Date.now() + START_MS;
  while (!/"msg":"gateway listening"/.test(output) && exit === undefined && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 50));
  const line = output.split("\n").find((l) => l.includes('"msg":"gateway listening"'));
  if (!line) throw new Error(`the gateway did not listen (${JSON.stringify(exit)}):\n${output.slice(-3000)}`);
  url = JSON.parse(line).url;
}, BUILD_MS + INSTALL_MS + START_MS);

afterAll(async () => {
  if (gateway && exit === undefined) {
    const exited = new Promise((resolve) => gateway!.once("exit", resolve));
    gateway.kill("SIGKILL");
    await exited;
  }
  await keeper?.close();
  for (const dir of [app, work]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the Dockerfile's runtime stage, replayed in a temp directory", () => {
  it("installs no devDependency", () => {
    expect(existsSync(join(app!, "node_modules", "@apollo", "server"))).toBe(true);
    for (const dev of ["typescript", "jest", "ts-jest", "@graphql-codegen/cli"]) expect([dev, existsSync(join(app!, "node_modules", dev))]).toEqual([dev, false]);
  });

  it(
    "answers /healthz, a GraphQL query and the playground's files",
    async () => {
      const health = await request(new URL("/healthz", url));
      expect([health.statusCode, await health.body.json()]).toEqual([200, { status: "ok" }]);

      const token = await signCallerToken(SECRET, { issuer: "runtime-install-test", audience: "billing-gateway", connections: "*", roles: ["billing:read"] });
      const res = await request(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: `{ partner(id: "partner:keeper-msp:self") { invoice(period: "2025-08") { total { amount currency } } } }` }),
      });
      expect(res.statusCode).toBe(200);
      expect(await res.body.json()).toEqual({ data: { partner: { invoice: { total: { amount: "2387.74", currency: "USD" } } } } });
      expect(keeper!.calls.count("billing-usage")).toBe(1);

      for (const asset of ["graphiql.min.js", "graphiql.min.css", "react.production.min.js", "react-dom.production.min.js"]) {
        const served = await request(`${url}/_playground/${asset}`);
        const body = await served.body.arrayBuffer();
        expect([asset, served.statusCode, body.byteLength > 1000]).toEqual([asset, 200, true]);
      }
    },
    20_000,
  );

  it(
    "passes the image's HEALTHCHECK command",
    async () => {
      const health = execForm((last(runtime, "HEALTHCHECK") ?? "").replace(/^(--\S+\s+)*CMD\s+/, ""));
      expect(health?.[0]).toBe("node");
      // The check reads PORT, as in the container, where the image's ENV sets it.
      const { port } = new URL(url);
      await expect(run(process.execPath, health!.slice(1), { env: { PATH: process.env.PATH, PORT: port }, timeout: 10_000 })).resolves.toBeDefined();
    },
    20_000,
  );

  it(
    "exits 0 on SIGTERM",
    async () => {
      gateway!.kill("SIGTERM");
      const end = Date.now() + STOP_MS;
      while (exit === undefined && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(exit).toEqual({ code: 0, signal: null });
    },
    STOP_MS + 5_000,
  );
});
