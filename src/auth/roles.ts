/**
 * Access roles, carried in the caller's JWT, and what each field of the schema requires.
 *
 * - `billing:read`: every query (partners, companies, subscriptions, products, invoices and lines).
 * - `accounts:write`: lifecycle and marketplace mutations (they change what a customer is billed).
 * - `admin`: everything, and the audit log; deleting a vendor's billing report.
 *
 * Every root field (Query, Mutation) declares its rule with `@Access`; the schema is not built when one
 * does not (schema.ts), so a new field is denied until someone decides who may use it. The rule is checked
 * by type-graphql's authorisation at execution (`authChecker`): a field the caller may not use is null
 * with a FORBIDDEN error beside the rest of the data, and its resolver (and any vendor call) never runs.
 *
 * A company-scoped caller (a customer's own user, `company` claim) sees its one managed company and
 * nothing of the partner: only the root fields whose rule says `company: true`, and none of the fields
 * marked `@PartnerOnly()` (the partner itself, and what the partner pays the vendor). Those are refused
 * before execution for the whole request (plugins/company-scope.ts), so a list of lines does not answer
 * with one error per line.
 */
import { Authorized, Extensions, type AuthChecker } from "type-graphql";
import { GraphQLError } from "graphql";
import type { CallerScope } from "../domain/connector";

export const ROLES = ["billing:read", "accounts:write", "admin"] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export interface AccessRule {
  role: Role;
  /** Also open to company-scoped callers, within their own company (the resolver narrows the data). */
  company?: boolean;
}

/** The schema extension the rule is kept under, for the company-scope check and the schema test. */
export const ACCESS_EXTENSION = "access";
export const PARTNER_ONLY_EXTENSION = "partnerOnly";

/** Declares who may use a root field: checked by type-graphql's authorisation. */
export function Access(rule: AccessRule): MethodDecorator & PropertyDecorator {
  const authorized = Authorized<AccessRule>([rule]);
  const extensions = Extensions({ [ACCESS_EXTENSION]: rule });
  return ((target: object, key: string | symbol, descriptor?: PropertyDescriptor) => {
    (authorized as (t: object, k: string | symbol, d?: PropertyDescriptor) => void)(target, key, descriptor);
    (extensions as (t: object, k: string | symbol, d?: PropertyDescriptor) => void)(target, key, descriptor);
  }) as MethodDecorator & PropertyDecorator;
}

/** A field of a shared type that only partner-level callers see (company-scoped callers are refused). */
export function PartnerOnly(): MethodDecorator & PropertyDecorator {
  return Extensions({ [PARTNER_ONLY_EXTENSION]: true }) as MethodDecorator & PropertyDecorator;
}

export function hasRole(scope: CallerScope, role: Role): boolean {
  return scope.roles.has("admin") || scope.roles.has(role);
}

/** A field the caller may not use: null with this error, the rest of the response unaffected. */
export class AccessDeniedError extends GraphQLError {
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super(message, { extensions: { code: "FORBIDDEN", ...extra } });
    this.name = "AccessDeniedError";
  }
}

export function denialOf(scope: CallerScope, rule: AccessRule): AccessDeniedError | null {
  if (!hasRole(scope, rule.role)) {
    return new AccessDeniedError(`This needs the role "${rule.role}", which the caller's token does not carry`, { requiredRole: rule.role });
  }
  if (scope.company && !rule.company) {
    return new AccessDeniedError("A company-scoped caller sees only its own company", { companyScoped: true });
  }
  return null;
}

export const authChecker: AuthChecker<{ scope: CallerScope }, AccessRule> = ({ context }, rules) => {
  for (const rule of rules) {
    const denial = denialOf(context.scope, rule);
    if (denial) throw denial;
  }
  return true;
};
