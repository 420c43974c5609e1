/**
 * Streaming gzip JSON-lines → a line store, and stored lines → invoice lines. Keys are matched whatever
 * their casing. Numbers become exact decimals: a line whose text holds no numeric literal of more than 15
 * significant digits is parsed with JSON.parse, whose doubles then print back to exactly the literal's
 * decimal value (15 digits always survive a double); any other line goes through lossless-json. While
 * streaming, only the few facts the store adds up are read from each line; the full record is built
 * when a page asks for the line. A malformed line is reported with its blob and line number; a
 * truncated gzip stream is reported, never read as whole.
 */
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { isLosslessNumber, parse as losslessParse } from "lossless-json";
import type { Decimal } from "decimal.js";
import { LineStoreWriter, type LineCodec, type LineFacts, type LinePart, type LineStoreResult } from "../../cache/line-store";
import type { ExactInput } from "../../domain/exact-sum";
import { decimalFromText } from "../../domain/money";
import type { ConnectionInfo, ExternalId, InvoiceLineRecord } from "../../domain/model";
import type { BillingPeriod } from "../../domain/period";

/** Any run of 16 digits-or-dots: every numeric literal with 16 or more significant digits has one (one linear scan). */
const LONG_NUMBER = /[\d.]{16,}/;

export function parseLine(text: string): Record<string, unknown> {
  return (LONG_NUMBER.test(text) ? losslessParse(text) : JSON.parse(text)) as Record<string, unknown>;
}

/** Lower-cased keys, remembered: the same few dozen keys recur on every line. */
const lowerKeys = new Map<string, string>();
function lower(key: string): string {
  let l = lowerKeys.get(key);
  if (l === undefined) {
    l = key.toLowerCase();
    if (lowerKeys.size < 10_000) lowerKeys.set(key, l);
  }
  return l;
}

/**
 * A field by its lower-case name, whatever casing the line uses (`BenefitID` / `BenefitId`): the key
 * last seen for each name is tried first, so lines of one casing cost one lookup per field.
 */
const actualKey = new Map<string, string>();
function field(obj: Record<string, unknown>, name: string): unknown {
  const known = actualKey.get(name);
  if (known !== undefined && known in obj) return obj[known];
  const k = keyOf(obj, name);
  if (k === undefined) return undefined;
  actualKey.set(name, k);
  return obj[k];
}

/** The key of `obj` whose lower-case form is `name`, if any. */
function keyOf(obj: Record<string, unknown>, name: string): string | undefined {
  for (const k in obj) if (lower(k) === name) return k;
  return undefined;
}

/** Vendor fields with no place in the model, built only when asked for (most readers never do). */
function extraAttributes(raw: Record<string, unknown>): Array<{ name: string; value: string }> {
  const attributes: Array<{ name: string; value: string }> = [];
  for (const [k, v] of Object.entries(raw)) {
    if (MODEL_KEYS.has(lower(k)) || v === null || v === "") continue;
    attributes.push({ name: k, value: isLosslessNumber(v) ? v.value : typeof v === "string" ? v : JSON.stringify(v) });
  }
  return attributes;
}

function dec(v: unknown): Decimal | null {
  if (v === null || v === undefined || v === "") return null;
  if (typeof v === "number") return decimalFromText(String(v));
  if (isLosslessNumber(v)) return decimalFromText(v.value);
  if (typeof v === "string") return decimalFromText(v);
  throw new Error(`not a number: ${JSON.stringify(v).slice(0, 30)}`);
}

function str(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (isLosslessNumber(v)) return v.value;
  const s = String(v);
  return s === "" ? null : s;
}

/** Seed timestamps are malformed (`2022-06-1T10-01-03.4Z`): take the date part leniently. */
function day(v: unknown): string | null {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})/.exec(String(v ?? ""));
  return m ? `${m[1]}-${m[2].padStart(2, "0")}-${m[3].padStart(2, "0")}` : null;
}

const MODEL_KEYS = new Set([
  "customerid", "customername", "customerdomainname", "customercountry", "productid", "skuid", "productname",
  "chargetype", "effectiveunitprice", "billablequantity", "subtotal", "taxtotal", "total", "currency",
  "chargestartdate", "chargeenddate", "subscriptionid", "unittype", "pricingcurrency", "pctobcexchangerate", "pctobcexchangeratedate",
]);

