/**
 * Gateway configuration: a JSON file named by GATEWAY_CONFIG, validated whole at start with messages
 * that name the field. Every secret field takes a literal or `{ "env": "NAME" }` and becomes a Secret.
 * PORT and HOST choose where the gateway listens.
 */
import { DEFAULT_AUDIT_MAX_ENTRIES } from "./audit/audit-log";
import { readFileSync } from "node:fs";
import { resolve as resolvePath } from "node:path";
import { z } from "zod";
import { Secret } from "./domain/secret";
import { DEFAULT_TTLS, type CacheTtls } from "./vendors/connector-kit";
import { DEFAULT_HTTP_SETTINGS, type HttpSettings } from "./http/upstream";
import { DEFAULT_GOVERNOR, type GovernorSettings } from "./http/governor";
import { DEFAULT_REDIS_TIMEOUTS, type RedisTimeouts } from "./cache/redis";
import type { MarketplaceConnectionConfig } from "./vendors/microsoft-marketplace";
import type { PartnerBillingConnectionConfig } from "./vendors/microsoft-partner-billing";
import { DEFAULT_LIMITS, type QueryLimits } from "./graphql/limits";
import { DEFAULT_RATE_LIMIT, type RateLimitConfig } from "./http/rate-limit";
import type { TrustedDocumentsConfig } from "./graphql/trusted-documents";
import { DEFAULT_SERVICE_NAME, type TracingConfig } from "./tracing";
import { Dec, isDecimalText } from "./domain/money";
import { EMPTY_PRICE_BOOK_CONFIG, priceBookProblems, validityDay, type PriceBookConfig } from "./pricing/price-book";
import { isPricingCurrency } from "./pricing/rounding";

const secretField = z.union([
  z.string().min(1, "must not be empty"),
  z.object({ env: z.string().min(1, "must name an environment variable") }).strict(),
]);

const REDIS_URL = /^rediss?:\/\//;

const connectionId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");

