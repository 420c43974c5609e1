/**
 * A statement's lines as the vendor sent them, with what a statement needs computed while they stream
 * in: per-line facts are added up exactly (ExactSum) once per company × product × charge type ×
 * currency, from which the aggregates per company, product and charge type, the invoice totals and the
 * reconciliation are derived at the end; and position lists per company, product and charge type
 * (typed arrays) answer filtered pages. A million lines cost about 30 MiB of indexes, never a million
 * objects on the heap.
 *
 * The lines themselves stay on disk in the form they came in (the gzip blobs, about a twentieth of
 * their text): a part's text is inflated into the store's text file the first time a page needs one
 * of its lines, and read from there afterwards. A line becomes an InvoiceLineRecord only when a page
 * asks for it, through the connector's codec.
 *
 * Lines arrive in parts (one per blob, several at a time); positions are part order, then line order
 * within a part, whatever order the parts finished in, so pages are stable. A statement of at most
 * `memoryLimit` lines is decoded into memory at the end and its files removed.
 */
import { closeSync, mkdirSync, open, readSync, rmSync, write } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { Readable, type Transform } from "node:stream";
import { promisify } from "node:util";
import { aggregateOf, type AggregateDimension, type LineAggregate } from "../domain/aggregate";
import type { CurrencyTotals } from "../domain/currency-totals";
import { ExactSum, scaledOrNaN, toDecimal, type ExactInput } from "../domain/exact-sum";
import type { LineFilter, StoredLines } from "../domain/line-source";
import { Dec } from "../domain/money";
import type { ExternalId, InvoiceLineRecord, ReportedTotals } from "../domain/model";
import { lineTotalDifference, MAX_LINE_DIFFERENCES, totalsDifferences, type Reconciliation, type ReconciliationDifference } from "../domain/reconcile";
import type { ReportedCurrencyTotals } from "../domain/model";

const DIR = join(tmpdir(), `billing-gateway-lines-${process.pid}`);
let cleanupRegistered = false;
const openAsync = promisify(open);
const writeAsync = promisify(write);

/** What the store needs of one line, read by the connector as the line streams in. */
export interface LineFacts {
  companyKey: string | null;
  /** Read only for a company's first line, and for a line with a difference (may be a getter). */
  readonly companyName: string | null;
  /** Asked only for a company's first line. */
  companyExternalIds(): ExternalId[];
  productKey: string;
  /** Read only for a product's first line (may be a getter). */
  readonly description: string | null;
  chargeType: string;
  currency: string | null;
  quantity: ExactInput;
  amount: ExactInput | null;
  tax: ExactInput | null;
  total: ExactInput | null;
}

/** How the connector turns a stored line back into a record. */
export interface LineCodec {
  decode(text: string, part: string, lineNumber: number): InvoiceLineRecord;
  /** The id `decode` gives that line (for reconciliation differences, without decoding it). */
  lineId(part: string, lineNumber: number): string;
}

export interface LineStoreOptions {
  codec: LineCodec;
  /** Turns a part's kept bytes back into its text (a gunzip stream, for gzip blobs). */
  inflate: () => Transform;
  /** Lines carry their own total, checked against amount + tax (as ReconcileAccumulator does). */
  lineTotals: boolean;
  /** At most this many lines are decoded into memory at the end; more stay in the file. */
  memoryLimit: number;
}

class Growable<T extends Float64Array | Int32Array> {
  length = 0;
  constructor(
    public arr: T,
    private readonly make: (n: number) => T,
  ) {}
  push(v: number): void {
    if (this.length === this.arr.length) {
      const next = this.make(this.arr.length * 2);
      next.set(this.arr);
      this.arr = next;
    }
    this.arr[this.length++] = v;
  }
}
const floats = () => new Growable(new Float64Array(1024), (n) => new Float64Array(n));
const ints = () => new Growable(new Int32Array(1024), (n) => new Int32Array(n));

/** Interned keys with the first line (by position) that carried them. */
class Keys {
  readonly ordinal = new Map<string, number>();
  readonly keys: string[] = [];
  readonly first: number[] = [];
  readonly labels: Array<string | null> = [];
  readonly extra: unknown[] = [];
}

