/**
 * Apollo's cache of parsed and validated documents, bounded by what the documents weigh in the heap.
 * Apollo's default (an InMemoryLRUCache of 30 MiB) sizes a document by its JSON, which leaves out the
 * lexer's tokens every node's location keeps: measured on graphql 16, a document holds 45 (our
 * operations) to 76 (an alias flood) heap bytes per character of its source, 12 to 14 times its JSON,
 * so a stream of distinct queries (every distinct invalid id or period is one) held ~100 MiB of ASTs
 * and kept it (issue 10, item 4).
 */
import { LRUCache } from "lru-cache";
import type { DocumentNode } from "graphql";

/** Upper estimate of heap bytes per source character of a parsed document (see above). */
export const DOCUMENT_HEAP_BYTES_PER_CHAR = 80;

export interface DocumentStoreBounds {
  maxEntries: number;
  /** Estimated heap bytes of all the kept documents. */
  maxBytes: number;
  /** A document estimated heavier than this is parsed again on every request rather than kept. */
  maxEntryBytes: number;
}

export const DEFAULT_DOCUMENT_STORE_BOUNDS: DocumentStoreBounds = { maxEntries: 1000, maxBytes: 32 * 1024 * 1024, maxEntryBytes: 2 * 1024 * 1024 };

/** Estimated heap bytes of a parsed document, from the length of its source. */
export function documentWeight(doc: DocumentNode): number {
  const chars = doc.loc ? doc.loc.end - doc.loc.start : JSON.stringify(doc).length;
  return Math.max(1, chars * DOCUMENT_HEAP_BYTES_PER_CHAR);
}

/** Apollo's KeyValueCache contract (get, set, delete), over a bounded LRU. */
export class DocumentStore {
  private readonly lru: LRUCache<string, DocumentNode>;

  constructor(bounds: Partial<DocumentStoreBounds> = {}) {
    const b = { ...DEFAULT_DOCUMENT_STORE_BOUNDS, ...bounds };
    this.lru = new LRUCache<string, DocumentNode>({
      max: b.maxEntries,
      maxSize: b.maxBytes,
      maxEntrySize: Math.min(b.maxEntryBytes, b.maxBytes),
      sizeCalculation: documentWeight,
    });
  }

  async get(key: string): Promise<DocumentNode | undefined> {
    return this.lru.get(key);
  }

  /** Apollo's ttl option is not used: a document stays valid as long as the schema, and Apollo prefixes keys with the schema hash. */
  async set(key: string, value: DocumentNode): Promise<void> {
    this.lru.set(key, value);
  }

  async delete(key: string): Promise<boolean> {
    return this.lru.delete(key);
  }

  /** Documents kept and their estimated heap bytes (for tests and benchmarks). */
  get usage(): { entries: number; bytes: number } {
    return { entries: this.lru.size, bytes: this.lru.calculatedSize };
  }
}
