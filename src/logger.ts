import pino, { type DestinationStream, type Logger } from "pino";

/** Paths that could hold credentials if anything ever logged them: redacted as a second line of defence. */
const REDACT = [
  "headers.authorization",
  "headers['x-api-token']",
  "req.headers.authorization",
  "req.headers['x-api-token']",
  "*.apiToken",
  "*.secret",
  "*.partnerKey",
  "*.hs256Secret",
  "*.token",
];

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? (process.env.NODE_ENV === "test" ? "silent" : "info");
  return pino({ level, redact: { paths: REDACT, censor: "[REDACTED]" }, base: { service: "billing-gateway" } }, options.destination);
}
