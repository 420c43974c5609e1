import type { GraphQLError } from "graphql";
import type { Logger } from "pino";
import type { AuditLog } from "../audit/audit-log";
import type { ResponseCache } from "../cache/store";
import type { DirectorySnapshot } from "../customers/directory";
import type { CustomerDirectory } from "../customers/service";
import type { CallContext, CallerScope } from "../domain/connector";
import type { PriceBook } from "../pricing/price-book";
import type { RequestSpan } from "../tracing";
import type { Loaders } from "./loaders";
import type { ConnectorRegistry } from "./registry";

/** An error that degrades part of a list without nulling it: appended to the response's errors. */
export interface PartialError {
  error: GraphQLError;
  path: ReadonlyArray<string | number>;
}

/** What every resolver gets. Built per request in gateway.ts. */
export interface GatewayContext {
  requestId: string;
  scope: CallerScope;
  call: CallContext;
  registry: ConnectorRegistry;
  loaders: Loaders;
  logger: Logger;
  now: () => number;
  partialErrors: PartialError[];
  /** limits.maxPageSize: the largest `first` a request may ask for. */
  maxPageSize: number;
  /** The shared store (records such as marketplace events). */
  cache: ResponseCache;
  /** Mutations, who sent them and how they ended (Query.auditLog). */
  audit: AuditLog;
  /**
   * The customer directory as this request sees it (customers/directory.ts), taken when it starts; a
   * directory mutation replaces it with the snapshot after its edit.
   */
  directory: DirectorySnapshot;
  /** Wholesale prices and resale rules (config `priceBook`), built once at start. */
  priceBook: PriceBook;
  /** The persisted directory: where edits go (link, unlink, rename, create). */
  customerDirectory: CustomerDirectory;
  /** The request's span, when tracing is on (graphql/plugins/tracing.ts fills it in). */
  span?: RequestSpan;
}
