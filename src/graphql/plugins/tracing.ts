/**
 * What the request's span learns from Apollo: the operation's name and type once it parsed and
 * validated (a name from a document that did not validate is not trusted), and the `extensions.code`
 * of every error in the response. Registered after the partial-errors plugin, so the codes are the
 * final ones the caller gets. Never the variables or the query text: literals in it may be anything.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import type { GatewayContext } from "../context";

export function gatewayPluginTracing(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      const span = contextValue.span;
      if (!span) return;
      return {
        async didResolveOperation({ operation }) {
          if (operation) span.operation(operation.name?.value, operation.operation);
        },
        async willSendResponse({ response }) {
          if (response.body.kind !== "single") return;
          const codes = (response.body.singleResult.errors ?? []).map((e) => e.extensions?.code);
          span.errorCodes(codes.map((code) => (typeof code === "string" ? code : "(none)")));
        },
      };
    },
  };
}