function isHttpUrl(text: string): boolean {
  try {
    return ["http:", "https:"].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

const baseUrl = z.string().refine(isHttpUrl, "must be an absolute http(s) URL");

/** Asymmetric algorithms a JWKS may sign caller tokens with; HS256 is only for `hs256Secret`. */
export const JWKS_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;
export type JwksAlgorithm = (typeof JWKS_ALGORITHMS)[number];

/** The vendor quota governor's bounds (src/http/governor.ts); each defaults to the vendor's DEFAULT_GOVERNOR. */
const governorField = z
  .object({
    maxConcurrent: z.number().int().min(1).max(256),
    maxPerSecond: z.number().positive().max(10_000),
    maxQueue: z.number().int().min(0).max(10_000),
  })
  .partial()
  .strict();

const keeperMsp = z
  .object({
    id: connectionId,
    vendor: z.literal("keeper-msp"),
    name: z.string().optional(),
    governor: governorField.optional(),
    baseUrl: baseUrl.default("https://keepersecurity.com"),
    apiToken: secretField,
  })
  .strict();

const keeperDistributor = z
  .object({
    id: connectionId,
    vendor: z.literal("keeper-distributor"),
    name: z.string().optional(),
    governor: governorField.optional(),
    baseUrl: baseUrl.default("https://keepersecurity.com"),
    partnerKey: secretField,
    secret: secretField,
    vendorName: z.string().min(1, "must not be empty"),
  })
  .strict();

const webexWholesale = z
  .object({
    id: connectionId,
    vendor: z.literal("webex-wholesale"),
    name: z.string().optional(),
    governor: governorField.optional(),
    baseUrl: baseUrl.default("https://webexapis.com/v1"),
    accessToken: secretField,
    subPartners: z.array(z.object({ orgId: z.string().min(1), name: z.string().optional() }).strict()).default([]),
    reportWait: z
      .object({
        maxWaitMs: z.number().int().nonnegative(),
        pollBaseMs: z.number().int().positive(),
        pollMaxMs: z.number().int().positive(),
      })
      .partial()
      .strict()
      .optional(),
  })
  .strict();

const microsoftMarketplace = z
  .object({
    id: connectionId,
    vendor: z.literal("microsoft-marketplace"),
    name: z.string().optional(),
    governor: governorField.optional(),
    baseUrl: baseUrl.default("https://marketplaceapi.microsoft.com/api"),
    tenantId: z.string().min(1, "must not be empty"),
    clientId: z.string().min(1, "must not be empty"),
    clientSecret: secretField,
    /** Defaults to Entra's v1 endpoint for the tenant. */
    tokenUrl: baseUrl.optional(),
    tokenVersion: z.enum(["v1", "v2"]).default("v1"),
    resource: z.string().min(1).default("20e940b3-4c77-4b0b-9a53-9e16a1b010a7"),
    webhook: z
      .object({
        jwksUrl: baseUrl,
        issuer: z.string().min(1),
        audience: z.string().min(1),
        tenantId: z.string().min(1),
        /** Calling apps allowed (`appid`/`azp`): Microsoft's marketplace app by default. */
        allowedAppIds: z.array(z.string().min(1)).min(1, "must list at least one app id").default(["20e940b3-4c77-4b0b-9a53-9e16a1b010a7"]),
        policy: z
          .object({ changePlan: z.enum(["accept", "reject"]).default("accept"), changeQuantity: z.enum(["accept", "reject"]).default("accept") })
          .strict()
          .default({}),
      })
      .strict()
      .optional(),
  })
  .strict();

const microsoftPartnerBilling = z
  .object({
    id: connectionId,
    vendor: z.literal("microsoft-partner-billing"),
    name: z.string().optional(),
    governor: governorField.optional(),
    baseUrl: baseUrl.default("https://graph.microsoft.com/v1.0"),
    tenantId: z.string().min(1, "must not be empty"),
    clientId: z.string().min(1, "must not be empty"),
    clientSecret: secretField,
    tokenUrl: baseUrl.optional(),
    invoices: z.record(z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "keys must be billing periods YYYY-MM"), z.string().min(1)).default({}),
    attributeSet: z.enum(["full", "basic"]).default("full"),
    maxWaitMs: z.number().int().positive().default(20_000),
    blobConcurrency: z.number().int().min(1).max(16).default(4),
    memoryLineLimit: z.number().int().nonnegative().default(10_000),
  })
  .strict();

// ---- priceBook (src/pricing/price-book.ts; README "Price book") -------------------------------------

/** Money and percentages are decimal text in the file, never JSON numbers (a number may already have lost digits). */
const decimalText = z.string().refine(isDecimalText, 'must be a decimal string, e.g. "12.50"');
const nonNegativeDecimal = decimalText.refine((t) => !t.trim().startsWith("-"), "must not be negative");
const pricingCurrency = z.string().refine(isPricingCurrency, "must be an upper-case ISO 4217 currency code with a minor unit, e.g. USD");
const validity = (end: boolean) => z.string().refine((t) => validityDay(t, end) !== null, "must be YYYY-MM or a date YYYY-MM-DD");
const pricingVendor = z.enum(["KEEPER", "WEBEX", "MICROSOFT"], { errorMap: () => ({ message: "must be KEEPER, WEBEX or MICROSOFT" }) });
const productId = z.string().min(1, "must not be empty");
const customerRef = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must be a customer id of the directory (1-64 letters, digits, '.', '_' or '-')");

const wholesalePrice = z
  .object({
    connectionId: connectionId.optional(),
    vendor: pricingVendor.optional(),
    sku: productId,
    unitPrice: nonNegativeDecimal,
    currency: pricingCurrency,
    validFrom: validity(false),
    validTo: validity(true).optional(),
  })
  .strict();

const resaleRule = z
  .object({
    customerId: customerRef.optional(),
    vendor: pricingVendor.optional(),
    sku: productId.optional(),
    unitPrice: nonNegativeDecimal.optional(),
    currency: pricingCurrency.optional(),
    markupPercent: decimalText.refine((t) => !isDecimalText(t) || new Dec(t.trim()).gte(-100), "must not be below -100").optional(),
    minimum: nonNegativeDecimal.optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [path], message });
    const kinds = (["unitPrice", "markupPercent", "minimum"] as const).filter((k) => r[k] !== undefined);
    if (kinds.length !== 1) {
      issue(kinds[1] ?? "unitPrice", `a rule has exactly one of unitPrice, markupPercent or minimum${kinds.length ? ` (this one has ${kinds.join(" and ")})` : ""}`);
      return;
    }
    if (r.unitPrice !== undefined && r.sku === undefined) issue("sku", "a unitPrice rule needs the sku it prices");
    if ((r.unitPrice !== undefined || r.minimum !== undefined) && r.currency === undefined) issue("currency", `${kinds[0]} needs its currency`);
    if (r.markupPercent !== undefined && r.currency !== undefined) issue("currency", "a markup is applied in the cost's own currency: leave currency out");
  });

