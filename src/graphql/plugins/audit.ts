/**
 * Puts every mutation into the audit log (audit/audit-log.ts), one entry per root mutation field, with
 * its outcome: "OK", or the code it failed with, whether it failed in its resolver (a vendor refusal, a
 * missing role) or before execution (bad input, a cost limit: then every field of the operation gets the
 * request's error). A request whose text is not a valid document names no mutation and is only in the
 * access log. The entries are written before the response is sent.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import { getOperationAST, Kind, type OperationDefinitionNode } from "graphql";
import { auditArguments, type AuditEntry, type AuditLog } from "../../audit/audit-log";
import type { GatewayContext } from "../context";

interface FieldOutcome {
  args: unknown;
  error: unknown;
}

/** The code of a thrown GraphQLError or of a formatted one in the response. */
function codeOf(error: unknown): string {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return typeof code === "string" ? code : "INTERNAL_SERVER_ERROR";
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 300);
}

export function gatewayPluginAudit(audit: AuditLog, now: () => number): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      const executed = new Map<string, FieldOutcome>();
      return {
        async executionDidStart({ operation }) {
          // Only a mutation's root fields are recorded. A query gets no hook: with one, Apollo wraps
          // every field's resolver of the request, which costs a warm month overview several percent.
          // `operation` is missing (despite its type) when the document has no operation of the name asked for.
          if (!operation || operation.operation !== "mutation") return;
          return {
            willResolveField({ info, args }) {
              if (info.path.prev !== undefined) return;
              return (error) => void executed.set(String(info.path.key), { args, error });
            },
          };
        },
        async willSendResponse({ document, operation, request, response, contextValue, errors }) {
          const op: OperationDefinitionNode | null | undefined = operation ?? (document ? getOperationAST(document, request.operationName) : null);
          if (!op || op.operation !== "mutation") return;
          const body = response.body.kind === "single" ? response.body.singleResult : undefined;
          const responseErrors = [...(body?.errors ?? []), ...(errors ?? [])];
          const scope = contextValue.scope;
          const at = new Date(now()).toISOString();
          const entries: AuditEntry[] = [];
          for (const selection of op.selectionSet.selections) {
            if (selection.kind !== Kind.FIELD || selection.name.value.startsWith("__")) continue;
            const key = selection.alias?.value ?? selection.name.value;
            const ran = executed.get(key);
            // Not run: refused before execution (the request's error), or an error further down its payload.
            const failure =
              ran?.error ??
              responseErrors.find((e) => e.path?.[0] === key) ??
              (ran ? undefined : responseErrors.find((e) => !e.path));
            entries.push({
              at,
              subject: scope.subject,
              tenant: scope.tenant,
              company: scope.company?.id ?? null,
              requestId: contextValue.requestId,
              operationName: op.name?.value ?? null,
              mutation: selection.name.value,
              arguments: auditArguments(ran ? ran.args : request.variables),
              outcome: failure ? codeOf(failure) : ran ? "OK" : "NOT_RUN",
              message: failure ? messageOf(failure) : null,
            });
          }
          for (const entry of entries) await audit.record(entry);
        },
      };
    },
  };
}