/** Sums of the lines sharing company, product, charge type and currency. */
class Combo {
  lines = 0;
  readonly quantity = new ExactSum();
  readonly amount = new ExactSum();
  readonly tax = new ExactSum();
  readonly total = new ExactSum();
  constructor(
    readonly company: number,
    readonly product: number,
    readonly charge: number,
    readonly currency: number,
    public first: number,
  ) {}
}

/** A line's place in arrival terms: its part and its index within the part (comparable as one number). */
const rank = (part: number, index: number) => part * 4294967296 + index;

/** Bytes gathered per write. */
const BATCH = 1 << 20;

/**
 * An append-only file: offsets handed out as bytes arrive, written in 1 MiB batches off the main thread.
 * Bytes are copied into the spool's own batch buffers, reused once written, so a producer's buffers
 * (HTTP body chunks, gunzip output) die young instead of waiting for a write and outliving a scavenge.
 */
class Spool {
  size = 0;
  private fd: number | undefined;
  private opening: Promise<number> | undefined;
  private batch: Buffer | undefined;
  private batchStart = 0;
  private batchBytes = 0;
  private readonly spare: Buffer[] = [];
  private inFlight = 0;
  private inFlightBytes = 0;
  private failure: Error | undefined;
  private waiters: Array<() => void> = [];
  private removed = false;
  readonly path: string;

  constructor(name: string) {
    mkdirSync(DIR, { recursive: true });
    if (!cleanupRegistered) {
      cleanupRegistered = true;
      process.once("exit", () => rmSync(DIR, { recursive: true, force: true }));
    }
    this.path = join(DIR, name);
  }

  /** Appends bytes; returns where they start. Once the file is removed, bytes still arriving are dropped. */
  append(bytes: Buffer): number {
    const at = this.size;
    if (this.removed) return at;
    for (let from = 0; from < bytes.length; ) {
      if (!this.batch) {
        this.batch = this.spare.pop() ?? Buffer.allocUnsafeSlow(BATCH);
        this.batchStart = this.size;
        this.batchBytes = 0;
      }
      const n = bytes.copy(this.batch, this.batchBytes, from);
      from += n;
      this.batchBytes += n;
      this.size += n;
      if (this.batchBytes === BATCH) this.send();
    }
    return at;
  }

  /** True while too much waits to be written: the producer should await `drain()`. */
  get backlogged(): boolean {
    return this.inFlightBytes > 16 * BATCH;
  }

  drain(): Promise<void> {
    if (!this.backlogged || this.failure) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private send(): void {
    const buffer = this.batch;
    if (!buffer || this.batchBytes === 0) return;
    const start = this.batchStart;
    const bytes = this.batchBytes;
    this.batch = undefined;
    this.batchBytes = 0;
    this.inFlight++;
    this.inFlightBytes += bytes;
    this.opening ??= openAsync(this.path, "w+").then((fd) => (this.fd = fd));
    void this.opening
      .then(async (fd) => {
        if (this.removed) throw new Error("the line store was disposed");
        for (let done = 0; done < bytes; ) done += (await writeAsync(fd, buffer, done, bytes - done, start + done)).bytesWritten;
      })
      .catch((err: Error) => {
        this.failure ??= err;
      })
      .finally(() => {
        this.inFlight--;
        this.inFlightBytes -= bytes;
        if (!this.removed && this.spare.length < 4) this.spare.push(buffer);
        if (!this.backlogged || this.failure || this.inFlight === 0) for (const w of this.waiters.splice(0)) w();
        if (this.removed) this.close();
      });
  }

  /** Writes what is left and waits for every write; throws the first write error. */
  async flush(): Promise<void> {
    this.send();
    while (this.inFlight > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.spare.length = 0; // an idle store holds no batch buffers
    if (this.failure) throw this.failure;
  }

  read(offset: number, length: number): Buffer {
    if (this.removed || this.fd === undefined) throw new Error(this.removed ? "the line store was disposed" : "the line store's file was never written");
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buf, done, length - done, offset + done);
      if (n === 0) throw new Error("the line store's file is shorter than its index");
      done += n;
    }
    return buf;
  }

