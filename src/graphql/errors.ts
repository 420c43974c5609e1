/**
 * formatError: every error leaves with an `extensions.code`; unknown errors are masked; messages are
 * scrubbed of secrets; vendor errors keep only their public fields (never the cause).
 */
import { unwrapResolverError } from "@apollo/server/errors";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import type { Logger } from "pino";
import { scrubSecrets } from "../domain/secret";
import { isTokenLimitError } from "./limits";

const PUBLIC_EXTENSIONS = [
  "code",
  "vendor",
  "connectionId",
  "upstreamStatus",
  "upstreamCode",
  "requestId",
  "retryAfterSeconds",
  "reportId",
  "reportStatus",
  "problems",
  "field",
  "limit",
  "maximum",
  "requiredRole",
  "companyScoped",
  "fields",
] as const;

const APOLLO_REQUEST_CODES = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_NOT_ALLOWED",
  "QUERY_TOO_COMPLEX",
  "OPERATION_RESOLUTION_FAILURE",
  "UNAUTHENTICATED",
  "FORBIDDEN",
]);

function scrubValue(value: unknown): unknown {
  return typeof value === "string" ? scrubSecrets(value) : value;
}

interface ValidationErrorLike {
  property?: string;
  constraints?: Record<string, string>;
  children?: ValidationErrorLike[];
}

function flattenValidation(errors: ValidationErrorLike[], prefix = ""): Array<{ field: string; messages: string[] }> {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : String(e.property);
    const own = e.constraints ? [{ field, messages: Object.values(e.constraints) }] : [];
    return [...own, ...flattenValidation(e.children ?? [], field)];
  });
}

export function createErrorFormatter(logger: Logger) {
  return function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
    const original = unwrapResolverError(error);
    const base = { locations: formatted.locations, path: formatted.path };

    // type-graphql's input validation (class-validator): list each field's problems.
    const validationErrors = original instanceof GraphQLError ? (original.extensions?.validationErrors as ValidationErrorLike[] | undefined) : undefined;
    if (Array.isArray(validationErrors)) {
      const fields = flattenValidation(validationErrors);
      return {
        ...base,
        message: scrubSecrets(`Invalid input: ${fields.map((f) => f.messages.join(", ")).join("; ")}`),
        extensions: { code: "BAD_USER_INPUT", invalidFields: fields.map((f) => f.field) },
      };
    }

    // A scalar's parse error inside a literal: graphql-js wraps it as a validation error.
    const scalarInput =
      original instanceof GraphQLError && original.originalError instanceof GraphQLError && original.originalError.extensions?.code === "BAD_USER_INPUT";
    if (scalarInput) return { ...base, message: scrubSecrets(formatted.message), extensions: { code: "BAD_USER_INPUT" } };

    // Our own typed errors, and Apollo's request errors: message and public fields only (never a cause).
    if (original instanceof GraphQLError && typeof original.extensions?.code === "string" && original.extensions.code !== "INTERNAL_SERVER_ERROR") {
      const extensions: Record<string, unknown> = {};
      for (const k of PUBLIC_EXTENSIONS) if (original.extensions[k] !== undefined) extensions[k] = scrubValue(original.extensions[k]);
      // graphql-js's parser says it stopped at limits.maxTokens only in its message: name the limit too.
      if (extensions.code === "GRAPHQL_PARSE_FAILED" && isTokenLimitError(original.message)) extensions.limit = "tokens";
      return { ...base, message: scrubSecrets(original.message), extensions };
    }
    const code = formatted.extensions?.code;
    if (typeof code === "string" && APOLLO_REQUEST_CODES.has(code)) {
      return { ...base, message: scrubSecrets(formatted.message), extensions: { code } };
    }

    logger.error({ err: original instanceof Error ? { name: original.name, message: scrubSecrets(original.message) } : String(original) }, "unexpected error");
    return { ...base, message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } };
  };
}
