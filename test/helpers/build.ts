/**
 * `tsc -b tsconfig.build.json` (what `npm run build` runs; incremental) for tests that run or copy
 * dist/. One build at a time across jest workers: two compiles writing the same files at once could
 * hand a test a file half written.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const ROOT = join(__dirname, "..", "..");
/** A lock older than this was left by a process that died while building: taken over. */
const STALE_MS = 5 * 60_000;

export async function buildDist(): Promise<void> {
  const lock = join(tmpdir(), `billing-gateway-build-${createHash("sha256").update(ROOT).digest("hex").slice(0, 12)}.lock`);
  for (;;) {
    try {
      mkdirSync(lock); // atomic: exactly one process creates it
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let age = 0;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue; // released meanwhile
      }
      if (age > STALE_MS) rmSync(lock, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    await run(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-b", "tsconfig.build.json"], { cwd: ROOT });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
