/**
 * Where a statement's lines are read from: memory for ordinary statements, a line store on disk for very
 * large ones (millions of lines never sit on the heap as objects). Pages are by position in a fixed
 * order, so cursors stay stable.
 */
import type { LineAggregate, AggregateDimension } from "./aggregate";
import type { ExternalId, InvoiceLineRecord } from "./model";
import type { Reconciliation } from "./reconcile";

export interface LineFilter {
  companyKey?: string | null;
  productKey?: string | null;
  chargeType?: string | null;
  /** Lines of any company that carries one of these vendor ids (a customer across vendors). */
  externalIds?: Array<{ kind: string; value: string }> | null;
}

function hasExternalId(line: InvoiceLineRecord, ids: Array<{ kind: string; value: string }>): boolean {
  return line.companyExternalIds.some((e) => ids.some((i) => i.kind === e.kind && i.value === e.value));
}

export interface LineSource {
  count(filter?: LineFilter): Promise<number>;
  page(filter: LineFilter, offset: number, limit: number): Promise<InvoiceLineRecord[]>;
}

/** Lines kept out of memory, with what was computed while they streamed in. */
export interface StoredLines extends LineSource {
  readonly size: number;
  aggregates(by: AggregateDimension): LineAggregate[];
  /** The companies the lines are for (the partner's own lines excluded), as the first line of each named them. */
  companies(): Array<{ key: string; name: string | null; externalIds: ExternalId[] }>;
  readonly reconciliation: Reconciliation;
  dispose(): void;
}

/** A source's lines that match `filter`, a page at a time and in order: only one page is held at once. */
export async function* linePages(source: LineSource, filter: LineFilter, pageSize: number): AsyncGenerator<InvoiceLineRecord[]> {
  const count = await source.count(filter);
  for (let offset = 0; offset < count; offset += pageSize) yield await source.page(filter, offset, pageSize);
}

export function lineMatches(line: InvoiceLineRecord, filter: LineFilter): boolean {
  return (
    (!filter.companyKey || line.companyKey === filter.companyKey) &&
    (!filter.productKey || line.productKey === filter.productKey) &&
    (!filter.chargeType || line.chargeType === filter.chargeType) &&
    (!filter.externalIds || hasExternalId(line, filter.externalIds))
  );
}

export class ArrayLineSource implements LineSource {
  constructor(private readonly lines: InvoiceLineRecord[]) {}

  private filtered(filter: LineFilter = {}): InvoiceLineRecord[] {
    return filter.companyKey || filter.productKey || filter.chargeType || filter.externalIds ? this.lines.filter((l) => lineMatches(l, filter)) : this.lines;
  }

  async count(filter: LineFilter = {}): Promise<number> {
    return this.filtered(filter).length;
  }

  async page(filter: LineFilter, offset: number, limit: number): Promise<InvoiceLineRecord[]> {
    return this.filtered(filter).slice(offset, offset + limit);
  }
}

/** One list made of several sources, paged by position across them (a query spanning connections). */
export async function pageAcross(
  sources: Array<{ source: LineSource; filter: LineFilter }>,
  offset: number,
  limit: number,
): Promise<{ total: number; items: Array<{ sourceIndex: number; line: InvoiceLineRecord }> }> {
  const counts = await Promise.all(sources.map((s) => s.source.count(s.filter)));
  const total = counts.reduce((a, b) => a + b, 0);
  const items: Array<{ sourceIndex: number; line: InvoiceLineRecord }> = [];
  let skip = offset;
  for (let i = 0; i < sources.length && items.length < limit; i++) {
    if (skip >= counts[i]) {
      skip -= counts[i];
      continue;
    }
    for (const line of await sources[i].source.page(sources[i].filter, skip, limit - items.length)) items.push({ sourceIndex: i, line });
    skip = 0;
  }
  return { total, items };
}
