/**
 * A statement's lines as the vendor sent them (the raw bytes of each line, in a spool file), with what a
 * statement needs computed while they stream in: per-line facts are added up exactly (ExactSum) once per
 * company × product × charge type × currency, from which the aggregates per company, product and charge
 * type, the invoice totals and the reconciliation are derived at the end; and position lists per
 * company, product and charge type (typed arrays) answer filtered pages. A line becomes an
 * InvoiceLineRecord only when a page asks for it, through the connector's codec. A million lines cost
 * about 30 MiB of indexes, never a million objects on the heap.
 *
 * Lines arrive in parts (one per blob, several at a time); positions are part order, then line order
 * within a part, whatever order the parts finished in, so pages are stable. A statement of at most
 * `memoryLimit` lines is decoded into memory at the end and its file removed.
 */
import { close, closeSync, mkdirSync, open, readSync, rmSync, unlinkSync, writev } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import type { AggregateDimension, LineAggregate } from "../domain/aggregate";
import { ExactSum, scaledOrNaN, toDecimal, type ExactInput } from "../domain/exact-sum";
import type { LineFilter, StoredLines } from "../domain/line-source";
import { Dec } from "../domain/money";
import type { ExternalId, InvoiceLineRecord, ReportedTotals } from "../domain/model";
import { lineTotalDifference, MAX_LINE_DIFFERENCES, totalsDifferences, type Reconciliation, type ReconciliationDifference } from "../domain/reconcile";

const DIR = join(tmpdir(), `billing-gateway-lines-${process.pid}`);
let cleanupRegistered = false;
const openAsync = promisify(open);
const writevAsync = promisify(writev);
const closeAsync = promisify(close);

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

/** The spool file: positions handed out as bytes arrive, written in batches off the main thread. */
class Spool {
  size = 0;
  private fd: number | undefined;
  private opening: Promise<number> | undefined;
  private batch: Buffer[] = [];
  private batchStart = 0;
  private batchBytes = 0;
  private inFlight = 0;
  private inFlightBytes = 0;
  private failure: Error | undefined;
  private waiters: Array<() => void> = [];
  readonly path: string;

  constructor() {
    mkdirSync(DIR, { recursive: true });
    if (!cleanupRegistered) {
      cleanupRegistered = true;
      process.once("exit", () => rmSync(DIR, { recursive: true, force: true }));
    }
    this.path = join(DIR, `${randomUUID()}.jsonl`);
  }

  /** Appends bytes; returns where they start. */
  append(bytes: Buffer): number {
    const at = this.size;
    if (this.batchBytes === 0) this.batchStart = at;
    this.batch.push(bytes);
    this.batchBytes += bytes.length;
    this.size += bytes.length;
    if (this.batchBytes >= 1 << 20) this.send();
    return at;
  }

  /** True while too much waits to be written: the producer should await `drain()`. */
  get backlogged(): boolean {
    return this.inFlightBytes > 16 << 20;
  }

  drain(): Promise<void> {
    if (!this.backlogged || this.failure) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private send(): void {
    if (this.batchBytes === 0) return;
    const buffers = this.batch;
    const start = this.batchStart;
    const bytes = this.batchBytes;
    this.batch = [];
    this.batchBytes = 0;
    this.inFlight++;
    this.inFlightBytes += bytes;
    this.opening ??= openAsync(this.path, "w+");
    void this.opening
      .then((fd) => {
        this.fd = fd;
        return writevAsync(fd, buffers, start);
      })
      .catch((err: Error) => {
        this.failure ??= err;
      })
      .finally(() => {
        this.inFlight--;
        this.inFlightBytes -= bytes;
        if (!this.backlogged || this.failure || this.inFlight === 0) for (const w of this.waiters.splice(0)) w();
      });
  }

  /** Writes what is left and waits for every write; throws the first write error. */
  async flush(): Promise<void> {
    this.send();
    while (this.inFlight > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.failure) throw this.failure;
  }

  read(offset: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd!, buf, done, length - done, offset + done);
      if (n === 0) throw new Error("the line store's file is shorter than its index");
      done += n;
    }
    return buf;
  }

  async remove(): Promise<void> {
    const fd = this.fd ?? (this.opening ? await this.opening.catch(() => undefined) : undefined);
    this.fd = undefined;
    if (fd !== undefined) {
      await closeAsync(fd).catch(() => undefined);
      try {
        unlinkSync(this.path);
      } catch {
        /* already gone */
      }
    }
  }

  removeSync(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    unlinkSync(this.path);
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

  constructor(
    private readonly writer: LineStoreWriter,
    readonly index: number,
    readonly name: string,
  ) {}

  /** Appends raw bytes (whole lines, newlines included) to the spool; returns their file offset. */
  write(bytes: Buffer): number {
    return this.writer.spool.append(bytes);
  }

  get backlogged(): boolean {
    return this.writer.spool.backlogged;
  }

  drain(): Promise<void> {
    return this.writer.spool.drain();
  }

  /** Records a good line: `length` bytes at `offset` in the spool, line `lineNumber` of the part. */
  line(offset: number, length: number, lineNumber: number, facts: LineFacts): void {
    const index = this.offsets.length;
    this.offsets.push(offset);
    this.lengths.push(length);
    this.lineNumbers.push(lineNumber);
    this.writer.add(this, index, facts);
  }
}