  /** Deletes the file; a write still under way finishes first (its descriptor must not be reused under it). */
  remove(): void {
    this.removed = true;
    this.batch = undefined;
    this.batchBytes = 0;
    this.spare.length = 0;
    this.close();
  }

  private close(): void {
    if (this.inFlight > 0) return;
    if (this.fd !== undefined) {
      const fd = this.fd;
      this.fd = undefined;
      closeSync(fd);
      rmSync(this.path, { force: true });
    } else if (this.opening) {
      // Opened, or opening, with nothing written: close it once it is open.
      void this.opening.then(
        (fd) => {
          if (this.fd === fd) this.close();
        },
        () => undefined,
      );
    }
  }
}

/** One ordered run of lines (a blob). */
export class LinePart {
  readonly offsets = floats();
  readonly lengths = ints();
  readonly lineNumbers = ints();
  readonly companies = ints();
  readonly products = ints();
  readonly charges = ints();
  /** Where the part's kept bytes sit in the writer's kept file (parts streaming at once interleave there). */
  readonly keptAt = floats();
  readonly keptLengths = ints();
  /** Bytes of the part's text so far. */
  size = 0;

  constructor(
    private readonly writer: LineStoreWriter,
    readonly index: number,
    readonly name: string,
  ) {}

  /** Keeps bytes of the part as they came (compressed): its text is restored from them when a page needs it. */
  keep(bytes: Buffer): void {
    this.keptAt.push(this.writer.kept.append(bytes));
    this.keptLengths.push(bytes.length);
  }

  /** Counts `length` bytes of the part's text (whole lines, newlines included); returns where they start in it. */
  text(length: number): number {
    const at = this.size;
    this.size += length;
    return at;
  }

  get backlogged(): boolean {
    return this.writer.kept.backlogged;
  }

  drain(): Promise<void> {
    return this.writer.kept.drain();
  }

  /** Records a good line: `length` bytes at `offset` in the part's text, line `lineNumber` of the part. */
  line(offset: number, length: number, lineNumber: number, facts: LineFacts): void {
    const index = this.offsets.length;
    this.offsets.push(offset);
    this.lengths.push(length);
    this.lineNumbers.push(lineNumber);
    this.writer.add(this, index, facts);
  }
}

/** Stored lines, and what they take on disk. */
export interface LineStore extends StoredLines {
  /** Bytes in the store's files: the blobs as they came, and the text of the parts pages have needed so far. */
  readonly diskBytes: number;
}

/** The result: lines in memory (small statements) or in the store, and the totals added up on the way. */
export interface LineStoreResult {
  lines: InvoiceLineRecord[];
  store?: LineStore;
  reported: ReportedTotals;
}

/** The key's ordinal; `first` moves to this line when it is the key's first (by position) so far. */
function ordinalOf(keys: Keys, key: string, first: number): number {
  let o = keys.ordinal.get(key);
  if (o === undefined) {
    o = keys.keys.length;
    keys.ordinal.set(key, o);
    keys.keys.push(key);
    keys.first.push(first);
    keys.labels.push(null);
    keys.extra.push(undefined);
  } else if (first < keys.first[o]) {
    // An earlier line (by position) arrived later, from another part: its label is the group's.
    keys.first[o] = first;
  }
  return o;
}

const PARTNER_COMPANY = "\u0000partner";

export class LineStoreWriter {
  private readonly id = randomUUID();
  /** @internal The parts' bytes as they came, appended as they stream in. */
  readonly kept = new Spool(`${this.id}.kept`);
  private readonly parts: LinePart[] = [];
  private readonly companies = new Keys();
  private readonly products = new Keys();
  private readonly charges = new Keys();
  private readonly currencies = new Keys();
  /** Per company ordinal, its combinations keyed by product, charge type and currency. */
  private readonly combos: Array<Map<number | string, Combo>> = [];
  private readonly differences: Array<{ rank: number; d: ReconciliationDifference }> = [];
  private moreDifferences = 0;
  private withoutAmount = 0;
  private finished = false;

  constructor(private readonly options: LineStoreOptions) {}

