/**
 * Query limits, checked before execution so an oversized request never reaches a vendor:
 * depth and aliases (GraphQL Armor's validation rules), tokens (graphql-js's parser `maxTokens`), and an
 * estimated cost (graphql-query-complexity) in which a field's children count once per item it can
 * return: `first` (or the default page size) for paged fields, an assumed list size for unpaged lists
 * of objects (a company's lines, a partner's usage). Every refusal is HTTP 400 with a code and
 * `extensions.limit` naming the limit.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { getNamedType, getNullableType, GraphQLError, isCompositeType, isListType, type ValidationContext, type ValidationRule } from "graphql";
import { getComplexity, simpleEstimator, type ComplexityEstimator } from "graphql-query-complexity";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./pagination";
import { coercedVariables } from "./variables";

/** Configuration `limits`: every field optional in the file; these defaults let every example run. */
export interface QueryLimits {
  /** Nesting of fields (fragments counted as they expand). */
  maxDepth: number;
  /** Aliased fields in one operation (each alias of a vendor-backed field can be another vendor read); 30 lets a client read a partner's companies by id in one request. */
  maxAliases: number;
  /** Lexical tokens in the document: the parser stops past this, before building the tree. */
  maxTokens: number;
  /** Estimated cost: 1 per field, children multiplied by the items their parent list can return. */
  maxCost: number;
  /** Items assumed for a list field without `first` (other than a connection's nodes and edges). */
  assumedListSize: number;
  /** Largest `first` accepted (a larger one is BAD_USER_INPUT). */
  maxPageSize: number;
  /** Largest POST body read (bytes); a larger one is 413. */
  maxBodyBytes: number;
}

export const DEFAULT_LIMITS: QueryLimits = {
  maxDepth: 10,
  maxAliases: 30,
  maxTokens: 5_000,
  maxCost: 1_000_000,
  assumedListSize: 10,
  maxPageSize: MAX_PAGE_SIZE,
  maxBodyBytes: 1024 * 1024,
};

export type LimitName = "depth" | "aliases" | "tokens" | "cost";

/** A request refused by a limit: a request error (400), not an execution error. */
export class QueryLimitError extends GraphQLError {
  constructor(code: string, limit: LimitName, maximum: number, message: string) {
    super(message, { extensions: { code, limit, maximum, http: { status: 400 } } });
    this.name = "QueryLimitError";
  }
}

/**
 * Armor's rules throw by default, which graphql-js's validate() would let escape as a 500; instead
 * each rejection is reported to the validation context (Apollo answers it 400, GRAPHQL_VALIDATION_FAILED,
 * keeping `limit` and `maximum`).
 */
function reportTo(limit: LimitName, maximum: number) {
  return (ctx: ValidationContext | null, err: GraphQLError) =>
    ctx?.reportError(new GraphQLError(err.message.replace(/^Syntax Error: /, ""), { extensions: { limit, maximum } }));
}

export function limitValidationRules(limits: QueryLimits): ValidationRule[] {
  return [
    maxDepthRule({ n: limits.maxDepth, propagateOnRejection: false, onReject: [reportTo("depth", limits.maxDepth)] }) as unknown as ValidationRule,
    maxAliasesRule({ n: limits.maxAliases, propagateOnRejection: false, onReject: [reportTo("aliases", limits.maxAliases)] }) as unknown as ValidationRule,
  ];
}

/** graphql-js's parse error when `maxTokens` is exceeded (graphql 16 says "more that N tokens"; "than" should it be fixed). */
export function isTokenLimitError(message: string): boolean {
  return /Document contains more th(?:at|an) \d+ tokens/.test(message);
}

/** The list multiplier: what the cost model adds to graphql-query-complexity's simple estimator. */
export function listEstimator(limits: QueryLimits): ComplexityEstimator {
  return ({ type, field, args, childComplexity }) => {
    if (field.args.some((a) => a.name === "first")) {
      const first = typeof args.first === "number" ? args.first : DEFAULT_PAGE_SIZE;
      return 1 + childComplexity * first;
    }
    // A connection's nodes/edges are the page its parent already multiplied by `first`.
    const returns = getNullableType(field.type);
    if (isListType(returns) && isCompositeType(getNamedType(returns)) && !type.name.endsWith("Connection")) {
      return 1 + childComplexity * limits.assumedListSize;
    }
    return undefined;
  };
}

/** The estimated cost of the operation, with its variables. */
export function operationCost(limits: QueryLimits, options: Omit<Parameters<typeof getComplexity>[0], "estimators">): number {
  return getComplexity({ ...options, estimators: [listEstimator(limits), simpleEstimator({ defaultComplexity: 1 })] });
}

/** Refuses an operation whose estimated cost is over `maxCost`, once its variables are known. */
export function gatewayPluginQueryCost(limits: QueryLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, schema, request }) {
          // Variables that do not coerce are execution's to refuse (400, before any resolver runs), as in input-check.ts.
          if (!operation || coercedVariables(schema, operation, request).errors) return;
          let cost: number;
          try {
            cost = operationCost(limits, { schema, query: document, variables: request.variables ?? {}, operationName: request.operationName ?? undefined });
          } catch (err) {
            // getComplexity's own node bound (maxQueryNodes): too large to estimate is too large to run.
            throw new QueryLimitError("QUERY_TOO_COMPLEX", "cost", limits.maxCost, err instanceof Error ? err.message : "Query too large to estimate");
          }
          if (cost > limits.maxCost) {
            throw new QueryLimitError("QUERY_TOO_COMPLEX", "cost", limits.maxCost, `Query cost ${cost} is over the limit of ${limits.maxCost}: ask for smaller pages (first) or fewer fields`);
          }
        },
      };
    },
  };
}
