/**
 * The line store behind large Partner Center invoices: blobs streamed into it (several at a time, in
 * small chunks, so lines straddle chunks and parts interleave) must give exactly what the same lines
 * give in memory: the lines in the same order, the aggregates, the totals, the reconciliation and the
 * filtered pages. The blobs here are built in memory from the simulator's generator plus planted
 * oddities; the HTTP path is covered by the connector's tests.
 */
import { Readable } from "node:stream";
import { setImmediate as tick } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import { aggregateLines, type AggregateDimension } from "../../src/domain/aggregate";
import type { ConnectionInfo, InvoiceLineRecord } from "../../src/domain/model";
import { Dec, sum } from "../../src/domain/money";
import { reconcile } from "../../src/domain/reconcile";
import { billingCustomers, invoiceLines } from "../../src/vendors/microsoft-partner-billing/simulator/fixtures";
import { hasLongValue, partnerLineCodec, readInvoiceBlobs } from "../../src/vendors/microsoft-partner-billing/lines";

const info: ConnectionInfo = { id: "pcb", vendor: "MICROSOFT", api: "microsoft-partner-billing", name: null };
const period = { year: 2026, month: 10 };
const codec = partnerLineCodec(info, "partner", period, "microsoft-invoice:G1");

/** Three blobs of generated lines, the second carrying every oddity the reader must survive. */
function blobTexts(): string[] {
  const spec = { invoiceId: "G1", partnerId: "p-1", periodStart: "2026-10-01", lines: 600, customers: billingCustomers(12), attributeSet: "full" as const };
  const all = [...invoiceLines(spec)];
  const text = (o: Record<string, unknown>) => JSON.stringify(o);
  const odd = { ...all[260] };
  const lower = Object.fromEntries(Object.entries(all[261]).map(([k, v]) => [k.toLowerCase(), v]));
  const stringNumbers = { ...all[262], Subtotal: "12.50", TaxTotal: "1.03", Total: "13.53", BillableQuantity: "2" };
  const wrongTotal = { ...all[263], Total: Number(all[263].Total) + 0.01 };
  const huge = { ...all[264], Notes: "x".repeat(40_000) };
  const unicode = { ...all[265], CustomerName: "Müller & Söhne — 東京 株式会社", ProductName: "Teams Phone — Überall 📞" };
  const second = [
    ...all.slice(250, 260).map(text),
    // A literal longer than a double holds, in a fact the store adds up: the sums must keep it.
    text({ ...odd, Subtotal: 0, TaxTotal: 0, Total: 0 }).replace('"Subtotal":0', '"Subtotal":1.0000000000000001').replace('"Total":0', '"Total":1.0000000000000001'),
    text(lower),
    text(stringNumbers),
    "{ this is not json",
    "",
    text(wrongTotal),
    `${text(huge)}\r`,
    text(unicode),
    ...all.slice(266, 500).map(text),
  ];
  return [all.slice(0, 250).map(text).join("\n"), second.join("\n"), `${all.slice(500).map(text).join("\n")}\n`];
}

/** A gzip body served in small pieces, yielding between them so concurrent blobs interleave. */
function body(gz: Buffer, piece: number): Readable {
  return Readable.from(
    (async function* () {
      for (let i = 0; i < gz.length; i += piece) {
        await tick();
        yield gz.subarray(i, i + piece);
      }
    })(),
  );
}

async function read(memoryLimit: number) {
  const gz = blobTexts().map((t) => gzipSync(t));
  const blobs = gz.map((g, i) => ({ name: `part-${i}.json.gz`, open: async () => body(g, [997, 4096, 50][i]) }));
  return readInvoiceBlobs(blobs, { codec, memoryLimit, concurrency: 3 });
}

/** A line with its decimals as text, for deep comparison. */
const plain = (l: InvoiceLineRecord) => JSON.parse(JSON.stringify(l)) as Record<string, unknown>;