  part(name: string): LinePart {
    const part = new LinePart(this, this.parts.length, name);
    this.parts.push(part);
    return part;
  }

  /** @internal LinePart.line */
  add(part: LinePart, index: number, f: LineFacts): void {
    const at = rank(part.index, index);
    const companyKey = f.companyKey ?? PARTNER_COMPANY;
    const c = ordinalOf(this.companies, companyKey, at);
    if (this.companies.first[c] === at) {
      this.companies.labels[c] = f.companyName;
      this.companies.extra[c] = f.companyExternalIds();
    }
    const p = ordinalOf(this.products, f.productKey, at);
    if (this.products.first[p] === at) this.products.labels[p] = f.description;
    const ch = ordinalOf(this.charges, f.chargeType, at);
    const cur = ordinalOf(this.currencies, f.currency ?? "", at);
    if (this.currencies.first[cur] === at) this.currencies.labels[cur] = f.currency;
    part.companies.push(c);
    part.products.push(p);
    part.charges.push(ch);

    // Within a company, one small-integer key per combination while the ordinals fit (always, in practice).
    const key = p < 65536 && ch < 64 && cur < 64 ? (p * 64 + ch) * 64 + cur : `${p},${ch},${cur}`;
    const ofCompany = (this.combos[c] ??= new Map());
    let combo = ofCompany.get(key);
    if (combo === undefined) ofCompany.set(key, (combo = new Combo(c, p, ch, cur, at)));
    else if (at < combo.first) combo.first = at;
    combo.lines++;
    combo.quantity.add(f.quantity);
    const { amount, tax, total } = f;
    if (tax !== null) combo.tax.add(tax);
    if (total !== null) combo.total.add(total);
    // A line without a currency carries no money (the connector refuses amounts without one).
    if (amount === null || f.currency === null) {
      this.withoutAmount++;
      return;
    }
    combo.amount.add(amount);
    if (this.options.lineTotals && total !== null) this.checkLineTotal(part, index, f, amount, tax, total);
  }

  /** total = amount + tax, exactly: on integers when all three are on the fast path, else (and to report) on decimals. */
  private checkLineTotal(part: LinePart, index: number, f: LineFacts, amount: ExactInput, tax: ExactInput | null, total: ExactInput): void {
    if (typeof amount === "number" && typeof total === "number" && (tax === null || typeof tax === "number")) {
      const a = scaledOrNaN(amount);
      const t = scaledOrNaN(total);
      const x = tax === null ? 0 : scaledOrNaN(tax);
      if (t === a + x) return; // false when any of them is NaN
    }
    const computed = toDecimal(amount).plus(tax === null ? new Dec(0) : toDecimal(tax));
    const d = lineTotalDifference(toDecimal(total), computed, {
      companyKey: f.companyKey,
      companyName: f.companyName,
      productKey: f.productKey,
      currency: f.currency,
      lineId: this.options.codec.lineId(part.name, part.lineNumbers.arr[index]),
    });
    if (!d) return;
    if (this.differences.length < MAX_LINE_DIFFERENCES) this.differences.push({ rank: rank(part.index, index), d });
    else this.moreDifferences++;
  }

  /** Gives up (a download failed): waits for the writes under way and removes the file. */
  async abandon(): Promise<void> {
    this.finished = true;
    await this.kept.flush().catch(() => undefined);
    this.kept.remove();
  }

  /** Waits for the kept bytes to be written, then builds the indexes; a statement small enough comes back decoded in memory. */
  async finish(): Promise<LineStoreResult> {
    if (this.finished) throw new Error("finish() called twice");
    this.finished = true;
    try {
      await this.kept.flush();
    } catch (err) {
      this.kept.remove();
      throw err;
    }
    const count = this.parts.reduce((n, p) => n + p.offsets.length, 0);
    const combos = this.combos.flatMap((m) => [...m.values()]).sort((a, b) => a.first - b.first);
    const reported = this.reportedTotals(combos);
    const store = this.build(count, combos, reported);
    if (count > this.options.memoryLimit) return { lines: [], store, reported };
    try {
      return { lines: await store.page({}, 0, count), reported };
    } finally {
      store.dispose();
    }
  }