const priceBook = z
  .object({
    wholesale: z.array(wholesalePrice).default([]),
    resale: z.array(resaleRule).default([]),
  })
  .strict();

const VENDOR_IDS = "keeper-msp, keeper-distributor, webex-wholesale, microsoft-marketplace, microsoft-partner-billing";

const connection = z.discriminatedUnion("vendor", [keeperMsp, keeperDistributor, webexWholesale, microsoftMarketplace, microsoftPartnerBilling], {
  errorMap: (issue, ctx) =>
    issue.code === "invalid_union_discriminator" ? { message: `must be one of ${VENDOR_IDS}` } : { message: ctx.defaultError },
});

const customerId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 letters, digits, '.', '_' or '-'");
const vendorRef = z.object({ kind: z.string().min(1, "must not be empty").max(64), value: z.string().min(1, "must not be empty").max(256) }).strict();

/** The mapping file (customerDirectory.mappingFile): the MSP's customers and each one's companies at the vendors. */
const mappingFileSchema = z
  .object({
    customers: z.array(
      z
        .object({
          id: customerId,
          name: z.string().min(1, "must not be empty").max(200),
          psaCompanyId: z.string().min(1, "must not be empty").max(128).optional(),
          companies: z.array(vendorRef).default([]),
        })
        .strict(),
    ),
  })
  .strict();

