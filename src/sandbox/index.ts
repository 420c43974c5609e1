/**
 * Sandbox mode: every vendor simulator in-process, with realistic data, and a gateway configuration
 * pointing at them. Used by `npm start` when no GATEWAY_CONFIG is set, and by tests and benchmarks.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signCallerToken } from "../auth/caller";
import { parseConfig, type GatewayConfig } from "../config";
import type { SimulatorHandle } from "../simulator-kit";
import {
  createKeeperDistributorSimulator,
  KEEPER_DISTRIBUTOR_SANDBOX,
  type KeeperDistributorSimulator,
} from "../vendors/keeper-distributor/simulator/server";
import { createKeeperMspSimulator, KEEPER_MSP_SANDBOX_TOKEN, type KeeperMspSimulator } from "../vendors/keeper-msp/simulator/server";
import { createWebexSimulator, WEBEX_SANDBOX_TOKEN, type WebexSimulator } from "../vendors/webex-wholesale/simulator/server";
import { createMarketplaceSimulator, MARKETPLACE_SANDBOX, type MarketplaceSimulator } from "../vendors/microsoft-marketplace/simulator/server";
import { createPartnerBillingSimulator, PARTNER_BILLING_SANDBOX, type PartnerBillingSimulator } from "../vendors/microsoft-partner-billing/simulator/server";
import { formatBillingPeriod, periodOf, previousPeriod, type BillingPeriod } from "../domain/period";
// The mapping file is read from disk (as a user's would be); importing it also puts it beside the compiled sandbox.
import "./customer-directory.json";

export const SANDBOX_ISSUER = "billing-gateway-sandbox";
export const SANDBOX_AUDIENCE = "billing-gateway";
export const SANDBOX_CONNECTIONS = {
  keeperMsp: "keeper-msp",
  keeperDistributor: "keeper-distributor",
  webex: "webex-wholesale",
  marketplace: "microsoft-marketplace",
  partnerBilling: "microsoft-partner-billing",
} as const;

/** The sandbox's Microsoft invoices: one per month for the last six months. */
export function sandboxInvoices(now: Date): Array<{ invoiceId: string; periodStart: string; lines: number; period: string }> {
  let p: BillingPeriod = periodOf(now);
  const out = [];
  for (let i = 0; i < 6; i++) {
    p = previousPeriod(p);
    const period = formatBillingPeriod(p);
    out.push({ invoiceId: `G0${period.replace("-", "")}11`, periodStart: `${period}-01`, lines: 240, period });
  }
  return out;
}
/**
 * The sandbox's price book: Webex wholesale prices per user-day (Webex reports carry none; WXC-PRO's
 * changed at the start of 2025), a default markup, a Webex markup, a per-SKU resale price for Keeper
 * Enterprise, one customer's own price for the Webex Suite and a minimum charge on Common Area Calling.
 * Keeper and Microsoft lines are costed at the vendor's own amounts.
 */
export const SANDBOX_PRICE_BOOK = {
  wholesale: [
    { vendor: "WEBEX", sku: "WXC-PRO", unitPrice: "0.35", currency: "USD", validFrom: "2020-01", validTo: "2024-12" },
    { vendor: "WEBEX", sku: "WXC-PRO", unitPrice: "0.3667", currency: "USD", validFrom: "2025-01" },
    { vendor: "WEBEX", sku: "WXM-STD", unitPrice: "0.2333", currency: "USD", validFrom: "2020-01" },
    { vendor: "WEBEX", sku: "WX-SUITE", unitPrice: "0.5333", currency: "USD", validFrom: "2020-01" },
    { vendor: "WEBEX", sku: "WXC-CA", unitPrice: "0.0833", currency: "USD", validFrom: "2020-01" },
  ],
  resale: [
    { markupPercent: "15" },
    { vendor: "WEBEX", markupPercent: "25" },
    { vendor: "KEEPER", sku: "10010", unitPrice: "4.50", currency: "USD" },
    { customerId: "harbor-dental", sku: "WX-SUITE", unitPrice: "0.70", currency: "USD" },
    { vendor: "WEBEX", sku: "WXC-CA", minimum: "5.00", currency: "USD" },
  ],
};

/**
 * The sandbox's customer directory (a mapping file as an MSP keeps it in its config repository): Harbor
 * Family Dental, Kestrel Logistics and Contoso Pharma joined across Keeper, Webex and Microsoft, and
 * Northstar Credit Union with no company linked, so its Webex company (CUSTOMER_EXTERNAL_ID PSA-1004, its
 * PSA company id) is the deliberate unmapped company with a suggestion.
 */
export const SANDBOX_MAPPING_FILE = join(__dirname, "customer-directory.json");

/** An account of the sandbox distributor that is in TRIAL, for the lifecycle example. */
export const SANDBOX_TRIAL_ACCOUNT = "fabrikam-003";

export interface Sandbox {
  config: GatewayConfig;
  /** The shared secret caller tokens are signed with (sandbox only). */
  callerSecret: string;
  devToken: string;
  keeperMsp: KeeperMspSimulator;
  keeperDistributor: KeeperDistributorSimulator;
  webex: WebexSimulator;
  marketplace: MarketplaceSimulator;
  partnerBilling: PartnerBillingSimulator;
  simulators: SimulatorHandle[];
  close(): Promise<void>;
}

