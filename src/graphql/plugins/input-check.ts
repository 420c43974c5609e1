/**
 * Checks every argument of the operation before execution starts, so bad input fails the whole request
 * with BAD_USER_INPUT and no upstream call is made: connection ids the caller may not see, malformed
 * global ids, billing periods in the future, page sizes and cursors. (Scalars already reject malformed
 * periods and decimals during validation.)
 */
import type { ApolloServerPlugin } from "@apollo/server";
import {
  getNamedType,
  getNullableType,
  isInputObjectType,
  isListType,
  TypeInfo,
  valueFromAST,
  visit,
  visitWithTypeInfo,
  type GraphQLInputType,
} from "graphql";
import { scopeAllows } from "../../domain/connector";
import { BadUserInputError } from "../../domain/errors";
import { formatBillingPeriod, periodIndex, periodOf, type BillingPeriod } from "../../domain/period";
import type { GatewayContext } from "../context";
import { parseGlobalId, type IdType } from "../ids";
import { checkFirst, decodeCursor } from "../pagination";

/** Which kind of global id an ID argument or input field takes, by its name (`id` by the field it is on). */
const ID_KIND_BY_NAME: Record<string, IdType> = { partnerId: "partner", companyId: "company", subscriptionId: "subscription", operationId: "operation" };
const ID_KIND_BY_FIELD: Record<string, IdType> = {
  partner: "partner",
  managedCompany: "company",
  billingReport: "report",
  deleteBillingReport: "report",
  subscription: "subscription",
  marketplaceOperation: "operation",
};

function checkValue(
  ctx: GatewayContext,
  type: GraphQLInputType,
  name: string,
  value: unknown,
  problems: string[],
  idKind: IdType | undefined = ID_KIND_BY_NAME[name],
): void {
  if (value === null || value === undefined) return;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) checkValue(ctx, nullable.ofType as GraphQLInputType, name, item, problems, idKind);
    return;
  }
  if (isInputObjectType(nullable)) {
    const fields = nullable.getFields();
    for (const [fieldName, field] of Object.entries(fields)) {
      checkValue(ctx, field.type, fieldName, (value as Record<string, unknown>)[fieldName], problems);
    }
    return;
  }
  const typeName = getNamedType(type).name;
  if (typeName === "ID" && typeof value === "string") {
    const connectionId = name === "connectionId" ? value : (() => {
      const parsed = parseGlobalId(value);
      if (typeof parsed === "string") {
        problems.push(`${name}: ${parsed}`);
        return undefined;
      }
      if (idKind && parsed.type !== idKind) {
        problems.push(`${name}: expected a ${idKind} id, got a ${parsed.type} id`);
        return undefined;
      }
      return parsed.connectionId;
    })();
    if (connectionId !== undefined && (!ctx.registry.get(connectionId) || !scopeAllows(ctx.scope, connectionId))) {
      problems.push(`${name}: unknown connection "${connectionId.slice(0, 64)}"`);
    }
  } else if (typeName === "BillingPeriod") {
    const period = value as BillingPeriod;
    if (periodIndex(period) > periodIndex(periodOf(new Date(ctx.now())))) {
      problems.push(`${name}: ${formatBillingPeriod(period)} is in the future`);
    }
  } else if (name === "customerId" && typeName === "String" && typeof value === "string") {
    if (!ctx.customers.has(value)) problems.push(`customerId: unknown customer "${value.slice(0, 64)}"`);
  } else if (name === "first" && typeName === "Int") {
    const problem = checkFirst(value as number);
    if (problem) problems.push(problem);
  } else if (name === "after" && typeName === "String") {
    const decoded = decodeCursor(value as string);
    if (typeof decoded === "string") problems.push(`after: ${decoded}`);
  }
}

export function gatewayPluginInputCheck(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, schema, request, contextValue }) {
          const variables = request.variables ?? {};
          const typeInfo = new TypeInfo(schema);
          const problems: string[] = [];
          visit(
            document,
            visitWithTypeInfo(typeInfo, {
              OperationDefinition: (node) => (node === operation ? undefined : false),
              FragmentDefinition: () => undefined,
              Argument(node) {
                const arg = typeInfo.getArgument();
                if (!arg) return;
                // Literal and variable values alike, coerced the way execution will see them.
                const value = valueFromAST(node.value, arg.type, variables as Record<string, unknown>);
                const idKind = arg.name === "id" ? ID_KIND_BY_FIELD[typeInfo.getFieldDef()?.name ?? ""] : undefined;
                checkValue(contextValue, arg.type, arg.name, value, problems, idKind);
              },
            }),
          );
          if (problems.length > 0) {
            throw new BadUserInputError(`Invalid input: ${[...new Set(problems)].join("; ")}`);
          }
        },
      };
    },
  };
}
