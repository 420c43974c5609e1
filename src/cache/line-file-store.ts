/**
 * A statement's lines in a compact file (one JSON array a line, decimals as text), with byte offsets
 * and per-company, per-product and per-charge-type position lists in typed arrays: a million lines cost
 * a few tens of MiB of index instead of gigabytes of objects. Aggregates and the reconciliation are
 * computed while the lines are written. The file is deleted on dispose (and with the process).
 */
import { closeSync, mkdirSync, openSync, readSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { LineAggregator, type AggregateDimension } from "../domain/aggregate";
import type { LineFilter, StoredLines } from "../domain/line-source";
import { Dec } from "../domain/money";
import type { InvoiceLineRecord, ReportedTotals, StatementRecord } from "../domain/model";
import { ReconcileAccumulator } from "../domain/reconcile";

const DIR = join(tmpdir(), `billing-gateway-lines-${process.pid}`);
let cleanupRegistered = false;

class IntList {
  private arr = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.arr.length) {
      const next = new Int32Array(this.arr.length * 2);
      next.set(this.arr);
      this.arr = next;
    }
    this.arr[this.length++] = v;
  }
  view(): Int32Array {
    return this.arr.subarray(0, this.length);
  }
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

type Row = [string, string | null, string | null, Array<[string, string]>, string, string | null, string, string | null, string | null, string | null, string | null, string | null, string | null, string, string, string, string | null, string | null, Array<[string, string]>, string, string];

const dec = (d: { toFixed(): string } | null | undefined) => (d == null ? null : d.toFixed());
const fromDec = (s: string | null) => (s === null ? null : new Dec(s));

export class LineFileWriter {
  private readonly path: string;
  private readonly fd: number;
  private offsets = new Float64Array(1024);
  private count = 0;
  private bytes = 0;
  private pending: string[] = [];
  private pendingBytes = 0;
  private readonly indexes = { company: new Map<string, IntList>(), product: new Map<string, IntList>(), charge: new Map<string, IntList>() };
  private readonly aggregator = new LineAggregator();
  /** Each company's vendor ids, to find a customer's companies without reading the file. */
  private readonly companyIds = new Map<string, Array<{ kind: string; value: string }>>();
  private readonly reconciler: ReconcileAccumulator;
  private constant: Pick<InvoiceLineRecord, "connectionId" | "vendor" | "period" | "partnerKey"> | undefined;

  constructor(rule: StatementRecord["lineAmountRule"], lineTotals: boolean) {
    mkdirSync(DIR, { recursive: true });
    if (!cleanupRegistered) {
      cleanupRegistered = true;
      process.once("exit", () => rmSync(DIR, { recursive: true, force: true }));
    }
    this.path = join(DIR, `${randomUUID()}.jsonl`);
    this.fd = openSync(this.path, "w+");
    this.reconciler = new ReconcileAccumulator(rule, lineTotals);
  }

  private index(map: Map<string, IntList>, key: string): void {
    let list = map.get(key);
    if (!list) map.set(key, (list = new IntList()));
    list.push(this.count);
  }

