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

const LONG_NUMBER = /\d(?:\.?\d){15}/;

export function parseLine(text: string): Record<string, unknown> {
  return (LONG_NUMBER.test(text) ? losslessParse(text) : JSON.parse(text)) as Record<string, unknown>;
}

/** Keys folded to lower case: `BenefitID` and `BenefitId`, `customerId` and `CustomerId` are one field. */
function folded(obj: Record<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(obj)) out.set(k.toLowerCase(), v);
  return out;
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
  const f = folded(raw);
  const customerId = str(f.get("customerid"));
  const externalIds = customerId ? [{ kind: "microsoft.customerId", value: customerId }] : [];
  const domain = str(f.get("customerdomainname"));
  if (domain) externalIds.push({ kind: "microsoft.domain", value: domain });
  const attributes: Array<{ name: string; value: string }> = [];
  for (const [k, v] of Object.entries(raw)) {
    if (MODEL_KEYS.has(k.toLowerCase()) || v === null || v === "") continue;
    attributes.push({ name: k, value: isLosslessNumber(v) ? v.value : typeof v === "string" ? v : JSON.stringify(v) });
  }
  const quantity = dec(f.get("billablequantity")) ?? dec(f.get("quantity"));
  if (quantity === null) throw new Error("no BillableQuantity or Quantity");
  return {
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
    attributes,
    source: { documentId, rowRef },
  };
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
