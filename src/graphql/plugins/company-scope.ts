/**
 * A company-scoped caller (a customer's own user) sees its company and nothing of the partner. Before
 * execution, its operation is checked field by field (through fragments): a root field not open to
 * company callers, or a field marked @PartnerOnly (the partner, what the partner pays the vendor), refuses
 * the whole request with FORBIDDEN (HTTP 403) naming the fields, so nothing runs and a list of lines does
 * not answer with one error per line. The resolvers narrow the data of the fields it may use.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import { GraphQLError, TypeInfo, visit, visitWithTypeInfo, type GraphQLField } from "graphql";
import { ACCESS_EXTENSION, PARTNER_ONLY_EXTENSION, type AccessRule } from "../../auth/roles";
import type { GatewayContext } from "../context";

export function gatewayPluginCompanyScope(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      if (!contextValue.scope.company) return undefined;
      return {
        async didResolveOperation({ document, operation, schema }) {
          const typeInfo = new TypeInfo(schema);
          const refused = new Set<string>();
          // Fragments are walked with the document: the ones this operation spreads are what it selects.
          visit(
            document,
            visitWithTypeInfo(typeInfo, {
              OperationDefinition: (node) => (node === operation ? undefined : false),
              Field() {
                const field = typeInfo.getFieldDef() as GraphQLField<unknown, unknown> | null;
                const parent = typeInfo.getParentType();
                if (!field || !parent) return;
                const rule = field.extensions?.[ACCESS_EXTENSION] as AccessRule | undefined;
                const isRoot = parent === schema.getQueryType() || parent === schema.getMutationType();
                if (field.extensions?.[PARTNER_ONLY_EXTENSION] || (isRoot && !rule?.company)) refused.add(`${parent.name}.${field.name}`);
              },
            }),
          );
          if (refused.size > 0) {
            const fields = [...refused].slice(0, 20);
            throw new GraphQLError(`A company-scoped caller sees only its own company, not: ${fields.join(", ")}`, {
              extensions: { code: "FORBIDDEN", companyScoped: true, fields, http: { status: 403 } },
            });
          }
        },
      };
    },
  };
}
