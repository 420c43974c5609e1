/**
 * Trusted documents (`trustedDocuments: "safelist"`): only operations the gateway's own clients send run.
 * The safelist is the operations in schema/operations (by the sha256 of their printed form, so spacing
 * and comments do not matter) plus the hashes of a configured file (codegen's persisted documents: the
 * sha256 of the exact text a generated client sends). Anything else is refused, 400 OPERATION_NOT_ALLOWED.
 */
import { createHash } from "node:crypto";
import type { ApolloServerPlugin } from "@apollo/server";
import { GraphQLError, parse, print } from "graphql";
import { readOperations } from "./examples";

export type TrustedDocumentsMode = "off" | "safelist";

export interface TrustedDocumentsConfig {
  mode: TrustedDocumentsMode;
  /** Extra sha256 hashes (hex) of allowed document texts. */
  hashes: string[];
}

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/** The safelist: schema/operations by printed form, and the configured hashes. */
export function safelistHashes(extra: string[]): Set<string> {
  const set = new Set(extra.map((h) => h.toLowerCase()));
  for (const { text } of readOperations()) set.add(sha256(print(parse(text))));
  return set;
}

export class OperationNotAllowedError extends GraphQLError {
  constructor() {
    super("This operation is not in the gateway's safelist of trusted documents", { extensions: { code: "OPERATION_NOT_ALLOWED", http: { status: 400 } } });
    this.name = "OperationNotAllowedError";
  }
}

export function gatewayPluginTrustedDocuments(config: TrustedDocumentsConfig): ApolloServerPlugin {
  const allowed = safelistHashes(config.hashes);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          if (config.mode === "off") return;
          if (request.query !== undefined && allowed.has(sha256(request.query))) return;
          if (allowed.has(sha256(print(document)))) return;
          throw new OperationNotAllowedError();
        },
      };
    },
  };
}