const fileSchema = z
  .object({
    auth: z
      .object({
        issuer: z.string().min(1),
        audience: z.string().min(1),
        hs256Secret: secretField.optional(),
        jwksUrl: baseUrl.optional(),
        /** Signature algorithms accepted from the JWKS (pinned: the token's own `alg` is never trusted alone). */
        algorithms: z.array(z.enum(JWKS_ALGORITHMS)).min(1).optional(),
        /** Leeway for `exp`, `nbf` and `iat` against the issuer's clock. */
        clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
        /** The claim that lists the caller's roles (an array, or a space-separated string); `scope` and `scp` are read too. */
        rolesClaim: z.string().regex(/^[A-Za-z0-9_.:/-]{1,100}$/, "must be a claim name").default("roles"),
        /** How long fetched keys are trusted, and the least time between two fetches (an unknown `kid` triggers one). */
        jwksCacheSeconds: z.number().int().min(1).max(86_400).default(600),
        jwksCooldownSeconds: z.number().int().min(0).max(3600).default(30),
      })
      .strict()
      .refine((a) => Boolean(a.hs256Secret) !== Boolean(a.jwksUrl), "needs exactly one of hs256Secret or jwksUrl")
      .refine((a) => !a.algorithms || Boolean(a.jwksUrl), "algorithms go with jwksUrl (hs256Secret is HS256 only)"),
    connections: z.array(connection).min(1, "must list at least one connection"),
    /** Wholesale prices and resale rules (src/pricing/price-book.ts); none: vendor costs only, no resale. */
    priceBook: priceBook.optional(),
    /** The MSP's own customer directory: one customer's vendor ids at each vendor (what joins them). */
    customers: z
      .array(
        z
          .object({
            id: customerId,
            name: z.string().min(1),
            externalIds: z.array(z.object({ kind: z.string().min(1), value: z.string().min(1) }).strict()).min(1, "must list at least one vendor id"),
          })
          .strict(),
      )
      .default([]),
    /**
     * The customer directory: a mapping file (checked into the MSP's config repository) and where the
     * edits made through the API persist (`dataDir`, for the embedded store; Redis when it is the store).
     */
    customerDirectory: z
      .object({
        mappingFile: z.string().min(1, "must not be empty").optional(),
        dataDir: z.string().min(1, "must not be empty").optional(),
        /** The directory's name in a shared Redis store (several deployments on one Redis keep apart). */
        name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 letters, digits, '.', '_' or '-'").optional(),
      })
      .strict()
      .optional(),
    cache: z
      .object({
        /** A literal, or `{ "env": NAME }`: a URL with a password in it is a secret. */
        redisUrl: z
          .union([z.string().regex(REDIS_URL, "must be a redis:// or rediss:// URL"), z.object({ env: z.string().min(1, "must name an environment variable") }).strict()])
          .optional(),
        redisTimeouts: z
          .object({
            commandMs: z.number().int().positive(),
            connectMs: z.number().int().positive(),
            reconnectMaxDelayMs: z.number().int().positive(),
            probeIntervalMs: z.number().int().positive(),
          })
          .partial()
          .strict()
          .optional(),
        ttlSeconds: z
          .object({
            currentUsage: z.number().int().nonnegative(),
            accounts: z.number().int().nonnegative(),
            openPeriod: z.number().int().nonnegative(),
            closedPeriod: z.number().int().nonnegative(),
            catalogue: z.number().int().nonnegative(),
          })
          .partial()
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    /** Query limits (src/graphql/limits.ts); each defaults to DEFAULT_LIMITS. */
    limits: z
      .object({
        maxDepth: z.number().int().positive(),
        maxAliases: z.number().int().nonnegative(),
        maxTokens: z.number().int().positive(),
        maxCost: z.number().int().positive(),
        assumedListSize: z.number().int().positive(),
        maxPageSize: z.number().int().positive(),
        maxBodyBytes: z.number().int().positive(),
      })
      .partial()
      .strict()
      .optional(),
    /** Requests per caller (token subject) per window, answered 429 with Retry-After past it; `false` turns it off. */
    rateLimit: z
      .union([z.literal(false), z.object({ requests: z.number().int().positive(), windowSeconds: z.number().int().positive() }).strict()])
      .optional(),
    /** The audit log of mutations (Query.auditLog), kept in the store: its newest maxEntries per tenant. */
    audit: z.object({ maxEntries: z.number().int().min(100).max(1_000_000) }).strict().optional(),
    /** Schema introspection (`__schema`, `__type`); off unless set (the sandbox turns it on). */
    introspection: z.boolean().optional(),
    /** The playground on GET /graphql; off unless set (the sandbox turns it on). */
    playground: z.boolean().optional(),
    /** Serve /graphql as an Apollo Federation v2 subgraph (`_service`, `_entities`, entity keys); off unless set. */
    subgraph: z.boolean().optional(),
    /** "safelist": only schema/operations (and trustedDocumentsFile's hashes) run. */
    trustedDocuments: z.enum(["off", "safelist"]).optional(),
    /** A JSON file of allowed document hashes: an array of sha256 hex strings, or codegen's persisted-documents object (hash -> text). */
    trustedDocumentsFile: z.string().min(1).optional(),
    upstream: z
      .object({
        requestDeadlineMs: z.number().int().positive(),
        connectTimeoutMs: z.number().int().positive(),
        headersTimeoutMs: z.number().int().positive(),
        bodyTimeoutMs: z.number().int().positive(),
        maxAttempts: z.number().int().min(1).max(10),
        baseDelayMs: z.number().int().nonnegative(),
        maxDelayMs: z.number().int().nonnegative(),
        maxRetryAfterSeconds: z.number().int().nonnegative(),
        /** Governor bounds for every connection; a connection's own `governor` wins. */
        governor: governorField,
      })
      .partial()
      .strict()
      .optional(),
    /**
     * GET /metrics (Prometheus text). Off unless configured: `token` serves it on the gateway's port to
     * `Authorization: Bearer <token>`; `port` serves it, open, on a port of its own (on HOST), for a
     * network only the scraper reaches. Both may be given (then the separate port also needs the token).
     */
    metrics: z
      .object({
        token: secretField.optional(),
        port: z.number().int().min(0).max(65535).optional(),
      })
      .strict()
      .refine((m) => m.token !== undefined || m.port !== undefined, "needs a token or a port (or leave metrics out to turn /metrics off)")
      .optional(),
    /**
     * OpenTelemetry traces, sent to an OTLP/HTTP (JSON) traces endpoint; off when absent. `headers` go
     * to the collector with every export (an API key): each value is a secret.
     */
    tracing: z
      .object({
        otlpUrl: baseUrl,
        serviceName: z.string().min(1, "must not be empty").max(128).optional(),
        sampleRatio: z.number().min(0).max(1).optional(),
        headers: z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "keys must be HTTP header names"), secretField).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.connections.forEach((c, i) => {
      if (seen.has(c.id)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["connections", i, "id"], message: `duplicate connection id "${c.id}"` });
      seen.add(c.id);
    });
    if (cfg.priceBook) for (const p of priceBookProblems(cfg.priceBook)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: p.path, message: p.message });
  });