  add(line: InvoiceLineRecord): void {
    this.constant ??= { connectionId: line.connectionId, vendor: line.vendor, period: line.period, partnerKey: line.partnerKey };
    const row: Row = [
      line.id, line.companyKey, line.companyName, line.companyExternalIds.map((e) => [e.kind, e.value]), line.productKey, line.description,
      line.quantity.toFixed(), line.unit, dec(line.unitPrice), dec(line.amount), dec(line.tax), dec(line.total), line.currency,
      line.chargeStart, line.chargeEnd, line.chargeType, line.subscriptionId, line.locationId,
      line.attributes.map((a) => [a.name, a.value]), line.source.documentId, line.source.rowRef,
    ];
    const text = `${JSON.stringify(row)}\n`;
    if (this.count + 1 >= this.offsets.length) {
      const next = new Float64Array(this.offsets.length * 2);
      next.set(this.offsets);
      this.offsets = next;
    }
    this.offsets[this.count] = this.bytes;
    this.bytes += Buffer.byteLength(text);
    this.index(this.indexes.company, line.companyKey ?? "");
    if (!this.companyIds.has(line.companyKey ?? "")) this.companyIds.set(line.companyKey ?? "", line.companyExternalIds);
    this.index(this.indexes.product, line.productKey);
    this.index(this.indexes.charge, line.chargeType);
    this.aggregator.add(line);
    this.reconciler.add(line);
    this.count++;
    this.pending.push(text);
    this.pendingBytes += text.length;
    if (this.pendingBytes > 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    writeSync(this.fd, this.pending.join(""));
    this.pending = [];
    this.pendingBytes = 0;
  }

  finish(reported: ReportedTotals): StoredLines {
    this.flush();
    this.offsets[this.count] = this.bytes;
    const { fd, path, count, offsets, aggregator, constant, companyIds } = this;
    const reconciliation = this.reconciler.result(reported);
    const lists = {
      company: new Map([...this.indexes.company].map(([k, v]) => [k, v.view()])),
      product: new Map([...this.indexes.product].map(([k, v]) => [k, v.view()])),
      charge: new Map([...this.indexes.charge].map(([k, v]) => [k, v.view()])),
    };
    const readRange = (from: number, to: number): string[] => {
      const start = offsets[from];
      const buf = Buffer.alloc(offsets[to] - start);
      readSync(fd, buf, 0, buf.length, start);
      return buf.toString("utf8").split("\n").slice(0, to - from);
    };
    const toLine = (text: string): InvoiceLineRecord => {
      const r = JSON.parse(text) as Row;
      return {
        ...constant!,
        id: r[0], companyKey: r[1], companyName: r[2], companyExternalIds: r[3].map(([kind, value]) => ({ kind, value })),
        productKey: r[4], description: r[5], quantity: new Dec(r[6]), unit: r[7], unitPrice: fromDec(r[8]), amount: fromDec(r[9]),
        tax: fromDec(r[10]), total: fromDec(r[11]), currency: r[12], chargeStart: r[13], chargeEnd: r[14], chargeType: r[15],
        subscriptionId: r[16], locationId: r[17], attributes: r[18].map(([name, value]) => ({ name, value })), source: { documentId: r[19], rowRef: r[20] },
      };
    };
    const positions = (filter: LineFilter): Int32Array | null => {
      const chosen: Int32Array[] = [];
      const empty = new Int32Array(0);
      if (filter.companyKey) chosen.push(lists.company.get(filter.companyKey) ?? empty);
      if (filter.productKey) chosen.push(lists.product.get(filter.productKey) ?? empty);
      if (filter.externalIds) {
        const wanted = filter.externalIds;
        const keys = [...companyIds].filter(([, ids]) => ids.some((e) => wanted.some((w) => w.kind === e.kind && w.value === e.value))).map(([k]) => k);
        const merged = keys.flatMap((k) => [...(lists.company.get(k) ?? empty)]).sort((a, b) => a - b);
        chosen.push(Int32Array.from(merged));
      }
      if (filter.chargeType) chosen.push(lists.charge.get(filter.chargeType) ?? empty);
      return chosen.length ? intersect(chosen) : null;
    };
    let disposed = false;
    return {
      size: count,
      reconciliation,
      aggregates: (by: AggregateDimension) => aggregator.result(by),
      async count(filter: LineFilter = {}) {
        return positions(filter)?.length ?? count;
      },
      async page(filter: LineFilter, offset: number, limit: number) {
        const picked = positions(filter);
        if (!picked) {
          const to = Math.min(count, offset + limit);
          return offset >= to ? [] : readRange(offset, to).map(toLine);
        }
        return Array.from(picked.subarray(offset, offset + limit), (i) => toLine(readRange(i, i + 1)[0]));
      },
      dispose() {
        if (disposed) return;
        disposed = true;
        closeSync(fd);
        unlinkSync(path);
      },
    };
  }
}