  /** Per currency (in the order they first appear), the sums of these combinations; lines without a currency are in none. */
  private perCurrency(combos: Iterable<Combo>, lines: (c: Combo) => number): CurrencyTotals[] {
    const sums = new Map<number, { lines: number; amount: ExactSum; tax: ExactSum; total: ExactSum }>();
    for (const c of combos) {
      if (this.currencies.labels[c.currency] === null) continue;
      let s = sums.get(c.currency);
      if (!s) sums.set(c.currency, (s = { lines: 0, amount: new ExactSum(), tax: new ExactSum(), total: new ExactSum() }));
      s.lines += lines(c);
      s.amount.merge(c.amount);
      s.tax.merge(c.tax);
      s.total.merge(c.total);
    }
    return [...sums.entries()].map(([cur, s]) => ({
      currency: this.currencies.labels[cur]!,
      lines: s.lines,
      amount: s.amount.valueOrNull(),
      tax: s.tax.valueOrNull(),
      total: s.total.valueOrNull(),
    }));
  }

  /** The vendor's own per-line figures added up, per currency: the statement's reported totals. */
  private reportedTotals(combos: Combo[]): ReportedTotals {
    const byCurrency: ReportedCurrencyTotals[] = this.perCurrency(combos, (c) => c.lines)
      .filter((t) => t.amount !== null || t.tax !== null || t.total !== null)
      .map((t) => ({ currency: t.currency, subtotal: t.amount, tax: t.tax, total: t.total }));
    return { byCurrency, groups: [] };
  }

