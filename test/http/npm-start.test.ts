/**
 * `npm start` in sandbox mode, as an operator runs it: SIGTERM to the npm process lets a request in
 * flight finish, then every process of it ends and npm exits 0.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { request } from "undici";
import { until } from "../helpers/until";

const root = join(__dirname, "..", "..");
// The first start after a change compiles the sources; on a busy two-core machine that takes a while.
const STARTUP_MS = 150_000;
const STOP_MS = 10_000;

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("npm start (sandbox)", () => {
  let npm: ChildProcess | undefined;
  let output = "";
  const exit = { code: null as number | null, signal: null as NodeJS.Signals | null, done: false };

  afterAll(() => {
    // Whatever the test found, leave no process behind.
    if (npm?.pid && groupAlive(npm.pid)) process.kill(-npm.pid, "SIGKILL");
  });

  it(
    "on SIGTERM finishes the request in flight, then ends every process of it with exit code 0",
    async () => {
      npm = spawn("npm", ["start"], {
        cwd: root,
        // Its own process group, so that the test can tell when every process of it is gone.
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          ...process.env,
          GATEWAY_CONFIG: "",
          PORT: "0",
          NODE_ENV: "production",
          LOG_LEVEL: "debug",
          // The sandbox logs readable lines by default; this test reads the JSON records.
          LOG_FORMAT: "json",
          // Each simulator answer takes this long: the marketplace query below makes two calls in turn.
          SANDBOX_LATENCY_MS: "1500",
          SHUTDOWN_GRACE_MS: "6000",
        },
      });
      npm.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
      npm.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
      npm.once("exit", (code, signal) => Object.assign(exit, { code, signal, done: true }));
      const pgid = npm.pid!;

      await until("the gateway to listen", STARTUP_MS, () => /Playground: +http:\/\/\S+\/graphql/.test(output) || exit.done);
      const listening = /Playground: +(http:\/\/\S+\/graphql)/.exec(output);
      if (!listening) throw new Error(`npm start ended before it listened:\n${output.slice(-3000)}`);
      const url = listening[1];

      const events: string[] = [];
      const inFlight = request(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "{ subscriptions(filter: { vendor: MICROSOFT }) { nodes { id quantity } } }" }),
      }).then(async (res) => {
        events.push("response");
        return { status: res.statusCode, body: (await res.body.json()) as { data?: unknown; errors?: unknown } };
      });
      // The first vendor call (the token) has been answered: the request is in the gateway, with a call to go.
      await until("the first upstream call", STARTUP_MS, () => output.includes('"msg":"upstream call"'));
      process.kill(npm.pid!, "SIGTERM");
      await until("the stopping log line", STOP_MS, () => output.includes('"msg":"stopping"'));
      events.push("stopping");

      const answered = await inFlight;
      expect(answered.status).toBe(200);
      expect(answered.body.errors).toBeUndefined();
      expect(answered.body.data).toMatchObject({ subscriptions: { nodes: expect.arrayContaining([expect.objectContaining({ quantity: expect.any(String) })]) } });
      // The gateway was already stopping when the answer came.
      expect(events).toEqual(["stopping", "response"]);

      await until("every process of npm start to end", STOP_MS, () => !groupAlive(pgid));
      await until("npm's exit status", STOP_MS, () => exit.done);
      expect(exit).toEqual({ code: 0, signal: null, done: true });
      expect(output).toContain('"msg":"stopped"');
    },
    STARTUP_MS + 4 * STOP_MS,
  );
});