/** A line's money must say its currency: an amount with none would be added to some other currency's. */
function checkCurrency(currency: string | null, ...amounts: unknown[]): void {
  if (currency === null && amounts.some((a) => a !== null)) throw new Error("amounts without a Currency");
}

export function toInvoiceLine(
  info: ConnectionInfo,
  partnerKey: string,
  period: BillingPeriod,
  documentId: string,
  rowRef: string,
  raw: Record<string, unknown>,
): InvoiceLineRecord {
  const f = { get: (name: string) => field(raw, name) };
  const customerId = str(f.get("customerid"));
  const externalIds = customerId ? [{ kind: "microsoft.customerId", value: customerId }] : [];
  const domain = str(f.get("customerdomainname"));
  if (domain) externalIds.push({ kind: "microsoft.domain", value: domain });
  const quantity = dec(f.get("billablequantity")) ?? dec(f.get("quantity"));
  if (quantity === null) throw new Error("no BillableQuantity or Quantity");
  const currency = str(f.get("currency"));
  const amount = dec(f.get("subtotal"));
  const tax = dec(f.get("taxtotal"));
  const total = dec(f.get("total"));
  checkCurrency(currency, amount, tax, total);
  // Unit prices are in the pricing currency; Subtotal, TaxTotal and Total in the billing currency (Currency).
  const pricingCurrency = str(f.get("pricingcurrency")) ?? currency;
  const rate = dec(f.get("pctobcexchangerate"));
  const line: InvoiceLineRecord = {
    id: `${info.id}|${documentId}|${rowRef}`,
    connectionId: info.id,
    vendor: info.vendor,
    period,
    partnerKey,
    companyKey: customerId,
    companyName: str(f.get("customername")),
    companyExternalIds: externalIds,
    productKey: `${str(f.get("productid")) ?? "?"}:${str(f.get("skuid")) ?? "?"}`,
    description: str(f.get("productname")),
    quantity,
    unit: str(f.get("unittype")) ?? "license",
    unitPrice: dec(f.get("effectiveunitprice")),
    unitPriceCurrency: pricingCurrency,
    exchangeRate: rate !== null && pricingCurrency !== null && currency !== null ? { from: pricingCurrency, to: currency, rate, date: day(f.get("pctobcexchangeratedate")) } : null,
    amount,
    tax,
    total,
    currency,
    chargeStart: day(f.get("chargestartdate")) ?? "",
    chargeEnd: day(f.get("chargeenddate")) ?? "",
    chargeType: str(f.get("chargetype")) ?? "unknown",
    subscriptionId: str(f.get("subscriptionid")),
    locationId: null,
    attributes: [],
    source: { documentId, rowRef },
  };
  let attributes: InvoiceLineRecord["attributes"] | undefined;
  Object.defineProperty(line, "attributes", { enumerable: true, get: () => (attributes ??= extraAttributes(raw)) });
  return line;
}

/**
 * True when a numeric literal of 16 or more digits-or-dots follows a colon (`"Total": 1.0000000000000001`).
 * The facts read while streaming are top-level values, each right after its key's colon, so a line
 * without one gives them exactly through JSON.parse. Same answer as /:\s*-?[\d.]{16}/, in half its time
 * (it jumps from colon to colon); lines are decoded with parseLine when paged.
 */
export function hasLongValue(text: string): boolean {
  for (let i = text.indexOf(":"); i !== -1; i = text.indexOf(":", i + 1)) {
    let j = i + 1;
    let c = text.charCodeAt(j);
    if (c === 34) continue; // a string
    while (c === 32 || c === 9 || c === 10 || c === 13) c = text.charCodeAt(++j);
    if (c === 45) c = text.charCodeAt(++j);
    const start = j;
    while ((c >= 48 && c <= 57) || c === 46) c = text.charCodeAt(++j);
    if (j - start >= 16) return true;
  }
  return false;
}

/** A number field: a JS number (exact, see hasLongValue), a Decimal from a longer literal or a string, or null. */
function num(v: unknown): ExactInput | null {
  if (typeof v === "number") return v;
  if (v === null || v === undefined || v === "") return null;
  if (isLosslessNumber(v)) return decimalFromText(v.value);
  if (typeof v === "string") return decimalFromText(v);
  throw new Error(`not a number: ${JSON.stringify(v).slice(0, 30)}`);
}