type FileConfig = z.infer<typeof fileSchema>;

export type ConnectionConfig =
  | { id: string; vendor: "keeper-msp"; name?: string; baseUrl: string; apiToken: Secret }
  | { id: string; vendor: "keeper-distributor"; name?: string; baseUrl: string; partnerKey: Secret; secret: Secret; vendorName: string }
  | {
      id: string;
      vendor: "webex-wholesale";
      name?: string;
      baseUrl: string;
      accessToken: Secret;
      subPartners: Array<{ orgId: string; name?: string }>;
      reportWait: { maxWaitMs: number; pollBaseMs: number; pollMaxMs: number };
    }
  | ({ vendor: "microsoft-marketplace" } & MarketplaceConnectionConfig)
  | ({ vendor: "microsoft-partner-billing" } & PartnerBillingConnectionConfig);

export interface CallerAuthConfig {
  issuer: string;
  audience: string;
  hs256Secret?: Secret;
  jwksUrl?: string;
  /** With jwksUrl: the algorithms accepted (default RS256 and ES256). */
  algorithms?: JwksAlgorithm[];
  clockToleranceSeconds?: number;
  rolesClaim?: string;
  jwksCacheSeconds?: number;
  jwksCooldownSeconds?: number;
}

export interface CustomerConfig {
  id: string;
  name: string;
  externalIds: Array<{ kind: string; value: string }>;
}

/** One customer of the directory as configured (mapping file, or the config's `customers`). */
export interface DirectoryCustomerConfig {
  id: string;
  name: string;
  psaCompanyId: string | null;
  externalIds: Array<{ kind: string; value: string }>;
}

export interface CustomerDirectoryConfig {
  /** The mapping file's customers and the config's `customers`, merged (ids unique, each vendor id in one customer). */
  customers: DirectoryCustomerConfig[];
  mappingFile?: string;
  /** Where the embedded store keeps the edits (default `./data`, relative to the working directory). */
  dataDir: string;
  /** The directory's key in a shared Redis store. */
  name: string;
}

export const DEFAULT_DIRECTORY_DATA_DIR = "data";

export interface GatewayConfig {
  auth: CallerAuthConfig;
  connections: ConnectionConfig[];
  customers: CustomerConfig[];
  /** Wholesale prices and resale rules; empty when not configured. */
  priceBook: PriceBookConfig;
  customerDirectory: CustomerDirectoryConfig;
  ttls: CacheTtls;
  /** Redis for the response cache; in-memory when absent. A Secret: its password must never print. */
  redisUrl?: Secret;
  /** How long the gateway waits on Redis before it treats it as down (see RedisTimeouts). */
  redisTimeouts: RedisTimeouts;
  http: HttpSettings;
  /** The quota governor's bounds, per connection id (vendor defaults merged with configuration). */
  governors: Map<string, GovernorSettings>;
  requestDeadlineMs: number;
  limits: QueryLimits;
  /** Per-caller request limit; null when turned off. */
  rateLimit: RateLimitConfig | null;
  audit: { maxEntries: number };
  introspection: boolean;
  playground: boolean;
  /** Served as an Apollo Federation v2 subgraph (graphql/federation.ts). */
  subgraph: boolean;
  trustedDocuments: TrustedDocumentsConfig;
  /** Where /metrics is served and how it is protected; absent: not served (sandbox: open). */
  metrics?: MetricsAccessConfig;
  /** Where traces are exported; absent: tracing is off. */
  tracing?: TracingConfig;
}

export interface MetricsAccessConfig {
  /** Bearer token a scraper must send. */
  token?: Secret;
  /** A separate port (on the gateway's host) that serves only /metrics. */
  port?: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid gateway configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

function fieldPath(path: Array<string | number>): string {
  return path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), "");
}

