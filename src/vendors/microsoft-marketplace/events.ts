/**
 * Webhook events as the gateway handled them, kept in the shared store (so every instance sees them,
 * and a repeated delivery is recognised wherever it lands).
 */
import type { ResponseCache } from "../../cache/store";

/** RECEIVED: answered, still being confirmed and acted on in the background. */
export type EventOutcome = "RECEIVED" | "ACCEPTED" | "REJECTED" | "NOTED" | "IGNORED_UNCONFIRMED" | "FAILED";

export interface MarketplaceEventRecord {
  /** The operation id: the idempotency key of the event. */
  operationId: string;
  subscriptionId: string;
  action: string;
  receivedAt: string;
  outcome: EventOutcome;
  detail: string;
  deliveries: number;
}

const KEEP_MS = 30 * 86_400_000;
const MAX_EVENTS = 500;
const eventKey = (connectionId: string, operationId: string) => `mkt-event|${connectionId}|${operationId}`;
const indexKey = (connectionId: string) => `mkt-events|${connectionId}`;

export async function findEvent(store: ResponseCache, connectionId: string, operationId: string): Promise<MarketplaceEventRecord | undefined> {
  return store.getRecord<MarketplaceEventRecord>(eventKey(connectionId, operationId));
}

export async function saveEvent(store: ResponseCache, connectionId: string, event: MarketplaceEventRecord): Promise<void> {
  const isNew = !(await findEvent(store, connectionId, event.operationId));
  await store.setRecord(eventKey(connectionId, event.operationId), event, KEEP_MS);
  if (isNew) {
    const index = (await store.getRecord<string[]>(indexKey(connectionId))) ?? [];
    index.push(event.operationId);
    await store.setRecord(indexKey(connectionId), index.slice(-MAX_EVENTS), KEEP_MS);
  }
}

export async function listEvents(store: ResponseCache, connectionId: string): Promise<MarketplaceEventRecord[]> {
  const index = (await store.getRecord<string[]>(indexKey(connectionId))) ?? [];
  const events = await Promise.all(index.map((id) => findEvent(store, connectionId, id)));
  return events.filter((e): e is MarketplaceEventRecord => e !== undefined).reverse();
}
