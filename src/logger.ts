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

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };

/**
 * One readable line per record, for a person at a terminal (the sandbox): `12:00:01 INFO request
 * method=POST path=/graphql status=200 ...`. pino-pretty would be a dependency for this alone; the
 * records are the same JSON (already redacted) either way.
 */
export function prettyLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith("\n") ? json : `${json}\n`;
  }
  const { time, level, msg, service: _service, pid: _pid, hostname: _hostname, ...rest } = record;
  const clock = typeof time === "number" ? new Date(time).toISOString().slice(11, 23) : "";
  const fields = Object.entries(rest)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === "string" && !/\s/.test(v) ? v : JSON.stringify(v)}`)
    .join(" ");
  return `${clock} ${LEVELS[level as number] ?? String(level)} ${String(msg ?? "")}${fields ? ` ${fields}` : ""}\n`;
}

function prettyDestination(out: { write(text: string): unknown }): DestinationStream {
  return { write: (line: string) => void out.write(prettyLine(line)) };
}

/**
 * JSON lines by default; `pretty` (the sandbox) for people. LOG_FORMAT=json|pretty overrides either.
 */
export function createLogger(options: { level?: string; destination?: DestinationStream; pretty?: boolean } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? (process.env.NODE_ENV === "test" ? "silent" : "info");
  const format = process.env.LOG_FORMAT;
  const pretty = format === "pretty" || (format !== "json" && options.pretty === true);
  const destination = pretty ? prettyDestination(options.destination ?? process.stdout) : options.destination;
  return pino({ level, redact: { paths: REDACT, censor: "[REDACTED]" }, base: { service: "billing-gateway" } }, destination);
}
