/**
 * Who is calling: the gateway's own bearer JWT, verified with jose against a shared HS256 secret or a
 * JWKS URL, with the issuer and audience from the config.
 *
 * - Algorithms are pinned: HS256 with the secret; with a JWKS, the configured asymmetric ones (RS256 and
 *   ES256 by default). `alg: none` and a public key used as an HMAC secret are refused.
 * - Keys rotate through the JWKS: the key is picked by the token's `kid`; an unknown `kid` fetches the
 *   JWKS again (at most once per cooldown), so a new key works as soon as the issuer publishes it and a
 *   removed one stops working at the next fetch.
 * - A small clock skew (30 s by default) is tolerated on `exp`, `nbf` and `iat`.
 *
 * Claims: `connections` (ids or "*") limits what the caller sees; `roles` (or the configured claim, and
 * OAuth's `scope`/`scp`) what it may do (auth/roles.ts); `company` (a ManagedCompany id) limits it to one
 * company. They become the CallerScope that flows into loaders and cache keys.
 */
import { createHash } from "node:crypto";
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyOptions } from "jose";
import type { Logger } from "pino";
import type { CallerAuthConfig } from "../config";
import type { CallerScope, CompanyRef } from "../domain/connector";
import { UnauthenticatedError } from "../domain/errors";
import { parseGlobalId } from "../graphql/ids";
import { isRole, type Role } from "./roles";

export type CallerAuthenticator = (authorization: string | undefined) => Promise<CallerScope>;

export const DEFAULT_JWKS_ALGORITHMS = ["RS256", "ES256"];

export function scopeKeyOf(tenant: string | null, connections: "*" | ReadonlySet<string>, company: CompanyRef | null = null): string {
  const list = connections === "*" ? "*" : [...connections].sort().join(",");
  return createHash("sha256").update(`${tenant ?? ""}\n${list}\n${company?.id ?? ""}`).digest("base64url").slice(0, 22);
}

export interface ScopeGrants {
  roles?: Iterable<string>;
  company?: CompanyRef | null;
}

export function makeScope(subject: string, tenant: string | null, connections: "*" | ReadonlySet<string>, grants: ScopeGrants = {}): CallerScope {
  const company = grants.company ?? null;
  // A company-scoped caller sees its company's connection only, whatever else its token lists.
  const visible = company ? new Set([company.connectionId]) : connections;
  return { subject, tenant, connections: visible, roles: new Set(grants.roles ?? []), company, key: scopeKeyOf(tenant, visible, company) };
}

function connectionsClaim(payload: JWTPayload): "*" | ReadonlySet<string> {
  const claim = payload.connections;
  if (claim === "*") return "*";
  if (Array.isArray(claim) && claim.every((c) => typeof c === "string")) {
    return claim.includes("*") ? "*" : new Set(claim as string[]);
  }
  throw new UnauthenticatedError('The token\'s "connections" claim must be "*" or a list of connection ids');
}

/** Roles from the configured claim and from OAuth scopes; strings that are no role of the gateway are dropped. */
function rolesOf(payload: JWTPayload, claim: string): Set<Role> {
  const roles = new Set<Role>();
  for (const name of new Set([claim, "scope", "scp"])) {
    const value = payload[name];
    const items = typeof value === "string" ? value.split(/\s+/) : Array.isArray(value) ? value : [];
    for (const item of items) if (typeof item === "string" && isRole(item)) roles.add(item);
  }
  return roles;
}

function companyClaim(payload: JWTPayload, connections: "*" | ReadonlySet<string>, roles: ReadonlySet<Role>): CompanyRef | null {
  const claim = payload.company;
  if (claim === undefined) return null;
  const parsed = typeof claim === "string" ? parseGlobalId(claim) : "not a string";
  if (typeof parsed === "string" || parsed.type !== "company") {
    throw new UnauthenticatedError('The token\'s "company" claim must be a ManagedCompany id');
  }
  if (connections !== "*" && !connections.has(parsed.connectionId)) {
    throw new UnauthenticatedError('The token\'s "company" is not in its "connections"');
  }
  if (roles.has("admin") || roles.has("accounts:write")) {
    throw new UnauthenticatedError('A company-scoped token may carry only the "billing:read" role');
  }
  return { id: claim as string, connectionId: parsed.connectionId, partnerKey: parsed.keys[0], companyKey: parsed.keys[1] };
}