describe("line store", () => {
  let memory: Awaited<ReturnType<typeof read>>;
  let stored: Awaited<ReturnType<typeof read>>;
  beforeAll(async () => {
    memory = await read(1_000_000);
    stored = await read(0);
  });
  afterAll(() => stored.store?.dispose());

  it("reads every good line, in blob order, and reports the bad one with its blob and line number", () => {
    expect(memory.store).toBeUndefined();
    expect(memory.lines).toHaveLength(600);
    expect(memory.problems).toEqual(["part-1.json.gz line 14: not a JSON object"]);
    expect(stored.problems).toEqual(memory.problems);
    const refs = memory.lines.map((l) => l.source.rowRef);
    expect(refs.slice(0, 2)).toEqual(["part-0.json.gz#1", "part-0.json.gz#2"]);
    expect(refs[250]).toBe("part-1.json.gz#1");
    expect(refs.at(-1)).toBe("part-2.json.gz#100");
  });

  it("keeps long literals, string numbers, any key casing and UTF-8 across chunks exactly", () => {
    const byRef = new Map(memory.lines.map((l) => [l.source.rowRef, l]));
    expect(byRef.get("part-1.json.gz#11")!.amount!.toFixed()).toBe("1.0000000000000001");
    expect(byRef.get("part-1.json.gz#12")!.companyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(byRef.get("part-1.json.gz#13")!.total!.toFixed()).toBe("13.53");
    expect(byRef.get("part-1.json.gz#17")!.attributes.find((a) => a.name === "Notes")!.value).toHaveLength(40_000);
    expect(byRef.get("part-1.json.gz#18")!.companyName).toBe("Müller & Söhne — 東京 株式会社");
    expect(byRef.get("part-1.json.gz#18")!.description).toBe("Teams Phone — Überall 📞");
  });

  it("pages the stored lines exactly as the in-memory ones, in the same order", async () => {
    const store = stored.store!;
    expect(stored.lines).toEqual([]);
    expect(store.size).toBe(600);
    expect((await store.page({}, 0, 1000)).map(plain)).toEqual(memory.lines.map(plain));
    expect((await store.page({}, 248, 5)).map((l) => l.id)).toEqual(memory.lines.slice(248, 253).map((l) => l.id));
    expect(await store.page({}, 600, 10)).toEqual([]);
  });

  it("adds up the same totals, aggregates and reconciliation while streaming", () => {
    const store = stored.store!;
    const text = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;
    expect(text(stored.reported)).toEqual(text(memory.reported));
    // One set of totals per currency, each the sum of that currency's line totals (two currencies are never added).
    const currencies = [...new Set(memory.lines.map((l) => l.currency!))];
    expect(memory.reported.byCurrency.map((c) => c.currency)).toEqual(currencies);
    for (const c of memory.reported.byCurrency) {
      expect(c.total!.toFixed()).toBe(sum(memory.lines.filter((l) => l.currency === c.currency).map((l) => l.total!)).toFixed());
    }
    for (const by of ["COMPANY", "PRODUCT", "CHARGE_TYPE"] as AggregateDimension[]) {
      expect(text(store.aggregates(by))).toEqual(text(aggregateLines(memory.lines, by)));
    }
    const expected = reconcile({
      connectionId: "pcb", vendor: "MICROSOFT", partnerKey: "partner", period, currency: "USD", documentId: "d",
      lines: memory.lines, reported: memory.reported, lineAmountRule: null, lineTotals: true, problems: [],
    });
    expect(expected.balanced).toBe(false);
    // The planted line, and the invoice total it puts off by the same cent.
    expect(expected.differences).toEqual([
      expect.objectContaining({ kind: "LINE_TOTAL", lineId: "pcb|microsoft-invoice:G1|part-1.json.gz#16" }),
      expect.objectContaining({ kind: "TOTAL", difference: new Dec("0.01") }),
    ]);
    expect(text(store.reconciliation)).toEqual(text(expected));
  });

  it("knows the companies its lines are for, with the names and ids of their first lines, without reading a line back", () => {
    const firstOf = new Map<string, { key: string; name: string | null; externalIds: unknown }>();
    for (const l of memory.lines) if (l.companyKey !== null && !firstOf.has(l.companyKey)) firstOf.set(l.companyKey, { key: l.companyKey, name: l.companyName, externalIds: l.companyExternalIds });
    expect(firstOf.size).toBeGreaterThan(1);
    const byKey = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);
    expect([...stored.store!.companies()].sort(byKey)).toEqual([...firstOf.values()].sort(byKey));
  });

  it("filters through its indexes like a scan of the lines", async () => {
    const store = stored.store!;
    const customer = memory.lines[3].companyKey!;
    const product = memory.lines[5].productKey;
    const cases = [
      { filter: { companyKey: customer }, match: (l: InvoiceLineRecord) => l.companyKey === customer },
      { filter: { companyKey: customer, chargeType: "cycleCharge" }, match: (l: InvoiceLineRecord) => l.companyKey === customer && l.chargeType === "cycleCharge" },
      { filter: { productKey: product, chargeType: "new" }, match: (l: InvoiceLineRecord) => l.productKey === product && l.chargeType === "new" },
      {
        filter: { externalIds: memory.lines[7].companyExternalIds.filter((e) => e.kind === "microsoft.domain") },
        match: (l: InvoiceLineRecord) => l.companyKey === memory.lines[7].companyKey,
      },
      { filter: { companyKey: "no-such-customer" }, match: () => false },
    ];
    for (const { filter, match } of cases) {
      const expected = memory.lines.filter(match);
      expect(await store.count(filter)).toBe(expected.length);
      expect((await store.page(filter, 2, 7)).map((l) => l.id)).toEqual(expected.slice(2, 9).map((l) => l.id));
    }
  });

  it("keeps the blobs as they came, and restores a blob's text once, when pages first need it", async () => {
    const texts = blobTexts();
    const gzipped = texts.reduce((n, t) => n + gzipSync(t).length, 0);
    const cold = (await read(0)).store!;
    try {
      // Totals, aggregates and the statement's currencies need no line read back: only the gzip is on disk.
      const json = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;
      expect(json(cold.reconciliation.linesTotals)).toEqual(json(stored.store!.reconciliation.linesTotals));
      expect(cold.aggregates("COMPANY").length).toBeGreaterThan(0);
      expect(cold.diskBytes).toBe(gzipped);
      await cold.page({}, 0, 10);
      expect(cold.diskBytes).toBe(gzipped + Buffer.byteLength(texts[0]));
      const customer = memory.lines[1].companyKey!;
      const [a, b, c] = await Promise.all([cold.page({}, 240, 20), cold.page({}, 245, 400), cold.page({ companyKey: customer }, 0, 1000)]);
      expect(a.map(plain)).toEqual(memory.lines.slice(240, 260).map(plain));
      expect(b.map(plain)).toEqual(memory.lines.slice(245, 600).map(plain));
      expect(c.map((l) => l.id)).toEqual(memory.lines.filter((l) => l.companyKey === customer).map((l) => l.id));
      expect((await cold.page({}, 0, 600)).map(plain)).toEqual(memory.lines.map(plain));
      // Pages asked at the same time share each blob's restore: every blob's text is on disk once.
      expect(cold.diskBytes).toBe(gzipped + texts.reduce((n, t) => n + Buffer.byteLength(t), 0));
    } finally {
      cold.dispose();
    }
  });

  it("forgets its file when disposed", async () => {
    const again = await read(0);
    again.store!.dispose();
    await expect(again.store!.page({}, 0, 1)).rejects.toThrow(/disposed/);
  });
});

describe("hasLongValue", () => {
  it("answers as /:\\s*-?[\\d.]{16}/ does, on random text", () => {
    const alphabet = ':"-. 0123456789a\t\n\r';
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    let positives = 0;
    for (let i = 0; i < 20_000; i++) {
      const text = Array.from({ length: Math.floor(rnd() * 60) }, () => (rnd() < 0.5 ? alphabet[Math.floor(rnd() * alphabet.length)] : "0123456789."[Math.floor(rnd() * 11)])).join("");
      const expected = /:\s*-?[\d.]{16}/.test(text);
      if (expected) positives++;
      expect([text, hasLongValue(text)]).toEqual([text, expected]);
    }
    expect(positives).toBeGreaterThan(100);
  });
});