export interface SandboxOptions {
  now?: () => Date;
  /** Extra configuration merged into the generated one (TTLs, upstream settings). */
  overrides?: Record<string, unknown>;
  /** Every simulator answers this much later (SANDBOX_LATENCY_MS in `npm start`). */
  latencyMs?: number;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const keeperMsp = await createKeeperMspSimulator({ now: options.now });
  const keeperDistributor = await createKeeperDistributorSimulator({ now: options.now });
  // Reports complete after two polls: a playground user sees IN_PROGRESS, then COMPLETED.
  const webex = await createWebexSimulator({ now: options.now, pollsToComplete: 2 });
  const marketplace = await createMarketplaceSimulator({ now: options.now });
  const invoices = sandboxInvoices(options.now?.() ?? new Date());
  const partnerBilling = await createPartnerBillingSimulator({ now: options.now, invoices, pollsToComplete: 1, retryAfterSeconds: 1, linesPerBlob: 100 });
  const callerSecret = randomBytes(32).toString("base64url");
  const dataDir = mkdtempSync(join(tmpdir(), "gateway-sandbox-directory-"));
  const config = parseConfig({
    auth: { issuer: SANDBOX_ISSUER, audience: SANDBOX_AUDIENCE, hs256Secret: callerSecret },
    connections: [
      {
        id: SANDBOX_CONNECTIONS.keeperMsp,
        vendor: "keeper-msp",
        name: "Keeper MSP (sandbox)",
        baseUrl: keeperMsp.url,
        apiToken: KEEPER_MSP_SANDBOX_TOKEN,
      },
      {
        id: SANDBOX_CONNECTIONS.keeperDistributor,
        vendor: "keeper-distributor",
        name: "Keeper distributor (sandbox)",
        baseUrl: keeperDistributor.url,
        partnerKey: KEEPER_DISTRIBUTOR_SANDBOX.partnerKey,
        secret: KEEPER_DISTRIBUTOR_SANDBOX.secret,
        vendorName: KEEPER_DISTRIBUTOR_SANDBOX.vendorName,
      },
      {
        id: SANDBOX_CONNECTIONS.webex,
        vendor: "webex-wholesale",
        name: webex.world.partnerName,
        baseUrl: webex.url,
        accessToken: WEBEX_SANDBOX_TOKEN,
        subPartners: webex.world.subPartners,
        reportWait: { maxWaitMs: 5_000, pollBaseMs: 200, pollMaxMs: 1_000 },
      },
      {
        id: SANDBOX_CONNECTIONS.marketplace,
        vendor: "microsoft-marketplace",
        name: "Contoso (marketplace publisher)",
        baseUrl: `${marketplace.url}/api`,
        tenantId: MARKETPLACE_SANDBOX.tenantId,
        clientId: MARKETPLACE_SANDBOX.clientId,
        clientSecret: MARKETPLACE_SANDBOX.clientSecret,
        tokenUrl: `${marketplace.url}/${MARKETPLACE_SANDBOX.tenantId}/oauth2/token`,
        webhook: {
          jwksUrl: marketplace.jwksUrl,
          issuer: marketplace.issuer,
          audience: MARKETPLACE_SANDBOX.publisherAppId,
          tenantId: MARKETPLACE_SANDBOX.tenantId,
        },
      },
      {
        id: SANDBOX_CONNECTIONS.partnerBilling,
        vendor: "microsoft-partner-billing",
        name: "Contoso CSP (Partner Center)",
        baseUrl: `${partnerBilling.url}/v1.0`,
        tenantId: PARTNER_BILLING_SANDBOX.tenantId,
        clientId: PARTNER_BILLING_SANDBOX.clientId,
        clientSecret: PARTNER_BILLING_SANDBOX.clientSecret,
        tokenUrl: `${partnerBilling.url}/${PARTNER_BILLING_SANDBOX.tenantId}/oauth2/v2.0/token`,
        invoices: Object.fromEntries(invoices.map((i) => [i.period, i.invoiceId])),
      },
    ],
    priceBook: SANDBOX_PRICE_BOOK,
    // Edits made through the API persist in a temp directory of this sandbox (removed on close).
    customerDirectory: { mappingFile: SANDBOX_MAPPING_FILE, dataDir },
    // The sandbox is for exploring: schema introspection and the playground are on.
    introspection: true,
    playground: true,
    // One developer at a keyboard (and the tests' corpora): no per-caller limit.
    rateLimit: false,
    ...options.overrides,
  });
  const devToken = await signCallerToken(callerSecret, {
    issuer: SANDBOX_ISSUER,
    audience: SANDBOX_AUDIENCE,
    subject: "sandbox-dev",
    connections: "*",
    // The developer exploring the sandbox may do everything, the audit log included.
    roles: ["admin"],
    expiresIn: "30d",
  });
  const simulators: SimulatorHandle[] = [keeperMsp, keeperDistributor, webex, marketplace, partnerBilling];
  if (options.latencyMs) for (const s of simulators) s.faults.setLatency(options.latencyMs);
  return {
    config,
    callerSecret,
    devToken,
    keeperMsp,
    keeperDistributor,
    webex,
    marketplace,
    partnerBilling,
    simulators,
    async close() {
      await Promise.all(simulators.map((s) => s.close()));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