/** Validates a parsed configuration object; resolves `{env}` secrets from `env`. */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const result = fileSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${fieldPath(i.path) || "(root)"}: ${i.message}`));
  }
  const cfg: FileConfig = result.data;
  const problems: string[] = [];
  const secret = (value: string | { env: string }, path: string): Secret => {
    if (typeof value === "string") return new Secret(value);
    const fromEnv = env[value.env];
    if (fromEnv === undefined || fromEnv === "") {
      problems.push(`${path}: environment variable ${value.env} is not set`);
      return new Secret("");
    }
    return new Secret(fromEnv);
  };

  const connections: ConnectionConfig[] = cfg.connections.map((c, i) => {
    const at = `connections[${i}]`;
    if (c.vendor === "keeper-msp") {
      return { id: c.id, vendor: c.vendor, name: c.name, baseUrl: c.baseUrl, apiToken: secret(c.apiToken, `${at}.apiToken`) };
    }
    if (c.vendor === "microsoft-partner-billing") {
      return {
        id: c.id,
        vendor: c.vendor,
        name: c.name,
        baseUrl: c.baseUrl,
        tenantId: c.tenantId,
        clientId: c.clientId,
        clientSecret: secret(c.clientSecret, `${at}.clientSecret`),
        tokenUrl: c.tokenUrl ?? `https://login.microsoftonline.com/${encodeURIComponent(c.tenantId)}/oauth2/v2.0/token`,
        invoices: c.invoices,
        attributeSet: c.attributeSet,
        maxWaitMs: c.maxWaitMs,
        blobConcurrency: c.blobConcurrency,
        memoryLineLimit: c.memoryLineLimit,
      };
    }
    if (c.vendor === "microsoft-marketplace") {
      return {
        id: c.id,
        vendor: c.vendor,
        name: c.name,
        baseUrl: c.baseUrl,
        tenantId: c.tenantId,
        clientId: c.clientId,
        clientSecret: secret(c.clientSecret, `${at}.clientSecret`),
        tokenUrl: c.tokenUrl ?? `https://login.microsoftonline.com/${encodeURIComponent(c.tenantId)}/oauth2/${c.tokenVersion === "v2" ? "v2.0/" : ""}token`,
        tokenVersion: c.tokenVersion,
        resource: c.resource,
        webhook: c.webhook,
      };
    }
    if (c.vendor === "webex-wholesale") {
      return {
        id: c.id,
        vendor: c.vendor,
        name: c.name,
        baseUrl: c.baseUrl,
        accessToken: secret(c.accessToken, `${at}.accessToken`),
        subPartners: c.subPartners,
        // Wait for a report within one request for up to 10 s, polling from 1 s doubling to 4 s (no server hint exists).
        reportWait: { maxWaitMs: 10_000, pollBaseMs: 1_000, pollMaxMs: 4_000, ...c.reportWait },
      };
    }
    return {
      id: c.id,
      vendor: c.vendor,
      name: c.name,
      baseUrl: c.baseUrl,
      partnerKey: secret(c.partnerKey, `${at}.partnerKey`),
      secret: secret(c.secret, `${at}.secret`),
      vendorName: c.vendorName,
    };
  });

  const auth: CallerAuthConfig = {
    issuer: cfg.auth.issuer,
    audience: cfg.auth.audience,
    hs256Secret: cfg.auth.hs256Secret ? secret(cfg.auth.hs256Secret, "auth.hs256Secret") : undefined,
    jwksUrl: cfg.auth.jwksUrl,
    algorithms: cfg.auth.algorithms,
    clockToleranceSeconds: cfg.auth.clockToleranceSeconds,
    rolesClaim: cfg.auth.rolesClaim,
    jwksCacheSeconds: cfg.auth.jwksCacheSeconds,
    jwksCooldownSeconds: cfg.auth.jwksCooldownSeconds,
  };
  const metrics: MetricsAccessConfig | undefined = cfg.metrics && {
    token: cfg.metrics.token !== undefined ? secret(cfg.metrics.token, "metrics.token") : undefined,
    port: cfg.metrics.port,
  };
  const tracing: TracingConfig | undefined = cfg.tracing && {
    otlpUrl: cfg.tracing.otlpUrl,
    serviceName: cfg.tracing.serviceName ?? DEFAULT_SERVICE_NAME,
    sampleRatio: cfg.tracing.sampleRatio ?? 1,
    headers: Object.fromEntries(Object.entries(cfg.tracing.headers ?? {}).map(([name, value]) => [name, secret(value, `tracing.headers.${name}`)])),
  };
  const redisUrl = cfg.cache?.redisUrl === undefined ? undefined : secret(cfg.cache.redisUrl, "cache.redisUrl");
  // Checked here for a URL from the environment too; the message does not repeat it (it may hold a password).
  if (redisUrl && redisUrl.reveal() !== "" && !REDIS_URL.test(redisUrl.reveal())) problems.push("cache.redisUrl: must be a redis:// or rediss:// URL");
  const customerDirectory = directoryConfig(cfg, problems);
  // A router writes its own operations to a subgraph (one per query plan step): no safelist of ours holds them.
  if (cfg.subgraph && cfg.trustedDocuments === "safelist") {
    problems.push('subgraph: a subgraph runs the operations its router plans, which no safelist holds: use trustedDocuments "off" and safelist at the router');
  }
  if (problems.length) throw new ConfigError(problems);

  const t = cfg.cache?.ttlSeconds ?? {};
  const s = (v: number | undefined, fallbackMs: number) => (v === undefined ? fallbackMs : v * 1000);
  const u = cfg.upstream ?? {};
  return {
    auth,
    connections,
    customers: cfg.customers,
    priceBook: cfg.priceBook ?? EMPTY_PRICE_BOOK_CONFIG,
    customerDirectory,
    redisUrl,
    redisTimeouts: { ...DEFAULT_REDIS_TIMEOUTS, ...cfg.cache?.redisTimeouts },
    ttls: {
      currentUsageMs: s(t.currentUsage, DEFAULT_TTLS.currentUsageMs),
      accountsMs: s(t.accounts, DEFAULT_TTLS.accountsMs),
      openPeriodMs: s(t.openPeriod, DEFAULT_TTLS.openPeriodMs),
      closedPeriodMs: s(t.closedPeriod, DEFAULT_TTLS.closedPeriodMs),
      catalogueMs: s(t.catalogue, DEFAULT_TTLS.catalogueMs),
    },
    http: {
      ...DEFAULT_HTTP_SETTINGS,
      ...(u.connectTimeoutMs !== undefined && { connectTimeoutMs: u.connectTimeoutMs }),
      ...(u.headersTimeoutMs !== undefined && { headersTimeoutMs: u.headersTimeoutMs }),
      ...(u.bodyTimeoutMs !== undefined && { bodyTimeoutMs: u.bodyTimeoutMs }),
      ...(u.maxAttempts !== undefined && { maxAttempts: u.maxAttempts }),
      ...(u.baseDelayMs !== undefined && { baseDelayMs: u.baseDelayMs }),
      ...(u.maxDelayMs !== undefined && { maxDelayMs: u.maxDelayMs }),
      ...(u.maxRetryAfterSeconds !== undefined && { maxRetryAfterMs: u.maxRetryAfterSeconds * 1000 }),
    },
    governors: new Map(cfg.connections.map((c) => [c.id, { ...DEFAULT_GOVERNOR[c.vendor], ...u.governor, ...c.governor }])),
    requestDeadlineMs: u.requestDeadlineMs ?? 20_000,
    limits: { ...DEFAULT_LIMITS, ...cfg.limits },
    rateLimit: cfg.rateLimit === false ? null : (cfg.rateLimit ?? DEFAULT_RATE_LIMIT),
    audit: { maxEntries: cfg.audit?.maxEntries ?? DEFAULT_AUDIT_MAX_ENTRIES },
    introspection: cfg.introspection ?? false,
    playground: cfg.playground ?? false,
    subgraph: cfg.subgraph ?? false,
    trustedDocuments: { mode: cfg.trustedDocuments ?? "off", hashes: cfg.trustedDocumentsFile ? readHashes(cfg.trustedDocumentsFile) : [] },
    metrics,
    tracing,
  };
}

