/**
 * The gateway's schema as an Apollo Federation v2 subgraph (config `subgraph: true`): the same types,
 * resolvers, access rules and plugins, plus `_service` and `_entities`, with `Partner`, `ManagedCompany`,
 * `Customer` and `Invoice` as entities keyed by their ids. A supergraph's router resolves a reference
 * through the same loaders and scope checks as the matching root field (`partner`, `managedCompany`,
 * `customer`, `invoice`), with the caller's own token, so a router sees no more than the caller would.
 */
import { buildSubgraphSchema } from "@apollo/subgraph";
import {
  GraphQLError,
  isObjectType,
  Kind,
  lexicographicSortSchema,
  parse,
  printSchema,
  visit,
  type DocumentNode,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from "graphql";
import { createResolversMap } from "type-graphql";
import { ACCESS_EXTENSION, denialOf, type AccessRule } from "../auth/roles";
import { parseBillingPeriod } from "../domain/period";
import type { DirectoryCustomer } from "../customers/directory";
import type { GatewayContext } from "./context";
import { parseGlobalId, type IdType } from "./ids";
import type { CompanyNode, InvoiceNode, PartnerNode } from "./nodes";
import { assertOwnCompany, companyById, statementOf } from "./resolvers/query.resolver";
import { findPartner } from "./resolvers/access";
import { buildGatewaySchema, requireAccessRules } from "./schema";

/** The Federation spec the subgraph SDL links (it imports `@key` from it). */
export const FEDERATION_SPEC_URL = "https://specs.apollo.dev/federation/v2.7";

/** A representation as a router sends it in `_entities(representations:)`. */
interface Reference {
  __typename: string;
  id: string;
}

/**
 * Async, always: a reference that fails must fail alone (its item of `_entities` null with its error);
 * a synchronous throw would fail every reference of the request.
 */
type ReferenceResolver = (reference: Reference, ctx: GatewayContext, info: GraphQLResolveInfo) => Promise<object | null>;

interface EntityDefinition {
  /** The global id kind of its `id` (graphql/ids.ts); null for directory customers, whose ids are the directory's own. */
  idKind: IdType | null;
  /** The @Access rule of the root field it stands for, checked before each reference is resolved. */
  rule: AccessRule;
  resolveReference: ReferenceResolver;
}

/**
 * Ids were checked before execution (the input check), so a parse failure here only means "not found".
 * The connection is checked against the caller's scope by the lookups (connectorFor), per reference.
 */
function keysOf(reference: Reference, kind: IdType): string[] | null {
  const parsed = parseGlobalId(reference.id);
  return typeof parsed === "string" || parsed.type !== kind ? null : [parsed.connectionId, ...parsed.keys];
}

/**
 * The entities, their key (`id` for each) and how a reference to one is resolved: the root field's own
 * path (scope check, loaders, partial errors), so a reference costs what the root field costs.
 */
export const ENTITIES: Record<string, EntityDefinition> = {
  Partner: {
    idKind: "partner",
    rule: { role: "billing:read" },
    async resolveReference(reference, ctx): Promise<PartnerNode | null> {
      const keys = keysOf(reference, "partner");
      return keys ? findPartner(ctx, keys[0], keys[1]) : null;
    },
  },
  ManagedCompany: {
    idKind: "company",
    rule: { role: "billing:read", company: true },
    async resolveReference(reference, ctx): Promise<CompanyNode | null> {
      const keys = keysOf(reference, "company");
      if (!keys) return null;
      const [connectionId, partnerKey, companyKey] = keys;
      assertOwnCompany(ctx, connectionId, partnerKey, companyKey);
      return companyById(ctx, connectionId, partnerKey, companyKey);
    },
  },
  Customer: {
    idKind: null,
    rule: { role: "billing:read" },
    async resolveReference(reference, ctx): Promise<DirectoryCustomer | null> {
      const customer = ctx.directory.get(reference.id);
      // A copy: the subgraph library marks what a reference resolves to with its __typename, and the
      // snapshot's records are shared by every request.
      return customer ? { ...customer } : null;
    },
  },
  Invoice: {
    idKind: "invoice",
    rule: { role: "billing:read" },
    async resolveReference(reference, ctx, info): Promise<InvoiceNode | null> {
      const keys = keysOf(reference, "invoice");
      if (!keys) return null;
      const [connectionId, partnerKey, periodText] = keys;
      const period = parseBillingPeriod(periodText);
      if (typeof period === "string") return null;
      const partner = await findPartner(ctx, connectionId, partnerKey);
      return partner ? statementOf(ctx, info, partner, period) : null;
    },
  },
};

/** Who may use the fields the subgraph adds: the same roles as the root fields they stand for. */
const SUBGRAPH_FIELD_RULES: Record<string, AccessRule> = {
  // The schema itself, as a composition tool reads it.
  _service: { role: "billing:read" },
  // Each reference is checked by its entity's resolver (company-scoped callers: their own company only).
  _entities: { role: "billing:read", company: true },
};

/**
 * Types renamed in the subgraph. Federation makes any object type named `Subscription` the subscription
 * root, so the domain's Subscription (what a company holds at a vendor) cannot keep its name in a
 * supergraph; the standalone schema keeps it, so no existing client breaks.
 */
export const SUBGRAPH_TYPE_NAMES: Readonly<Record<string, string>> = { Subscription: "VendorSubscription" };

const subgraphName = (name: string) => (Object.hasOwn(SUBGRAPH_TYPE_NAMES, name) ? SUBGRAPH_TYPE_NAMES[name] : name);
const baseName = (name: string) => Object.keys(SUBGRAPH_TYPE_NAMES).find((k) => SUBGRAPH_TYPE_NAMES[k] === name) ?? name;

/** The gateway's SDL with `@link` to Federation v2, `@key(fields: "id")` on every entity, and the renames. */
export function subgraphTypeDefs(schema: GraphQLSchema): DocumentNode {
  // Sorted: the order type-graphql builds types in follows the order modules were loaded in.
  const document = parse(printSchema(lexicographicSortSchema(schema)));
  const edited = visit(document, {
    NamedType(node) {
      const renamed = subgraphName(node.name.value);
      return renamed === node.name.value ? undefined : { ...node, name: { ...node.name, value: renamed } };
    },
    ObjectTypeDefinition(node) {
      const name = { ...node.name, value: subgraphName(node.name.value) };
      if (!Object.hasOwn(ENTITIES, node.name.value)) return name.value === node.name.value ? undefined : { ...node, name };
      return {
        ...node,
        name,
        directives: [
          ...(node.directives ?? []),
          {
            kind: Kind.DIRECTIVE,
            name: { kind: Kind.NAME, value: "key" },
            arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: "fields" }, value: { kind: Kind.STRING, value: "id" } }],
          },
        ],
      };
    },
  });
  const link = parse(`extend schema @link(url: "${FEDERATION_SPEC_URL}", import: ["@key"])`);
  return { kind: Kind.DOCUMENT, definitions: [...link.definitions, ...edited.definitions] };
}