/** The result: lines in memory (small statements) or in the store, and the totals added up on the way. */
export interface LineStoreResult {
  lines: InvoiceLineRecord[];
  store?: StoredLines;
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
  readonly spool = new Spool();
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
    if (amount === null) {
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
      lineId: this.options.codec.lineId(part.name, part.lineNumbers.arr[index]),
    });
    if (!d) return;
    if (this.differences.length < MAX_LINE_DIFFERENCES) this.differences.push({ rank: rank(part.index, index), d });
    else this.moreDifferences++;
  }

  /** Gives up (a download failed): waits for the writes under way and removes the file. */
  async abandon(): Promise<void> {
    this.finished = true;
    await this.spool.flush().catch(() => undefined);
    await this.spool.remove();
  }

  /** Waits for the spool, then builds the indexes; a statement small enough comes back decoded in memory. */
  async finish(): Promise<LineStoreResult> {
    if (this.finished) throw new Error("finish() called twice");
    this.finished = true;
    try {
      await this.spool.flush();
    } catch (err) {
      await this.spool.remove();
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

  private reportedTotals(combos: Combo[]): ReportedTotals {
    const subtotal = new ExactSum();
    const tax = new ExactSum();
    const total = new ExactSum();
    for (const c of combos) {
      subtotal.merge(c.amount);
      tax.merge(c.tax);
      total.merge(c.total);
    }
    return { subtotal: subtotal.value(), tax: tax.value(), total: total.value(), groups: [] };
  }

  private aggregates(combos: Combo[], by: AggregateDimension): LineAggregate[] {
    const groups = new Map<number, { combo: Combo; lines: number; quantity: ExactSum; amount: ExactSum; tax: ExactSum; total: ExactSum; mixed: boolean }>();
    for (const combo of combos) {
      const k = by === "COMPANY" ? combo.company : by === "PRODUCT" ? combo.product : combo.charge;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { combo, lines: 0, quantity: new ExactSum(), amount: new ExactSum(), tax: new ExactSum(), total: new ExactSum(), mixed: false }));
      g.lines += combo.lines;
      g.quantity.merge(combo.quantity);
      g.amount.merge(combo.amount);
      g.tax.merge(combo.tax);
      g.total.merge(combo.total);
      if (combo.currency !== g.combo.currency) g.mixed = true;
    }
    return [...groups.entries()].map(([k, g]) => {
      const currency = this.currencies.labels[g.combo.currency];
      const key = by === "COMPANY" ? this.companies.keys[k] : by === "PRODUCT" ? this.products.keys[k] : this.charges.keys[k];
      const label = by === "COMPANY" ? this.companies.labels[k] : by === "PRODUCT" ? this.products.labels[k] : null;
      const money = g.mixed
        ? { amount: null, tax: null, total: null, currency: null }
        : { amount: g.amount.valueOrNull(), tax: g.tax.valueOrNull(), total: g.total.valueOrNull(), currency };
      return { key: key === PARTNER_COMPANY ? "(partner)" : key, label, lines: g.lines, quantity: g.quantity.value(), ...money };
    });
  }

  private reconciliation(combos: Combo[], reported: ReportedTotals): Reconciliation {
    const linesTotal = new ExactSum();
    for (const c of combos) linesTotal.merge(c.amount);
    const computed = linesTotal.value();
    const differences = this.differences.sort((a, b) => a.rank - b.rank).map((x) => x.d);
    differences.push(...totalsDifferences(reported, computed));
    return { balanced: differences.length === 0 && this.moreDifferences === 0, linesTotal: computed, linesWithoutAmount: this.withoutAmount, differences, moreDifferences: this.moreDifferences };
  }

  private build(count: number, combos: Combo[], reported: ReportedTotals): StoredLines {
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
    const spool = this.spool;
    const codec = this.options.codec;
    let disposed = false;
    /** Reads the lines at these positions, one read per run of lines that sit next to each other in the file. */
    const readLines = (picked: ArrayLike<number>): InvoiceLineRecord[] => {
      if (disposed) throw new Error("the line store was disposed");
      const out: InvoiceLineRecord[] = new Array(picked.length);
      for (let i = 0; i < picked.length; ) {
        let j = i + 1;
        while (j < picked.length && offsets[picked[j]] === offsets[picked[j - 1]] + lengths[picked[j - 1]] + 1 && j - i < 4096) j++;
        const first = picked[i];
        const last = picked[j - 1];
        const bytes = spool.read(offsets[first], offsets[last] + lengths[last] - offsets[first]);
        for (let k = i; k < j; k++) {
          const pos = picked[k];
          const start = offsets[pos] - offsets[first];
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
      get reconciliation() {
        return (reconciliation ??= self.reconciliation(combos, reported));
      },
      aggregates: (by) => {
        let a = memo.get(by);
        if (!a) memo.set(by, (a = self.aggregates(combos, by)));
        return a;
      },
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
        spool.removeSync();
      },
    };
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
