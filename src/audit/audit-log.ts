/**
 * The audit log: every mutation a caller sent, who, what, when and with what outcome, kept in the
 * shared store (so every instance writes to and reads the same log) and also written to the process log
 * as it happens (so an entry survives even a store that is down for longer than its in-process queue).
 * One log per tenant: an admin reads its own tenant's entries only. The newest `maxEntries` are kept.
 */
import type { Logger } from "pino";
import type { ResponseCache } from "../cache/store";

export type AuditOutcome = "OK" | string;

export interface AuditEntry {
  /** ISO time the gateway answered. */
  at: string;
  subject: string;
  tenant: string | null;
  /** The ManagedCompany id of a company-scoped caller. */
  company: string | null;
  requestId: string;
  operationName: string | null;
  /** The mutation field, e.g. `convertToPaid`. */
  mutation: string;
  /** Its arguments as JSON, with anything named like a token, secret or password redacted; cut at 4 KiB. */
  arguments: string;
  /** "OK", or the error code it ended with (FORBIDDEN, BAD_USER_INPUT, VENDOR_REJECTED...). */
  outcome: AuditOutcome;
  /** The error's message, when it failed (gateway messages carry no secrets). */
  message: string | null;
}

export interface StoredAuditEntry extends AuditEntry {
  seq: number;
}

export const DEFAULT_AUDIT_MAX_ENTRIES = 10_000;
const MAX_ARGUMENTS_CHARS = 4096;
const SECRET_NAME = /token|secret|password|credential|apikey|api_key|sas/i;

/** JSON of a mutation's arguments, without what could let someone act as the caller. */
export function auditArguments(args: unknown): string {
  const text = JSON.stringify(args ?? {}, (key, value) => (key && SECRET_NAME.test(key) ? "[redacted]" : value)) ?? "{}";
  return text.length > MAX_ARGUMENTS_CHARS ? `${text.slice(0, MAX_ARGUMENTS_CHARS)}…` : text;
}

export interface AuditFilter {
  subject?: string | null;
  mutation?: string | null;
  outcome?: string | null;
}

export class AuditLog {
  constructor(
    private readonly store: ResponseCache,
    private readonly logger: Logger,
    private readonly maxEntries: number = DEFAULT_AUDIT_MAX_ENTRIES,
  ) {}

  private static logName(tenant: string | null): string {
    return `audit|${tenant === null ? "-" : encodeURIComponent(tenant)}`;
  }

  async record(entry: AuditEntry): Promise<void> {
    this.logger.info({ audit: entry }, "audit");
    await this.store.appendLog(AuditLog.logName(entry.tenant), { ...entry }, this.maxEntries);
  }

  /** The tenant's entries, newest first, filtered; `complete` is false when the store could not be read. */
  async list(tenant: string | null, filter: AuditFilter = {}): Promise<{ entries: StoredAuditEntry[]; complete: boolean }> {
    const { entries, complete } = await this.store.readLog(AuditLog.logName(tenant));
    const matching = (entries as unknown as StoredAuditEntry[]).filter(
      (e) =>
        (!filter.subject || e.subject === filter.subject) &&
        (!filter.mutation || e.mutation === filter.mutation) &&
        (!filter.outcome || e.outcome === filter.outcome),
    );
    return { entries: matching, complete };
  }
}
