/**
 * Global ids: `<type>:<connectionId>:<key>[:<key>...]`, each part URI-encoded. Readable in the
 * playground, but clients should treat them as opaque. The connection id inside lets the gateway
 * check scope before any upstream call.
 */
export type IdType = "partner" | "company" | "invoice" | "product" | "subscription" | "line" | "report" | "operation";

export interface ParsedId {
  type: IdType;
  connectionId: string;
  keys: string[];
}

const TYPES = new Set<IdType>(["partner", "company", "invoice", "product", "subscription", "line", "report", "operation"]);
const KEY_COUNT: Record<IdType, number> = { partner: 1, company: 2, invoice: 2, product: 1, subscription: 1, line: 1, report: 1, operation: 2 };

export function globalId(type: IdType, connectionId: string, ...keys: string[]): string {
  return [type, connectionId, ...keys].map(encodeURIComponent).join(":");
}

/** Parses a global id; returns an error message when it is not one. */
export function parseGlobalId(id: string): ParsedId | string {
  const parts = id.split(":");
  let decoded: string[];
  try {
    decoded = parts.map(decodeURIComponent);
  } catch {
    return `"${id.slice(0, 80)}" is not a valid id`;
  }
  const [type, connectionId, ...keys] = decoded;
  if (!TYPES.has(type as IdType) || !connectionId || keys.length !== KEY_COUNT[type as IdType] || keys.some((k) => k === "")) {
    return `"${id.slice(0, 80)}" is not a valid id`;
  }
  return { type: type as IdType, connectionId, keys };
}
