/**
 * keeper.md B, Auth: an HS512 JWT signed with the pre-shared secret, `iss` = partner key, `iat` = now in
 * true UTC epoch seconds, `exp` at most 5 minutes later. One token is reused until shortly before it
 * expires, then renewed; concurrent callers share one signing.
 */
import { SignJWT } from "jose";
import type { Secret } from "../../domain/secret";

export interface KeeperJwtOptions {
  partnerKey: Secret;
  secret: Secret;
  /** Token lifetime; Keeper allows 5 minutes at most. */
  lifetimeSeconds?: number;
  /** Renew this long before expiry, so a token never expires in flight. */
  renewBeforeSeconds?: number;
  now?: () => number;
}

export class KeeperJwtSource {
  private current: { token: string; exp: number } | undefined;
  private pending: Promise<string> | undefined;
  private readonly lifetime: number;
  private readonly renewBefore: number;
  private readonly now: () => number;
  /** Tokens signed so far (for tests and metrics). */
  signed = 0;

  constructor(private readonly options: KeeperJwtOptions) {
    this.lifetime = Math.min(options.lifetimeSeconds ?? 300, 300);
    this.renewBefore = options.renewBeforeSeconds ?? 60;
    this.now = options.now ?? Date.now;
  }

  async token(): Promise<string> {
    const nowSeconds = Math.floor(this.now() / 1000);
    if (this.current && this.current.exp - this.renewBefore > nowSeconds) return this.current.token;
    this.pending ??= this.sign(nowSeconds).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async sign(iat: number): Promise<string> {
    const exp = iat + this.lifetime;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: "HS512", typ: "JWT" })
      .setIssuer(this.options.partnerKey.reveal())
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(this.options.secret.reveal()));
    this.current = { token, exp };
    this.signed++;
    return token;
  }
}
