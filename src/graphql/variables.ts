/**
 * An operation's variables coerced as execution will see them, once per request: the input check and
 * the cost limit both need them (and both leave variables that do not coerce to execution's 400).
 */
import { getVariableValues, type GraphQLSchema, type OperationDefinitionNode } from "graphql";

type Coerced = ReturnType<typeof getVariableValues>;
const byRequest = new WeakMap<object, Coerced>();

export function coercedVariables(schema: GraphQLSchema, operation: OperationDefinitionNode, request: { variables?: Record<string, unknown> }): Coerced {
  let coerced = byRequest.get(request);
  if (!coerced) byRequest.set(request, (coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {})));
  return coerced;
}