/** Reads and checks the mapping file; problems name the file's field (`customerDirectory.mappingFile: customers[2].id: ...`). */
export function readMappingFile(path: string): DirectoryCustomerConfig[] {
  const at = "customerDirectory.mappingFile";
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ConfigError([`${at}: cannot read ${path} as JSON: ${(err as Error).message}`]);
  }
  const result = mappingFileSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(result.error.issues.map((i) => `${at}: ${fieldPath(i.path) || "(root)"}: ${i.message}`));
  return result.data.customers.map((c) => ({ id: c.id, name: c.name, psaCompanyId: c.psaCompanyId ?? null, externalIds: c.companies }));
}

/** The mapping file's customers and the config's `customers`, merged: an id once, a vendor id in one customer only. */
function directoryConfig(cfg: FileConfig, problems: string[]): CustomerDirectoryConfig {
  const section = cfg.customerDirectory ?? {};
  let fromFile: DirectoryCustomerConfig[] = [];
  if (section.mappingFile) {
    try {
      fromFile = readMappingFile(section.mappingFile);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  }
  const entries: Array<{ at: string; customer: DirectoryCustomerConfig }> = [
    ...fromFile.map((c, i) => ({ at: `customerDirectory.mappingFile: customers[${i}]`, customer: c })),
    ...cfg.customers.map((c, i) => ({ at: `customers[${i}]`, customer: { id: c.id, name: c.name, psaCompanyId: null, externalIds: c.externalIds } })),
  ];
  const ids = new Map<string, string>();
  const refs = new Map<string, string>();
  for (const { at, customer } of entries) {
    const first = ids.get(customer.id);
    if (first) problems.push(`${at}.id: customer "${customer.id}" is also ${first}`);
    ids.set(customer.id, at);
    customer.externalIds.forEach((e, j) => {
      const key = `${e.kind}\u0000${e.value}`;
      const owner = refs.get(key);
      if (owner && owner !== customer.id) problems.push(`${at}.${at.startsWith("customers[") ? "externalIds" : "companies"}[${j}]: ${e.kind} "${e.value}" already belongs to customer "${owner}"`);
      refs.set(key, customer.id);
    });
  }
  return {
    customers: entries.map((e) => e.customer),
    mappingFile: section.mappingFile,
    dataDir: resolvePath(section.dataDir ?? DEFAULT_DIRECTORY_DATA_DIR),
    name: section.name ?? "default",
  };
}

/** trustedDocumentsFile: an array of sha256 hashes, or an object keyed by them (codegen's persisted documents). */
function readHashes(path: string): string[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ConfigError([`trustedDocumentsFile: cannot read ${path} as JSON: ${(err as Error).message}`]);
  }
  const hashes = Array.isArray(raw) ? raw : raw !== null && typeof raw === "object" ? Object.keys(raw) : [];
  const bad = hashes.filter((h) => typeof h !== "string" || !/^(sha256:)?[0-9a-fA-F]{64}$/.test(h));
  if (bad.length || hashes.length === 0) throw new ConfigError([`trustedDocumentsFile: ${path} must list sha256 hashes (hex)`]);
  return hashes.map((h: string) => h.replace(/^sha256:/, ""));
}