/** The JWKS could not be fetched or read: the token may be fine, the gateway cannot check it. */
function isKeySourceFailure(err: unknown): boolean {
  if (!(err instanceof joseErrors.JOSEError)) return true; // the fetch itself failed
  // jose reports a non-200 answer of the JWKS URL as its generic error.
  return err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid || err.code === "ERR_JOSE_GENERIC";
}

export function createCallerAuthenticator(config: CallerAuthConfig, logger?: Logger): CallerAuthenticator {
  const rolesClaim = config.rolesClaim ?? "roles";
  const base: JWTVerifyOptions = {
    issuer: config.issuer,
    audience: config.audience,
    clockTolerance: config.clockToleranceSeconds ?? 30,
  };
  let verify: (token: string) => Promise<JWTPayload>;
  if (config.hs256Secret) {
    const key = new TextEncoder().encode(config.hs256Secret.reveal());
    verify = async (token) => (await jwtVerify(token, key, { ...base, algorithms: ["HS256"] })).payload;
  } else if (config.jwksUrl) {
    const jwks = createRemoteJWKSet(new URL(config.jwksUrl), {
      cacheMaxAge: (config.jwksCacheSeconds ?? 600) * 1000,
      cooldownDuration: (config.jwksCooldownSeconds ?? 30) * 1000,
      timeoutDuration: 5000,
    });
    const algorithms = config.algorithms ?? DEFAULT_JWKS_ALGORITHMS;
    verify = async (token) => (await jwtVerify(token, jwks, { ...base, algorithms })).payload;
  } else {
    throw new Error("caller auth needs hs256Secret or jwksUrl");
  }

  return async (authorization) => {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? "");
    if (!match) throw new UnauthenticatedError();
    let payload: JWTPayload;
    try {
      payload = await verify(match[1]);
    } catch (err) {
      // The operator is told when the issuer's keys are out of reach (every caller gets 401 meanwhile).
      if (isKeySourceFailure(err)) logger?.warn({ err: err instanceof Error ? err.message : String(err) }, "caller auth: the JWKS could not be fetched or read");
      // The reason (expired, bad signature, wrong audience) is not told: it helps attackers more than users.
      throw new UnauthenticatedError("The bearer token is invalid or expired");
    }
    const tenant = typeof payload.tenant === "string" ? payload.tenant : null;
    const connections = connectionsClaim(payload);
    const roles = rolesOf(payload, rolesClaim);
    const company = companyClaim(payload, connections, roles);
    return makeScope(payload.sub ?? "anonymous", tenant, connections, { roles, company });
  };
}

export interface CallerClaims {
  issuer: string;
  audience: string;
  subject?: string;
  connections: "*" | string[];
  /** What the caller may do; an empty list makes a token that can read nothing. */
  roles: Role[];
  tenant?: string;
  /** A ManagedCompany id: the caller sees that company only. */
  company?: string;
  expiresIn?: string;
}

/** Signs a caller token with the shared secret (sandbox dev token, tests). */
export async function signCallerToken(secret: string, claims: CallerClaims): Promise<string> {
  const jwt = new SignJWT({
    connections: claims.connections,
    roles: claims.roles,
    ...(claims.tenant ? { tenant: claims.tenant } : {}),
    ...(claims.company ? { company: claims.company } : {}),
  })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(claims.issuer)
    .setAudience(claims.audience)
    .setSubject(claims.subject ?? "dev")
    .setIssuedAt()
    .setExpirationTime(claims.expiresIn ?? "12h");
  return jwt.sign(new TextEncoder().encode(secret));
}
