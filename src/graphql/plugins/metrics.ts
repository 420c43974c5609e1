/**
 * GraphQL operations in the gateway's metrics: count and duration by operation name, and the errors of
 * each response by `extensions.code`. Names are caller-chosen: only those of operations that parsed and
 * validated are used, truncated and capped (GatewayMetrics.operationLabel); a request refused before
 * that is counted under "(invalid)". Registered after the partial-errors plugin, so the errors counted
 * are the final, formatted ones the caller gets.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import type { GatewayMetrics } from "../../metrics";
import type { GatewayContext } from "../context";

export function gatewayPluginMetrics(metrics: GatewayMetrics): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      let label: string | undefined;
      let type = "unknown";
      return {
        async didResolveOperation({ operation }) {
          if (!operation) return;
          label = metrics.operationLabel(operation.name?.value);
          type = operation.operation;
        },
        async willSendResponse({ response }) {
          if (label !== undefined) metrics.operation(label, type, (performance.now() - started) / 1000);
          if (response.body.kind !== "single") return;
          for (const error of response.body.singleResult.errors ?? []) {
            const code = error.extensions?.code;
            metrics.error(label ?? "(invalid)", typeof code === "string" ? code : "(none)");
          }
        },
      };
    },
  };
}
