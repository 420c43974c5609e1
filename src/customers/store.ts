/**
 * Where the customer directory's edits persist. Embedded default: one JSON file in the data directory,
 * replaced atomically (a temp file in the same directory, fsynced, renamed over it), so a crash mid-write
 * leaves the old file or the new one, never a torn one. With Redis as the store: a hash shared by every
 * instance, with a generation bumped by each edit (src/cache/store.ts directorySet).
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import type { ResponseCache } from "../cache/store";
import { DirectoryUnavailableError } from "../domain/errors";
import type { DirectoryFields } from "./directory";

export interface DirectoryState {
  generation: number;
  fields: DirectoryFields;
}

export interface DirectoryStore {
  readonly kind: "file" | "redis";
  /** The generation of the persisted edits, cheaply; undefined when the store did not answer. */
  generation(): Promise<number | undefined>;
  /** Every edit; undefined when the store did not answer. */
  read(): Promise<DirectoryState | undefined>;
  /** Persists fields of one edit together; the new generation. Throws DirectoryUnavailableError when not confirmed. */
  set(fields: Array<[field: string, value: string]>): Promise<number>;
}

export const DIRECTORY_FILE = "customer-directory.json";
const TEMP_SUFFIX = ".tmp";

/** Writes `text` to `path` atomically: a temp file beside it, fsynced, renamed over it, the directory fsynced. */
export function writeFileAtomic(path: string, text: string): void {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}${TEMP_SUFFIX}`;
  const fd = openSync(temp, "wx", 0o600);
  try {
    const bytes = Buffer.from(text, "utf8");
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  // The rename itself is durable once the directory entry is on disk (not every platform allows this).
  try {
    const dir = openSync(join(path, ".."), "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    /* best effort */
  }
}

function parseState(text: string, path: string): DirectoryState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`customerDirectory.dataDir: ${path} is not valid JSON (${(err as Error).message}); fix or move it: the gateway will not overwrite it`);
  }
  const r = raw as { version?: unknown; generation?: unknown; fields?: unknown };
  const fieldsOk = r.fields !== null && typeof r.fields === "object" && Object.values(r.fields as object).every((v) => typeof v === "string");
  if (r.version !== 1 || typeof r.generation !== "number" || !fieldsOk) {
    throw new Error(`customerDirectory.dataDir: ${path} is not a customer directory file (version 1); the gateway will not overwrite it`);
  }
  return { generation: r.generation, fields: { ...(r.fields as DirectoryFields) } };
}

/**
 * The embedded store: the edits in `<dataDir>/customer-directory.json`, owned by this process (one
 * gateway per data directory; share Redis between instances). Read once at start; writes are serialised.
 * Temp files left by a crash mid-write are never read, and are removed at start.
 */
export class FileDirectoryStore implements DirectoryStore {
  readonly kind = "file" as const;
  readonly path: string;
  private state: DirectoryState;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dataDir: string,
    private readonly logger?: Logger,
  ) {
    this.path = join(dataDir, DIRECTORY_FILE);
    this.state = this.load();
  }

  private load(): DirectoryState {
    let names: string[] = [];
    try {
      names = readdirSync(this.dataDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { generation: 0, fields: {} }; // created on first write
      throw err;
    }
    for (const name of names) {
      if (name.startsWith(`${DIRECTORY_FILE}.`) && name.endsWith(TEMP_SUFFIX)) {
        rmSync(join(this.dataDir, name), { force: true });
        this.logger?.warn({ file: name }, "customer directory: removed a temp file left by an interrupted write");
      }
    }
    if (!names.includes(DIRECTORY_FILE)) return { generation: 0, fields: {} };
    return parseState(readFileSync(this.path, "utf8"), this.path);
  }

  async generation(): Promise<number> {
    return this.state.generation;
  }

  async read(): Promise<DirectoryState> {
    return { generation: this.state.generation, fields: { ...this.state.fields } };
  }

  set(fields: Array<[string, string]>): Promise<number> {
    const run = this.queue.then(() => {
      const next: DirectoryState = { generation: this.state.generation + 1, fields: { ...this.state.fields, ...Object.fromEntries(fields) } };
      try {
        mkdirSync(this.dataDir, { recursive: true });
        writeFileAtomic(this.path, `${JSON.stringify({ version: 1, generation: next.generation, fields: next.fields }, null, 2)}\n`);
      } catch (err) {
        this.logger?.error({ err: (err as Error).message }, "customer directory: the edit could not be written");
        throw new DirectoryUnavailableError("The customer directory's data file could not be written: nothing was changed");
      }
      this.state = next;
      return next.generation;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** Edits in Redis, shared by every instance on it (one directory per `customerDirectory.name`). */
export class RedisDirectoryStore implements DirectoryStore {
  readonly kind = "redis" as const;

  constructor(
    private readonly cache: ResponseCache,
    private readonly name: string,
  ) {}

  generation(): Promise<number | undefined> {
    return this.cache.directoryGeneration(this.name);
  }

  read(): Promise<DirectoryState | undefined> {
    return this.cache.directoryRead(this.name);
  }

  async set(fields: Array<[string, string]>): Promise<number> {
    const generation = await this.cache.directorySet(this.name, fields);
    if (generation === undefined) throw new DirectoryUnavailableError();
    return generation;
  }
}