/** Reads and validates the file named by GATEWAY_CONFIG (JSON). */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError([`GATEWAY_CONFIG: cannot read ${path}: ${(err as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([`GATEWAY_CONFIG: ${path} is not valid JSON: ${(err as Error).message}`]);
  }
  return parseConfig(raw, env);
}

function nonNegativeMs(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0) throw new ConfigError([`${name}: "${raw}" is not a number of milliseconds`]);
  return ms;
}

/** SHUTDOWN_GRACE_MS: how long a stopping gateway lets requests in flight finish (default 5 s). */
export function shutdownGraceMs(env: NodeJS.ProcessEnv = process.env): number {
  return nonNegativeMs(env, "SHUTDOWN_GRACE_MS", 5_000);
}

/** SANDBOX_LATENCY_MS: every sandbox simulator answers this much later, to see the gateway with slow vendors. */
export function sandboxLatencyMs(env: NodeJS.ProcessEnv = process.env): number {
  return nonNegativeMs(env, "SANDBOX_LATENCY_MS", 0);
}

export function listenAddress(env: NodeJS.ProcessEnv = process.env): { port: number; host: string } {
  const port = env.PORT === undefined || env.PORT === "" ? 4000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError([`PORT: "${env.PORT}" is not a port number`]);
  return { port, host: env.HOST || "127.0.0.1" };
}