  private aggregates(combos: Combo[], by: AggregateDimension): LineAggregate[] {
    const groups = new Map<number, { combos: Combo[]; lines: number; quantity: ExactSum }>();
    for (const combo of combos) {
      const k = by === "COMPANY" ? combo.company : by === "PRODUCT" ? combo.product : combo.charge;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { combos: [], lines: 0, quantity: new ExactSum() }));
      g.combos.push(combo);
      g.lines += combo.lines;
      g.quantity.merge(combo.quantity);
    }
    return [...groups.entries()].map(([k, g]) => {
      const key = by === "COMPANY" ? this.companies.keys[k] : by === "PRODUCT" ? this.products.keys[k] : this.charges.keys[k];
      const label = by === "COMPANY" ? this.companies.labels[k] : by === "PRODUCT" ? this.products.labels[k] : null;
      return aggregateOf(key === PARTNER_COMPANY ? "(partner)" : key, label, g.lines, g.quantity.value(), this.perCurrency(g.combos, (c) => c.lines));
    });
  }

  private reconciliation(combos: Combo[], reported: ReportedTotals): Reconciliation {
    const linesTotals = this.perCurrency(combos, (c) => c.amount.count).filter((t) => t.lines > 0);
    const differences = this.differences.sort((a, b) => a.rank - b.rank).map((x) => x.d);
    differences.push(...totalsDifferences(reported, linesTotals));
    return { balanced: differences.length === 0 && this.moreDifferences === 0, linesTotals, linesWithoutAmount: this.withoutAmount, differences, moreDifferences: this.moreDifferences };
  }

  private build(count: number, combos: Combo[], reported: ReportedTotals): LineStore {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    // Positions: part order, then line order.
    const offsets = new Float64Array(count);
    const lengths = new Int32Array(count);
    const lineNumbers = new Int32Array(count);
    const partOf = new Uint16Array(count);
    const dims = { company: new Int32Array(count), product: new Int32Array(count), charge: new Int32Array(count) };
    let at = 0;
    for (const p of this.parts) {
      const n = p.offsets.length;
      offsets.set(p.offsets.arr.subarray(0, n), at);
      lengths.set(p.lengths.arr.subarray(0, n), at);
      lineNumbers.set(p.lineNumbers.arr.subarray(0, n), at);
      partOf.fill(p.index, at, at + n);
      dims.company.set(p.companies.arr.subarray(0, n), at);
      dims.product.set(p.products.arr.subarray(0, n), at);
      dims.charge.set(p.charges.arr.subarray(0, n), at);
      at += n;
    }
    const partNames = this.parts.map((p) => p.name);
    const restore = new PartRestorer(this.parts, this.kept, new Spool(`${this.id}.jsonl`), this.options.inflate);
    this.parts.length = 0;
    const lists = {
      company: positionLists(dims.company, this.companies.keys.length),
      product: positionLists(dims.product, this.products.keys.length),
      charge: positionLists(dims.charge, this.charges.keys.length),
    };
    const companies = this.companies;
    const products = this.products;
    const charges = this.charges;
    const empty = new Int32Array(0);
    const listOf = (which: keyof typeof lists, keys: Keys, key: string) => {
      const o = keys.ordinal.get(key);
      return o === undefined ? empty : lists[which](o);
    };
    const positions = (filter: LineFilter): Int32Array | null => {
      const chosen: Int32Array[] = [];
      if (filter.companyKey) chosen.push(listOf("company", companies, filter.companyKey));
      if (filter.productKey) chosen.push(listOf("product", products, filter.productKey));
      if (filter.chargeType) chosen.push(listOf("charge", charges, filter.chargeType));
      if (filter.externalIds) {
        const wanted = filter.externalIds;
        const merged: number[] = [];
        companies.extra.forEach((ids, o) => {
          if ((ids as ExternalId[]).some((e) => wanted.some((w) => w.kind === e.kind && w.value === e.value))) merged.push(...lists.company(o));
        });
        chosen.push(Int32Array.from(merged.sort((a, b) => a - b)));
      }
      return chosen.length ? intersect(chosen) : null;
    };
    const codec = this.options.codec;
    let disposed = false;
    /**
     * Reads the lines at these positions: restores the parts they lie in (once each), then reads one
     * run of lines that sit next to each other in the file at a time.
     */
    const readLines = async (picked: ArrayLike<number>): Promise<InvoiceLineRecord[]> => {
      if (disposed) throw new Error("the line store was disposed");
      const bases = new Float64Array(partNames.length);
      const needed = new Set<number>();
      for (let i = 0; i < picked.length; i++) needed.add(partOf[picked[i]]);
      for (const p of needed) bases[p] = await restore.part(p);
      if (disposed) throw new Error("the line store was disposed");
      const at = (pos: number) => bases[partOf[pos]] + offsets[pos];
      const out: InvoiceLineRecord[] = new Array(picked.length);
      for (let i = 0; i < picked.length; ) {
        let j = i + 1;
        while (j < picked.length && at(picked[j]) === at(picked[j - 1]) + lengths[picked[j - 1]] + 1 && j - i < 4096) j++;
        const first = at(picked[i]);
        const last = picked[j - 1];
        const bytes = restore.text.read(first, at(last) + lengths[last] - first);
        for (let k = i; k < j; k++) {
          const pos = picked[k];
          const start = at(pos) - first;
          out[k] = codec.decode(bytes.toString("utf8", start, start + lengths[pos]), partNames[partOf[pos]], lineNumbers[pos]);
        }
        i = j;
      }
      return out;
    };
    const memo = new Map<AggregateDimension, LineAggregate[]>();
    let reconciliation: Reconciliation | undefined;
    return {
      size: count,
      get diskBytes() {
        return disposed ? 0 : self.kept.size + restore.text.size;
      },
      get reconciliation() {
        return (reconciliation ??= self.reconciliation(combos, reported));
      },
      aggregates: (by) => {
        let a = memo.get(by);
        if (!a) memo.set(by, (a = self.aggregates(combos, by)));
        return a;
      },
      companies: () =>
        companies.keys.flatMap((key, o) => (key === PARTNER_COMPANY ? [] : [{ key, name: companies.labels[o] ?? null, externalIds: (companies.extra[o] as ExternalId[] | undefined) ?? [] }])),
      async count(filter: LineFilter = {}) {
        return positions(filter)?.length ?? count;
      },
      async page(filter: LineFilter, offset: number, limit: number) {
        const picked = positions(filter);
        if (picked) return readLines(picked.subarray(offset, offset + limit));
        const from = Math.min(offset, count);
        const to = Math.min(count, offset + limit);
        const range = new Int32Array(to - from);
        for (let i = 0; i < range.length; i++) range[i] = from + i;
        return readLines(range);
      },
      dispose() {
        if (disposed) return;
        disposed = true;
        restore.text.remove();
        self.kept.remove();
      },
    };
  }
}

