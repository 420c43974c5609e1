/**
 * A validation rule: an operation of a type the schema has no root for (a `subscription` here) is a
 * request error (HTTP 400, GRAPHQL_VALIDATION_FAILED), not an execution error answered 200 with a
 * masked INTERNAL_SERVER_ERROR, which is what graphql-js's executor would otherwise raise.
 */
import { GraphQLError, type ASTVisitor, type ValidationContext } from "graphql";

export function SupportedOperationTypesRule(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(node) {
      const schema = context.getSchema();
      const root = node.operation === "query" ? schema.getQueryType() : node.operation === "mutation" ? schema.getMutationType() : schema.getSubscriptionType();
      if (!root) context.reportError(new GraphQLError(`This gateway has no ${node.operation} operations`, { nodes: [node] }));
    },
  };
}
