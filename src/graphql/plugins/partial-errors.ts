/**
 * Lists gathered from several connections keep the data of the healthy ones; the failures are added
 * to the response's errors here (typed, with their path) instead of nulling the whole list.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import { locatedError, type GraphQLFormattedError } from "graphql";
import type { GatewayContext } from "../context";

export function gatewayPluginPartialErrors(
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== "single" || contextValue.partialErrors.length === 0) return;
          const extra = contextValue.partialErrors.map(({ error, path }) => {
            const located = locatedError(error, undefined, path);
            return formatError(located.toJSON(), located);
          });
          const result = response.body.singleResult;
          result.errors = [...(result.errors ?? []), ...extra];
        },
      };
    },
  };
}