/** The fields read while streaming, in the order of `FACT_FIELDS`. */
const FACT_FIELDS = ["billablequantity", "quantity", "effectiveunitprice", "subtotal", "taxtotal", "total", "customerid", "customername", "productid", "skuid", "productname", "chargetype", "currency", "customerdomainname"] as const;
const enum F {
  BillableQuantity, Quantity, EffectiveUnitPrice, Subtotal, TaxTotal, Total, CustomerId, CustomerName, ProductId, SkuId, ProductName, ChargeType, Currency, CustomerDomainName,
}

/**
 * What the line store needs of a line, read straight off the parsed object; one instance per blob,
 * refilled for each line. Each field's key as the blob spells it is remembered, so a line costs one
 * property read per field. It accepts exactly the lines `toInvoiceLine` accepts, so a stored line
 * always decodes. Names and vendor ids are read only when the store asks (a company's first line).
 */
export class PartnerLineFacts implements LineFacts {
  companyKey: string | null = null;
  productKey = "";
  chargeType = "";
  currency: string | null = null;
  quantity: ExactInput = 0;
  amount: ExactInput | null = null;
  tax: ExactInput | null = null;
  total: ExactInput | null = null;
  private raw: Record<string, unknown> = {};
  private readonly keys: string[] = FACT_FIELDS.map((f) => f);

  private get(i: F): unknown {
    const v = this.raw[this.keys[i]];
    if (v !== undefined) return v;
    const k = keyOf(this.raw, FACT_FIELDS[i]);
    if (k === undefined) return undefined;
    this.keys[i] = k;
    return this.raw[k];
  }

  load(raw: Record<string, unknown>): this {
    this.raw = raw;
    const quantity = num(this.get(F.BillableQuantity)) ?? num(this.get(F.Quantity));
    if (quantity === null) throw new Error("no BillableQuantity or Quantity");
    num(this.get(F.EffectiveUnitPrice));
    this.quantity = quantity;
    this.amount = num(this.get(F.Subtotal));
    this.tax = num(this.get(F.TaxTotal));
    this.total = num(this.get(F.Total));
    this.companyKey = str(this.get(F.CustomerId));
    this.productKey = `${str(this.get(F.ProductId)) ?? "?"}:${str(this.get(F.SkuId)) ?? "?"}`;
    this.chargeType = str(this.get(F.ChargeType)) ?? "unknown";
    this.currency = str(this.get(F.Currency));
    checkCurrency(this.currency, this.amount, this.tax, this.total);
    return this;
  }

  get companyName(): string | null {
    return str(this.get(F.CustomerName));
  }

  get description(): string | null {
    return str(this.get(F.ProductName));
  }

  companyExternalIds(): ExternalId[] {
    const ids = this.companyKey ? [{ kind: "microsoft.customerId", value: this.companyKey }] : [];
    const domain = str(this.get(F.CustomerDomainName));
    if (domain) ids.push({ kind: "microsoft.domain", value: domain });
    return ids;
  }
}

/** How stored lines of one export become invoice lines again. */
export function partnerLineCodec(info: ConnectionInfo, partnerKey: string, period: BillingPeriod, documentId: string): LineCodec {
  return {
    decode: (text, part, lineNumber) => toInvoiceLine(info, partnerKey, period, documentId, `${part}#${lineNumber}`, parseLine(text)),
    lineId: (part, lineNumber) => `${info.id}|${documentId}|${part}#${lineNumber}`,
  };
}

/**
 * Gunzips a blob and hands its lines to the store: the bytes as they are (whole lines), and each line's
 * facts. Lines are split on bytes (a newline byte never occurs inside a UTF-8 character), so a line's
 * place in the file is known without re-encoding it. Resolves with the lines read and the problems met:
 * a malformed line is reported with its blob and line number; a truncated gzip stream is reported,
 * never read as whole.
 */
