/**
 * Streaming gzip JSON-lines → invoice lines. Keys are matched whatever their casing. Numbers become
 * exact decimals: a line whose text holds no numeric literal of more than 15 significant digits is
 * parsed with JSON.parse, whose doubles then print back to exactly the literal's decimal value (15
 * digits always survive a double); any other line goes through lossless-json. A malformed line is
 * reported with its blob and line number; a truncated gzip stream is reported, never read as whole.
 */
import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { createGunzip } from "node:zlib";
import { isLosslessNumber, parse as losslessParse } from "lossless-json";
import type { Decimal } from "decimal.js";
import { decimalFromText } from "../../domain/money";
import type { ConnectionInfo, InvoiceLineRecord } from "../../domain/model";
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
  for (const k in obj) {
    if (lower(k) === name) {
      actualKey.set(name, k);
      return obj[k];
    }
  }
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
  "chargestartdate", "chargeenddate", "subscriptionid", "unittype",
]);

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
    amount: dec(f.get("subtotal")),
    tax: dec(f.get("taxtotal")),
    total: dec(f.get("total")),
    currency: str(f.get("currency")),
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

/** Gunzips a blob and hands each line's object to onLine; resolves with the lines read and the problems met. */
export async function streamJsonLines(
  blobName: string,
  body: Readable,
  onLine: (obj: Record<string, unknown>, lineNumber: number) => void,
): Promise<{ lines: number; problems: string[] }> {
  const problems: string[] = [];
  let lineNumber = 0;
  let rest = "";
  const gunzip = createGunzip();
  // A chunk may end inside a multi-byte character: decode across chunks.
  const decoder = new StringDecoder("utf8");
  body.on("error", (err) => gunzip.destroy(err));
  const handle = (text: string) => {
    lineNumber++;
    if (text.trim() === "") return;
    let obj: Record<string, unknown>;
    try {
      obj = parseLine(text);
    } catch {
      problems.push(`${blobName} line ${lineNumber}: not a JSON object`);
      return;
    }
    try {
      onLine(obj, lineNumber);
    } catch (err) {
      problems.push(`${blobName} line ${lineNumber}: ${(err as Error).message}`);
    }
  };
  try {
    for await (const chunk of body.pipe(gunzip) as AsyncIterable<Buffer>) {
      const text = rest + decoder.write(chunk);
      const parts = text.split("\n");
      rest = parts.pop() ?? "";
      for (const part of parts) handle(part);
    }
    rest += decoder.end();
    if (rest !== "") handle(rest);
  } catch {
    problems.push(`${blobName}: the gzip stream is truncated or corrupt after ${lineNumber} line(s)`);
  }
  return { lines: lineNumber, problems };
}
