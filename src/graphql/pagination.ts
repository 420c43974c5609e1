/** Relay-style pages over lists the gateway has assembled (vendors here are unpaginated). */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface Page<T> {
  edges: Array<{ cursor: string; node: T }>;
  nodes: T[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

export function encodeCursor(offset: number): string {
  return Buffer.from(`o:${offset}`, "utf8").toString("base64url");
}

/** The offset a cursor points at, or an error message. */
export function decodeCursor(cursor: string): number | string {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const m = /^o:(\d{1,9})$/.exec(text);
  return m ? Number(m[1]) : `"${cursor.slice(0, 40)}" is not a valid cursor`;
}

/** `max`: the configured limits.maxPageSize (MAX_PAGE_SIZE by default). */
export function checkFirst(first: number | null | undefined, max: number = MAX_PAGE_SIZE): string | undefined {
  if (first === null || first === undefined) return undefined;
  if (!Number.isInteger(first) || first < 0 || first > max) return `first must be between 0 and ${max}`;
  return undefined;
}

/** Where a page starts: the item after the `after` cursor. Input was checked before execution (plugins/input-check.ts). */
export function pageOffset(after?: string | null): number {
  return after ? (decodeCursor(after) as number) + 1 : 0;
}

/** A page whose items (`slice`) start at `offset` in a list of `total` items. */
export function pageAt<T>(slice: T[], offset: number, total: number): Page<T> {
  const edges = slice.map((node, i) => ({ cursor: encodeCursor(offset + i), node }));
  return {
    edges,
    nodes: slice,
    pageInfo: {
      hasNextPage: offset + slice.length < total,
      hasPreviousPage: offset > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    totalCount: total,
  };
}

export function paginate<T>(items: T[], first?: number | null, after?: string | null): Page<T> {
  const start = pageOffset(after);
  return pageAt(items.slice(start, start + (first ?? DEFAULT_PAGE_SIZE)), start, items.length);
}