/** Runs the role check type-graphql runs for our own root fields, for the two the subgraph library adds. */
function guarded(rule: AccessRule, resolve: GraphQLFieldResolver<unknown, GatewayContext> | undefined): GraphQLFieldResolver<unknown, GatewayContext> {
  return (source, args, ctx, info) => {
    const denial = denialOf(ctx.scope, rule);
    if (denial) throw denial;
    if (!resolve) throw new GraphQLError("Internal server error");
    return resolve(source, args, ctx, info);
  };
}

let built: Promise<GraphQLSchema> | undefined;
const sdlOf = new WeakMap<GraphQLSchema, string>();

/** What `_service { sdl }` answers for a subgraph schema built here: what composition reads. */
export function subgraphSdl(schema: GraphQLSchema): string {
  const sdl = sdlOf.get(schema);
  if (sdl === undefined) throw new Error("not a subgraph schema built by toSubgraph");
  return sdl;
}

/** The subgraph schema, built once from the gateway's own (code-first) schema. */
export function buildSubgraphGatewaySchema(): Promise<GraphQLSchema> {
  built ??= buildGatewaySchema().then(toSubgraph);
  return built;
}

export function toSubgraph(base: GraphQLSchema): GraphQLSchema {
  const resolvers: Record<string, Record<string, unknown>> = {};
  for (const [name, value] of Object.entries(createResolversMap(base))) resolvers[subgraphName(name)] = value as Record<string, unknown>;
  for (const [typename, entity] of Object.entries(ENTITIES)) {
    // The root field's rule, as type-graphql's authChecker applies it there (a company-scoped caller
    // reaches only a ManagedCompany, its own, checked by the resolver as managedCompany(id) does).
    const resolveReference: ReferenceResolver = async (reference, ctx, info) => {
      const denial = denialOf(ctx.scope, entity.rule);
      if (denial) throw denial;
      return entity.resolveReference(reference, ctx, info);
    };
    resolvers[typename] = { ...resolvers[typename], __resolveReference: resolveReference };
  }
  const subgraph = buildSubgraphSchema({ typeDefs: subgraphTypeDefs(base), resolvers: resolvers as never });

  // SDL carries no field extensions: the access rules and partner-only marks the plugins read are copied over.
  for (const type of Object.values(subgraph.getTypeMap())) {
    const original = base.getType(baseName(type.name));
    if (!isObjectType(type) || !original || !isObjectType(original)) continue;
    const originalFields = original.getFields();
    for (const field of Object.values(type.getFields())) {
      const from = originalFields[field.name];
      if (from) Object.assign(field, { extensions: { ...field.extensions, ...from.extensions } });
    }
  }
  const query = subgraph.getQueryType()!.getFields();
  const service = query._service.resolve?.(undefined, {}, undefined, undefined as never) as { sdl: string };
  sdlOf.set(subgraph, service.sdl);
  for (const [name, rule] of Object.entries(SUBGRAPH_FIELD_RULES)) {
    const field = query[name];
    if (!field) continue;
    Object.assign(field, { extensions: { ...field.extensions, [ACCESS_EXTENSION]: rule }, resolve: guarded(rule, field.resolve as GraphQLFieldResolver<unknown, GatewayContext>) });
  }
  // The same guarantee as the gateway's own schema: no root field without a rule.
  return requireAccessRules(subgraph);
}
