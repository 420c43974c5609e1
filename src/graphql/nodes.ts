/**
 * Domain records as the GraphQL layer passes them to field resolvers: the record plus its global id
 * and provenance. Pure constructors; no vendor calls.
 */
import type {
  CompanyRecord,
  InvoiceLineRecord,
  PartnerRecord,
  ProductRecord,
  Provenance,
  StatementRecord,
  SubscriptionRecord,
  UsageRecord,
  Vendor,
} from "../domain/model";
import { formatBillingPeriod } from "../domain/period";
import { aggregateLines, type AggregateDimension, type LineAggregate } from "../domain/aggregate";
import { ArrayLineSource, type LineSource } from "../domain/line-source";
import { reconcile, type Reconciliation } from "../domain/reconcile";
import { CurrencyTotalsAccumulator, type CurrencyTotals } from "../domain/currency-totals";
import { globalId } from "./ids";

export type PartnerNode = PartnerRecord & { id: string; source: Provenance | null };
export type CompanyNode = Omit<CompanyRecord, "usage"> & {
  id: string;
  /** Null when the company was met on an invoice line: its usage is then loaded on demand. */
  usage: UsageRecord[] | null;
  source: Provenance;
};
export type SubscriptionNode = SubscriptionRecord & { id: string; externalId: string; source: Provenance };
export type ProductNode = ProductRecord & { id: string; externalId: string };
export type UsageNode = UsageRecord & { connectionId: string; vendor: Vendor };
export type LineNode = Omit<InvoiceLineRecord, "source"> & {
  lineKey: string;
  sourceDocument: InvoiceLineRecord["source"];
  source: Provenance;
};
export type InvoiceNode = StatementRecord & {
  id: string;
  source: Provenance;
  reconciliation(): Reconciliation;
  aggregates(by: AggregateDimension): LineAggregate[];
  /** The lines' money per currency (every line with a currency, with or without an amount). */
  currencyTotals(): CurrencyTotals[];
  /** The lines, from memory or from the statement's compact store. */
  lineSource(): LineSource;
};

export function partnerNode(record: PartnerRecord, source: Provenance | null): PartnerNode {
  return { ...record, id: globalId("partner", record.connectionId, record.key), source };
}

export function companyNode(record: CompanyRecord, source: Provenance): CompanyNode {
  return { ...record, id: globalId("company", record.connectionId, record.partnerKey, record.key), source };
}

export function companyFromLine(line: LineNode): CompanyNode | null {
  if (line.companyKey === null) return null;
  return {
    connectionId: line.connectionId,
    vendor: line.vendor,
    partnerKey: line.partnerKey,
    key: line.companyKey,
    id: globalId("company", line.connectionId, line.partnerKey, line.companyKey),
    name: line.companyName,
    plan: null,
    externalIds: line.companyExternalIds,
    invitedUsers: null,
    maximumAllowedUsers: null,
    usage: null,
    source: line.source,
  };
}

export function subscriptionNode(record: SubscriptionRecord, source: Provenance): SubscriptionNode {
  return { ...record, id: globalId("subscription", record.connectionId, record.key), externalId: record.key, source };
}

/**
 * Nodes and figures derived from one record alone, kept as long as the record is. Records come from
 * the cache's decoded payloads, which are immutable and shared by every request of the same scope, so
 * a warm request reuses what the previous one derived instead of redoing it per line or per company.
 */
const productNodes = new WeakMap<ProductRecord, ProductNode>();
/**
 * Keyed by a statement's lines (some connectors wrap the same cached lines in a new record per request):
 * the totals depend on the lines alone; the reconciliation also on what was reported and the rules,
 * so it is reused only while those are the same.
 */
interface StatementFigures {
  totals?: CurrencyTotals[];
  reconciled?: { reported: StatementRecord["reported"]; rule: StatementRecord["lineAmountRule"]; lineTotals: boolean; result: Reconciliation };
}
const statementFigures = new WeakMap<readonly unknown[], StatementFigures>();
const reportsNothing = (r: StatementRecord["reported"]) => r.byCurrency.length === 0 && r.groups.length === 0;

function reconciledOf(statement: StatementRecord, figures: StatementFigures): Reconciliation {
  const rule = statement.lineAmountRule;
  const lineTotals = statement.lineTotals ?? false;
  const r = figures.reconciled;
  if (r && r.rule === rule && r.lineTotals === lineTotals && (r.reported === statement.reported || (reportsNothing(r.reported) && reportsNothing(statement.reported)))) return r.result;
  const result = reconcile(statement);
  figures.reconciled = { reported: statement.reported, rule, lineTotals, result };
  return result;
}

export function productNode(record: ProductRecord): ProductNode {
  let node = productNodes.get(record);
  if (!node) productNodes.set(record, (node = { ...record, id: globalId("product", record.connectionId, record.key), externalId: record.key }));
  return node;
}

export function usageNode(record: UsageRecord, connectionId: string, vendor: Vendor): UsageNode {
  return { ...record, connectionId, vendor };
}

export function lineNode(record: InvoiceLineRecord, source: Provenance): LineNode {
  const { source: document, ...rest } = record;
  return { ...rest, lineKey: record.id, id: globalId("line", record.connectionId, record.id), sourceDocument: document, source };
}

/** Per-currency sums of groups that partition the lines (the charge-type aggregates of a stored statement). */
function mergeCurrencyTotals(groups: LineAggregate[]): CurrencyTotals[] {
  const merged = new Map<string, CurrencyTotals>();
  const add = (a: CurrencyTotals["amount"], b: CurrencyTotals["amount"]) => (a === null ? b : b === null ? a : a.plus(b));
  for (const g of groups) {
    for (const t of g.byCurrency) {
      const m = merged.get(t.currency);
      merged.set(t.currency, m ? { currency: t.currency, lines: m.lines + t.lines, amount: add(m.amount, t.amount), tax: add(m.tax, t.tax), total: add(m.total, t.total) } : { ...t });
    }
  }
  return [...merged.values()];
}

export function invoiceNode(statement: StatementRecord, source: Provenance): InvoiceNode {
  const store = statement.store;
  // A stored statement's `lines` is empty (its store derives and keeps its own figures): not a key.
  let memo = store ? {} : statementFigures.get(statement.lines);
  if (!memo) statementFigures.set(statement.lines, (memo = {}));
  const figures = memo;
  let reconciliation: Reconciliation | undefined;
  return {
    ...statement,
    id: globalId("invoice", statement.connectionId, statement.partnerKey, formatBillingPeriod(statement.period)),
    source,
    reconciliation: () => (reconciliation ??= store ? store.reconciliation : reconciledOf(statement, figures)),
    aggregates: (by) => (store ? store.aggregates(by) : aggregateLines(statement.lines, by)),
    currencyTotals: () =>
      (figures.totals ??= store
        ? mergeCurrencyTotals(store.aggregates("CHARGE_TYPE"))
        : (() => {
            const acc = new CurrencyTotalsAccumulator();
            for (const l of statement.lines) acc.add(l.currency, l.amount, l.tax, l.total);
            return acc.result();
          })()),
    lineSource: () => store ?? new ArrayLineSource(statement.lines),
  };
}