/**
 * Restores parts' text from their kept bytes, one part at a time (each part's text is contiguous in
 * the text file), each at most once: the first page that needs a part pays for inflating it.
 */
class PartRestorer {
  private readonly bases: Array<Promise<number> | undefined> = [];
  private queue: Promise<unknown> = Promise.resolve();
  private readonly parts: Array<{ name: string; size: number; keptAt: Float64Array; keptLengths: Int32Array }>;

  constructor(
    parts: LinePart[],
    private readonly kept: Spool,
    readonly text: Spool,
    private readonly inflate: () => Transform,
  ) {
    this.parts = parts.map((p) => ({ name: p.name, size: p.size, keptAt: p.keptAt.arr.slice(0, p.keptAt.length), keptLengths: p.keptLengths.arr.slice(0, p.keptLengths.length) }));
  }

  /** Where the part's text starts in the text file, once it is there. */
  part(index: number): Promise<number> {
    let base = this.bases[index];
    if (!base) {
      base = this.queue.then(() => this.restore(index));
      // A failed restore is tried again by the next page that needs the part.
      base.catch(() => (this.bases[index] = undefined));
      this.bases[index] = base;
      this.queue = base.catch(() => undefined);
    }
    return base;
  }

  private async restore(index: number): Promise<number> {
    const { name, size, keptAt, keptLengths } = this.parts[index];
    const base = this.text.size;
    if (size === 0) return base;
    const kept = this.kept;
    const source = Readable.from(
      (function* () {
        // Runs of kept pieces that sit next to each other (the usual case), up to 1 MiB a read.
        for (let i = 0; i < keptAt.length; ) {
          let j = i + 1;
          let length = keptLengths[i];
          while (j < keptAt.length && keptAt[j] === keptAt[i] + length && length < 1 << 20) length += keptLengths[j++];
          yield kept.read(keptAt[i], length);
          i = j;
        }
      })(),
    );
    const inflate = this.inflate();
    source.on("error", (err) => inflate.destroy(err));
    let restored = 0;
    try {
      for await (const chunk of source.pipe(inflate) as AsyncIterable<Buffer>) {
        const wanted = Math.min(chunk.length, size - restored);
        this.text.append(wanted === chunk.length ? chunk : chunk.subarray(0, wanted));
        restored += wanted;
        if (restored === size) break;
        if (this.text.backlogged) await this.text.drain();
      }
    } catch {
      // A stream cut short while streaming in is cut short again at the same byte: checked below.
    } finally {
      source.destroy();
    }
    await this.text.flush();
    if (restored < size) throw new Error(`the line store could not restore ${name}: ${restored} of ${size} bytes`);
    return base;
  }
}

/** Ascending positions per ordinal, by counting sort: one Int32Array for all, sliced per ordinal. */
function positionLists(ordinals: Int32Array, size: number): (ordinal: number) => Int32Array {
  const starts = new Int32Array(size + 1);
  for (let i = 0; i < ordinals.length; i++) starts[ordinals[i] + 1]++;
  for (let o = 0; o < size; o++) starts[o + 1] += starts[o];
  const fill = starts.slice(0, size);
  const all = new Int32Array(ordinals.length);
  for (let i = 0; i < ordinals.length; i++) all[fill[ordinals[i]]++] = i;
  return (o) => all.subarray(starts[o], starts[o + 1]);
}

/** Ascending position lists intersected. */
function intersect(lists: Int32Array[]): Int32Array {
  let result = lists[0];
  for (const other of lists.slice(1)) {
    const out = new Int32Array(Math.min(result.length, other.length));
    let n = 0;
    for (let i = 0, j = 0; i < result.length && j < other.length; ) {
      if (result[i] === other[j]) {
        out[n++] = result[i];
        i++;
        j++;
      } else if (result[i] < other[j]) i++;
      else j++;
    }
    result = out.subarray(0, n);
  }
  return result;
}