export async function ingestBlob(blobName: string, body: Readable, part: LinePart): Promise<{ lines: number; problems: string[] }> {
  const problems: string[] = [];
  const facts = new PartnerLineFacts();
  let lineNumber = 0;
  const gunzip = gunzipStream();
  body.on("error", (err) => gunzip.destroy(err));
  // The store keeps the blob as it came; the gunzipped text is only counted, and restored when paged.
  body.on("data", (chunk: Buffer) => part.keep(chunk));
  const text = body.pipe(gunzip) as AsyncIterable<Buffer>;
  /** Bytes [start, end) of `bytes`, which sit at `textOffset` in the part's text. */
  const handle = (bytes: Buffer, start: number, end: number, textOffset: number) => {
    lineNumber++;
    if (end > start && bytes[end - 1] === 13) end--;
    if (end === start) return;
    const text = bytes.toString("utf8", start, end);
    let obj: Record<string, unknown>;
    try {
      obj = (hasLongValue(text) ? losslessParse(text) : JSON.parse(text)) as Record<string, unknown>;
      if (obj === null || typeof obj !== "object" || Array.isArray(obj)) throw new Error("not an object");
    } catch {
      if (text.trim() !== "") problems.push(`${blobName} line ${lineNumber}: not a JSON object`);
      return;
    }
    try {
      part.line(textOffset + start, end - start, lineNumber, facts.load(obj));
    } catch (err) {
      problems.push(`${blobName} line ${lineNumber}: ${(err as Error).message}`);
    }
  };
  /** Bytes after the last newline so far: the start of a line that continues in the next chunk. */
  let carry: Buffer | null = null;
  try {
    for await (const chunk of text) {
      const last = chunk.lastIndexOf(10);
      if (last === -1) {
        carry = carry ? Buffer.concat([carry, chunk]) : chunk;
        continue;
      }
      let from = 0;
      if (carry) {
        const first = chunk.indexOf(10);
        const joined = Buffer.concat([carry, chunk.subarray(0, first + 1)]);
        handle(joined, 0, joined.length - 1, part.text(joined.length));
        from = first + 1;
      }
      if (from <= last) {
        const region = chunk.subarray(from, last + 1);
        const at = part.text(region.length);
        for (let start = 0, nl = region.indexOf(10); nl !== -1; start = nl + 1, nl = region.indexOf(10, start)) handle(region, start, nl, at);
      }
      carry = last + 1 < chunk.length ? chunk.subarray(last + 1) : null;
      if (part.backlogged) await part.drain();
    }
    if (carry) handle(carry, 0, carry.length, part.text(carry.length));
  } catch {
    problems.push(`${blobName}: the gzip stream is truncated or corrupt after ${lineNumber} line(s)`);
  }
  return { lines: lineNumber, problems };
}

/**
 * Gunzip output chunk: 256 KiB instead of zlib's 16 KiB. A blob inflates to ~25 times its size, and each
 * chunk costs a round trip to the thread pool and through the stream: with 16 KiB chunks that overhead,
 * not inflating, was most of gunzip's time (2.6 s against 0.5 s for 1.2 GB of text, measured here).
 */
export const GUNZIP_CHUNK = 256 * 1024;

/** The gunzip the reader streams blobs through, and the store restores them with. */
const gunzipStream = () => createGunzip({ chunkSize: GUNZIP_CHUNK });

export interface InvoiceBlob {
  name: string;
  open(): Promise<Readable>;
}

/**
 * Reads an export's blobs, a few at a time, into one line store: the connector's whole path from
 * blob bodies to lines, totals, aggregates and indexes (the benchmark runs this same function).
 */
export async function readInvoiceBlobs(
  blobs: InvoiceBlob[],
  options: { codec: LineCodec; memoryLimit: number; concurrency: number },
): Promise<LineStoreResult & { problems: string[] }> {
  const writer = new LineStoreWriter({ codec: options.codec, inflate: gunzipStream, lineTotals: true, memoryLimit: options.memoryLimit });
  const parts = blobs.map((b) => writer.part(b.name));
  const problems: string[][] = new Array(blobs.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < blobs.length; i = next++) {
      problems[i] = (await ingestBlob(blobs[i].name, await blobs[i].open(), parts[i])).problems;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, blobs.length)) }, worker));
  } catch (err) {
    await writer.abandon();
    throw err;
  }
  return { ...(await writer.finish()), problems: problems.flat() };
}
