/**
 * Cache keys. Every key carries the connection and the caller's scope: there is no default scope, so
 * one tenant can never read another's data through the cache (STYLE.md, Cache).
 */
import { createHash } from "node:crypto";

export interface CacheKeyParts {
  connectionId: string;
  /** The caller's scope key (CallerScope.key). Required: an empty scope is refused. */
  scope: string;
  /** What was fetched, e.g. "keeper.monthly-usage". */
  op: string;
  /** Arguments of the call; serialised as stable JSON. Never put secrets here. */
  args?: unknown;
  /** Invalidation generation of this (connection, kind). */
  generation?: number;
}

/** JSON with object keys sorted, so equal arguments give equal keys. */
export function stableJson(value: unknown): string {
  if (value === undefined) return "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
}

export function cacheKey(parts: CacheKeyParts): string {
  if (!parts.connectionId) throw new Error("cacheKey: connectionId is required");
  if (!parts.scope) throw new Error("cacheKey: a caller scope is required");
  if (!parts.op) throw new Error("cacheKey: op is required");
  const args = stableJson(parts.args ?? null);
  const argPart = args.length > 120 ? createHash("sha256").update(args).digest("base64url") : args;
  return [
    encodeURIComponent(parts.connectionId),
    `s=${parts.scope}`,
    parts.op,
    `g=${parts.generation ?? 0}`,
    argPart,
  ].join("|");
}
