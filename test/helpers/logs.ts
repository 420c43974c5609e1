import { Writable } from "node:stream";
import type { Logger } from "pino";
import { createLogger } from "../../src/logger";

/** A debug logger whose lines are kept, so tests can check what was (and was not) logged. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger({ level: "debug", destination }), lines };
}
