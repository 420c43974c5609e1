/**
 * Checks every argument of the operation before execution starts, so bad input fails the whole request
 * with BAD_USER_INPUT (HTTP 400) and no upstream call is made: connection ids the caller may not see,
 * malformed global ids, ids not of their vendor's shape, billing periods in the future, page sizes and
 * cursors. Literals and variables, top-level arguments and fields of input objects and lists, all get the
 * same checks. (Scalars already reject malformed periods and decimals during validation or coercion.)
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
import { checkIdKeys, checkStringId } from "../../vendors/id-shapes";
import { parseGlobalId, type IdType } from "../ids";
import { ENTITIES } from "../federation";
import { checkFirst, decodeCursor } from "../pagination";
import { coercedVariables } from "../variables";

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
  /** The `connectionId` beside this value in its input object: whose vendor ids plain strings are. */
  siblingConnectionId?: string,
): void {
  if (value === null || value === undefined) return;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) checkValue(ctx, nullable.ofType as GraphQLInputType, name, item, problems, idKind, siblingConnectionId);
    return;
  }
  if (isInputObjectType(nullable)) {
    const fields = nullable.getFields();
    const record = value as Record<string, unknown>;
    const connectionId = typeof record.connectionId === "string" ? record.connectionId : undefined;
    for (const [fieldName, field] of Object.entries(fields)) {
      checkValue(ctx, field.type, fieldName, record[fieldName], problems, undefined, connectionId);
    }
    return;
  }
  const typeName = getNamedType(type).name;
  if (typeName === "ID" && typeof value === "string") {
    checkId(ctx, name, value, idKind, problems);
  } else if (typeName === "BillingPeriod") {
    const period = value as BillingPeriod;
    if (periodIndex(period) > periodIndex(periodOf(new Date(ctx.now())))) {
      problems.push(`${name}: ${formatBillingPeriod(period)} is in the future`);
    }
  } else if (name === "customerId" && typeName === "String" && typeof value === "string") {
    if (!ctx.directory.get(value)) problems.push(`customerId: unknown customer "${value.slice(0, 64)}"`);
  } else if (name === "first" && typeName === "Int") {
    const problem = checkFirst(value as number, ctx.maxPageSize);
    if (problem) problems.push(problem);
  } else if (name === "after" && typeName === "String") {
    const decoded = decodeCursor(value as string);
    if (typeof decoded === "string") problems.push(`after: ${decoded}`);
  } else if (typeName === "String" && typeof value === "string" && siblingConnectionId !== undefined) {
    const connector = visibleConnector(ctx, siblingConnectionId);
    const problem = connector && checkStringId(connector.info.api, name, value);
    if (problem) problems.push(`${name}: ${problem}`);
  }
}

function visibleConnector(ctx: GatewayContext, connectionId: string) {
  const connector = ctx.registry.get(connectionId);
  return connector && scopeAllows(ctx.scope, connectionId) ? connector : undefined;
}

/**
 * A connection id, or a global id: of the kind expected, on a connection the caller sees, with keys of
 * that vendor's shape. With `outOfScope: "leave"`, a connection the caller does not see is not a problem
 * here (nor are its keys checked): the resolver refuses that one id on its own.
 */
function checkId(ctx: GatewayContext, name: string, value: string, idKind: IdType | undefined, problems: string[], outOfScope: "refuse" | "leave" = "refuse"): void {
  if (name === "connectionId") {
    if (!visibleConnector(ctx, value)) problems.push(`${name}: unknown connection "${value.slice(0, 64)}"`);
    return;
  }
  const parsed = parseGlobalId(value);
  if (typeof parsed === "string") {
    problems.push(`${name}: ${parsed}`);
    return;
  }
  if (idKind && parsed.type !== idKind) {
    problems.push(`${name}: expected a ${idKind} id, got a ${parsed.type} id`);
    return;
  }
  const connector = visibleConnector(ctx, parsed.connectionId);
  if (!connector) {
    if (outOfScope === "refuse") problems.push(`${name}: unknown connection "${parsed.connectionId.slice(0, 64)}"`);
    return;
  }
  const problem = checkIdKeys(connector.info.api, parsed.type, parsed.keys);
  if (problem) problems.push(`${name}: "${value.slice(0, 80)}" is ${problem}`);
}

/**
 * A subgraph's `_entities(representations:)`: what a router sends. A representation a router could not
 * have built from this subgraph's SDL (not an object, not one of its entities, no id, an id of another
 * kind or not of its vendor's shape) refuses the request. A connection outside the caller's scope does
 * not: a router batches many references in one request, so that one resolves to null with its own error
 * (as the reference resolver finds it) and the others are answered.
 */
function checkRepresentations(ctx: GatewayContext, value: unknown, problems: string[]): void {
  const items = Array.isArray(value) ? value : [value];
  items.forEach((item, i) => {
    const at = `representations[${i}]`;
    if (item === null || typeof item !== "object" || Array.isArray(item)) return void problems.push(`${at}: not an object`);
    const { __typename: typename, id } = item as Record<string, unknown>;
    const entity = typeof typename === "string" && Object.hasOwn(ENTITIES, typename) ? ENTITIES[typename] : undefined;
    if (!entity) return void problems.push(`${at}.__typename: not an entity of this subgraph (${Object.keys(ENTITIES).join(", ")})`);
    if (typeof id !== "string" || id === "") return void problems.push(`${at}.id: a non-empty string is required`);
    if (entity.idKind) checkId(ctx, `${at}.id`, id, entity.idKind, problems, "leave");
    else if (id.length > 256) problems.push(`${at}.id: longer than 256 characters`);
  });
}

export function gatewayPluginInputCheck(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, schema, request, contextValue }) {
          // Variables as execution will see them (BillingPeriod as a period, not its text), so they get
          // exactly the checks literals get. Variables that do not coerce are execution's to refuse (400).
          if (!operation) return;
          const coerced = coercedVariables(schema, operation, request);
          if (coerced.errors) return;
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
                const value = valueFromAST(node.value, arg.type, coerced.coerced);
                if (arg.name === "representations" && typeInfo.getFieldDef()?.name === "_entities") return void checkRepresentations(contextValue, value, problems);
                const idKind = arg.name === "id" ? ID_KIND_BY_FIELD[typeInfo.getFieldDef()?.name ?? ""] : undefined;
                checkValue(contextValue, arg.type, arg.name, value, problems, idKind);
              },
            }),
          );
          if (problems.length > 0) {
            // A request error, before any data: 400 for both response media types (GraphQL over HTTP).
            throw new BadUserInputError(`Invalid input: ${[...new Set(problems)].join("; ")}`, { http: { status: 400 } });
          }
        },
      };
    },
  };
}
