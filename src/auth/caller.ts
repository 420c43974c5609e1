/**
 * Who is calling: the gateway's own bearer JWT, verified with jose against a shared HS256 secret or a
 * JWKS URL, with the issuer and audience from the config. The `connections` claim (ids or "*") limits
 * what the caller sees; it becomes the CallerScope that flows into loaders and cache keys.
 */
import { createHash } from "node:crypto";
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTPayload } from "jose";
import type { CallerAuthConfig } from "../config";
import type { CallerScope } from "../domain/connector";
import { UnauthenticatedError } from "../domain/errors";

export type CallerAuthenticator = (authorization: string | undefined) => Promise<CallerScope>;

export function scopeKeyOf(tenant: string | null, connections: "*" | ReadonlySet<string>): string {
  const list = connections === "*" ? "*" : [...connections].sort().join(",");
  return createHash("sha256").update(`${tenant ?? ""}\n${list}`).digest("base64url").slice(0, 22);
}

export function makeScope(subject: string, tenant: string | null, connections: "*" | ReadonlySet<string>): CallerScope {
  return { subject, tenant, connections, key: scopeKeyOf(tenant, connections) };
}

function connectionsClaim(payload: JWTPayload): "*" | ReadonlySet<string> {
  const claim = payload.connections;
  if (claim === "*") return "*";
  if (Array.isArray(claim) && claim.every((c) => typeof c === "string")) {
    return claim.includes("*") ? "*" : new Set(claim as string[]);
  }
  throw new UnauthenticatedError('The token\'s "connections" claim must be "*" or a list of connection ids');
}

export function createCallerAuthenticator(config: CallerAuthConfig): CallerAuthenticator {
  const key = config.hs256Secret
    ? new TextEncoder().encode(config.hs256Secret.reveal())
    : config.jwksUrl
      ? createRemoteJWKSet(new URL(config.jwksUrl))
      : undefined;
  if (!key) throw new Error("caller auth needs hs256Secret or jwksUrl");

  return async (authorization) => {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? "");
    if (!match) throw new UnauthenticatedError();
    let payload: JWTPayload;
    try {
      const verified =
        key instanceof Uint8Array
          ? await jwtVerify(match[1], key, { issuer: config.issuer, audience: config.audience, algorithms: ["HS256"] })
          : await jwtVerify(match[1], key, { issuer: config.issuer, audience: config.audience });
      payload = verified.payload;
    } catch {
      // The reason (expired, bad signature, wrong audience) is not told: it helps attackers more than users.
      throw new UnauthenticatedError("The bearer token is invalid or expired");
    }
    const tenant = typeof payload.tenant === "string" ? payload.tenant : null;
    return makeScope(payload.sub ?? "anonymous", tenant, connectionsClaim(payload));
  };
}

/** Signs a caller token with the shared secret (sandbox dev token, tests). */
export async function signCallerToken(
  secret: string,
  claims: { issuer: string; audience: string; subject?: string; connections: "*" | string[]; tenant?: string; expiresIn?: string },
): Promise<string> {
  const jwt = new SignJWT({ connections: claims.connections, ...(claims.tenant ? { tenant: claims.tenant } : {}) })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(claims.issuer)
    .setAudience(claims.audience)
    .setSubject(claims.subject ?? "dev")
    .setIssuedAt()
    .setExpirationTime(claims.expiresIn ?? "12h");
  return jwt.sign(new TextEncoder().encode(secret));
}
