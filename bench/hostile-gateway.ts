/**
 * The process the hostile corpus (hostile-corpus.ts) runs against: the sandbox simulators and the
 * gateway, as `npm start` runs them without GATEWAY_CONFIG, so its RSS is that process's and not the
 * load generator's. Answers the parent over IPC: memory after a forced GC (run with --expose-gc),
 * the simulators' call count, and the caller secret (to sign expired and wrongly scoped tokens).
 */
import "reflect-metadata";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeHeapSnapshot } from "node:v8";
import { createGateway } from "../src/gateway";
import { createLogger } from "../src/logger";
import { startSandbox } from "../src/sandbox";

export type HostileRequest = { id: number; op: "memory" | "calls" | "snapshot" | "stop"; label?: string };
export type HostileReply = { id: number; rss?: number; heapUsed?: number; external?: number; calls?: number; file?: string };

async function main(): Promise<void> {
  const sandbox = await startSandbox();
  // Logs at info, as in production (formatError and request logs are part of what a request costs);
  // stdout is discarded by the parent.
  const gateway = await createGateway({ config: sandbox.config, logger: createLogger({ level: process.env.LOG_LEVEL ?? "info" }) });
  const calls = () => sandbox.simulators.reduce((n, s) => n + s.calls.count(), 0);

  process.on("message", async (msg: HostileRequest) => {
    const reply: HostileReply = { id: msg.id };
    if (msg.op === "memory") {
      // Several passes with a turn of the event loop between: sockets and timers of the last requests
      // are released first, and weak callbacks run.
      for (let i = 0; i < 4; i++) {
        global.gc?.();
        await new Promise((r) => setImmediate(r));
      }
      const m = process.memoryUsage();
      Object.assign(reply, { rss: m.rss, heapUsed: m.heapUsed, external: m.external });
    } else if (msg.op === "calls") {
      reply.calls = calls();
    } else if (msg.op === "snapshot") {
      // For finding what retains memory (HOSTILE_SNAPSHOTS=1): open the files in Chrome DevTools, Memory tab.
      reply.file = writeHeapSnapshot(join(tmpdir(), `hostile-${msg.label ?? "x"}-${process.pid}.heapsnapshot`));
    } else if (msg.op === "stop") {
      await gateway.stop();
      await sandbox.close();
      process.send?.(reply);
      process.disconnect();
      return;
    }
    process.send?.(reply);
  });
  process.send?.({ id: 0, url: gateway.graphqlUrl, base: gateway.url, callerSecret: sandbox.callerSecret, gc: typeof global.gc === "function" });
}

main().catch((err: unknown) => {
  process.stderr.write(`hostile gateway failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
