/**
 * Entra ID client-credentials tokens for the Marketplace SaaS API (microsoft-marketplace.md: Token):
 * v1 form (`resource`) or v2 (`scope=<resource>/.default`); numbers that arrive as strings parsed; one
 * token cached until shortly before it expires; concurrent callers share one request.
 */
import { VendorError } from "../../domain/errors";
import type { CallContext } from "../../domain/connector";
import type { ConnectionInfo } from "../../domain/model";
import type { Secret } from "../../domain/secret";
import type { Upstream } from "../../http/upstream";
import type { MsTokenResponse } from "./wire";

export interface EntraTokenOptions {
  tokenUrl: string;
  version: "v1" | "v2";
  clientId: string;
  clientSecret: Secret;
  resource: string;
  renewBeforeSeconds?: number;
  now: () => number;
}

function seconds(value: unknown): number | undefined {
  const n = typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

export class EntraTokenSource {
  private current: { token: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;
  /** Tokens fetched so far (tests, metrics). */
  fetched = 0;

  constructor(
    private readonly info: ConnectionInfo,
    private readonly upstream: Upstream,
    private readonly options: EntraTokenOptions,
  ) {}

  async token(call: CallContext): Promise<string> {
    const renewBefore = (this.options.renewBeforeSeconds ?? 300) * 1000;
    if (this.current && this.current.expiresAt - renewBefore > this.options.now()) return this.current.token;
    this.pending ??= this.fetch(call).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Forget the token (the API refused it). */
  reset(): void {
    this.current = undefined;
  }

  private async fetch(call: CallContext): Promise<string> {
    const form = new URLSearchParams({ grant_type: "client_credentials", client_id: this.options.clientId, client_secret: this.options.clientSecret.reveal() });
    if (this.options.version === "v2") form.set("scope", `${this.options.resource}/.default`);
    else form.set("resource", this.options.resource);
    const res = await this.upstream.send(call, {
      route: "token",
      method: "POST",
      path: "",
      url: this.options.tokenUrl,
      headers: () => ({ "content-type": "application/x-www-form-urlencoded" }),
      body: form.toString(),
      idempotent: true,
    });
    let body: MsTokenResponse;
    try {
      body = JSON.parse(res.text) as MsTokenResponse;
    } catch {
      throw new VendorError("VENDOR_BAD_RESPONSE", { vendor: this.info.vendor, connectionId: this.info.id }, "The token endpoint's answer is not JSON");
    }
    if (typeof body.access_token !== "string" || body.access_token === "") {
      throw new VendorError("VENDOR_AUTH_FAILED", { vendor: this.info.vendor, connectionId: this.info.id }, "The token endpoint gave no access token");
    }
    const now = this.options.now();
    const expiresOn = seconds(body.expires_on);
    const expiresIn = seconds(body.expires_in);
    const expiresAt = expiresOn !== undefined ? expiresOn * 1000 : now + (expiresIn ?? 300) * 1000;
    this.current = { token: body.access_token, expiresAt };
    this.fetched++;
    return body.access_token;
  }
}
