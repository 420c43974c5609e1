/**
 * The Keeper distributor "mspvendor" simulator (keeper.md B) over real HTTP: the HS512 JWT and vendor
 * header, validation, the account state machine and its fixed messages, usage bodies that reconcile
 * exactly, determinism, faults and call counts.
 */
import { SignJWT } from "jose";
import { parse as losslessParse, stringify as losslessStringify } from "lossless-json";
import { request } from "undici";
import { SEED_CURRENT_USAGE_TEXT, SEED_MONTHLY_USAGE_TEXT } from "../../../src/vendors/keeper/simulator/data/seed-samples";
import { KEEPER_SUCCESS_MESSAGES, type KeeperCompanyItem } from "../../../src/vendors/keeper/wire";
import {
  createKeeperDistributorSimulator,
  defaultDistributorAccounts,
  KEEPER_DISTRIBUTOR_SANDBOX,
  type KeeperDistributorSimulator,
} from "../../../src/vendors/keeper-distributor/simulator/server";
import { dec, expectReconciles } from "../../helpers/keeper-usage";
import { DisposableStack } from "../../helpers/stack";

const stack = new DisposableStack();
const NOW = new Date(Date.UTC(2025, 10, 15, 12, 0, 0));
const t0 = Math.floor(NOW.getTime() / 1000);
const PREFIX = "/bi_api/v1/services/mspvendor";
const secretBytes = new TextEncoder().encode(KEEPER_DISTRIBUTOR_SANDBOX.secret);
let sim: KeeperDistributorSimulator;

/** A fresh simulator, for tests that change account state. */
const fresh = async (): Promise<KeeperDistributorSimulator> => stack.use(await createKeeperDistributorSimulator({ now: () => NOW }));

beforeAll(async () => {
  sim = await fresh();
});
afterAll(() => stack.dispose());
beforeEach(() => {
  sim.calls.reset();
  sim.faults.clear();
});

interface TokenSpec {
  alg?: "HS512" | "HS256" | "HS384";
  iss?: string | null;
  iat?: number | null;
  exp?: number | null;
  key?: Uint8Array;
}

async function token(spec: TokenSpec = {}): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: spec.alg ?? "HS512" });
  const iss = spec.iss === undefined ? KEEPER_DISTRIBUTOR_SANDBOX.partnerKey : spec.iss;
  const iat = spec.iat === undefined ? t0 : spec.iat;
  const exp = spec.exp === undefined ? (iat ?? t0) + 300 : spec.exp;
  if (iss !== null) jwt.setIssuer(iss);
  if (iat !== null) jwt.setIssuedAt(iat);
  if (exp !== null) jwt.setExpirationTime(exp);
  return jwt.sign(spec.key ?? secretBytes);
}

interface Call {
  method?: "GET" | "POST";
  body?: unknown;
  jwt?: string;
  headers?: Record<string, string>;
  on?: KeeperDistributorSimulator;
}

async function call(route: string, opts: Call = {}): Promise<{ status: number; text: string; json: any }> {
  const method = opts.method ?? (opts.body === undefined ? "GET" : "POST");
  const headers: Record<string, string> = {
    authorization: `Bearer ${opts.jwt ?? (await token())}`,
    vendor: KEEPER_DISTRIBUTOR_SANDBOX.vendorName,
    ...(method === "POST" ? { "content-type": "application/json" } : {}),
    ...opts.headers,
  };
  for (const [k, v] of Object.entries(headers)) if (v === "") delete headers[k];
  const body = opts.body === undefined ? undefined : typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
  const res = await request(`${(opts.on ?? sim).url}${PREFIX}/${route}`, { method, headers, body });
  const text = await res.body.text();
  return { status: res.statusCode, text, json: text ? losslessParse(text) : undefined };
}

const post = (route: string, body: unknown, on?: KeeperDistributorSimulator) => call(route, { body, on });
const UNAUTHORIZED = '{"success":false,"message":"Unauthorized"}';

describe("auth: HS512 JWT (iss = partner key, 5-minute exp) and the vendor header", () => {
  it("accepts a well-formed token on every route", async () => {
    expect((await call("accounts")).status).toBe(200);
    expect((await call("msp-products")).status).toBe(200);
    expect((await post("current-usage", { vendorInternalId: "northwind-002" })).status).toBe(200);
  });

  it.each<[string, () => Promise<Call>]>([
    ["no Authorization header", async () => ({ headers: { authorization: "" } })],
    ["a token without Bearer", async () => ({ headers: { authorization: await token() } })],
    ["a garbage token", async () => ({ jwt: "not.a.jwt" })],
    ["the wrong secret", async () => ({ jwt: await token({ key: new TextEncoder().encode("some-other-secret") }) })],
    ["the wrong issuer", async () => ({ jwt: await token({ iss: "someone-else" }) })],
    ["no issuer", async () => ({ jwt: await token({ iss: null }) })],
    ["HS256 instead of HS512", async () => ({ jwt: await token({ alg: "HS256" }) })],
    ["HS384 instead of HS512", async () => ({ jwt: await token({ alg: "HS384" }) })],
    ["an unsigned token (alg none)", async () => {
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
      return { jwt: `${b64({ alg: "none" })}.${b64({ iss: KEEPER_DISTRIBUTOR_SANDBOX.partnerKey, iat: t0, exp: t0 + 300 })}.` };
    }],
    ["an expired token", async () => ({ jwt: await token({ iat: t0 - 1000, exp: t0 - 700 }) })],
    ["a token valid for more than 5 minutes", async () => ({ jwt: await token({ iat: t0, exp: t0 + 3600 }) })],
    ["no iat", async () => ({ jwt: await token({ iat: null, exp: t0 + 300 }) })],
    ["no exp", async () => ({ jwt: await token({ exp: null }) })],
    ["an iat in the future beyond the skew", async () => ({ jwt: await token({ iat: t0 + 600, exp: t0 + 900 }) })],
    ["no vendor header", async () => ({ headers: { vendor: "" } })],
    ["the wrong vendor name", async () => ({ headers: { vendor: "someone-else" } })],
  ])("answers 401 to %s, revealing nothing", async (_name, make) => {
    const res = await call("accounts", await make());
    expect({ status: res.status, text: res.text }).toEqual({ status: 401, text: UNAUTHORIZED });
    expect(res.text).not.toContain(KEEPER_DISTRIBUTOR_SANDBOX.secret);
  });

  it("tolerates clock skew within clockSkewSeconds (60 by default), and no more", async () => {
    expect((await call("accounts", { jwt: await token({ iat: t0 - 330, exp: t0 - 30 }) })).status).toBe(200);
    expect((await call("accounts", { jwt: await token({ iat: t0 + 30, exp: t0 + 330 }) })).status).toBe(200);
    expect((await call("accounts", { jwt: await token({ iat: t0 - 390, exp: t0 - 90 }) })).status).toBe(401);
    const strict = stack.use(await createKeeperDistributorSimulator({ now: () => NOW, clockSkewSeconds: 0 }));
    expect((await call("accounts", { on: strict, jwt: await token({ iat: t0 - 330, exp: t0 - 30 }) })).status).toBe(401);
  });

  it("uses the configured partner key, secret and vendor name", async () => {
    const own = stack.use(
      await createKeeperDistributorSimulator({ partnerKey: "pk-1", secret: "s3cret-value-for-tests", vendorName: "acme-dist", now: () => NOW }),
    );
    const jwt = await token({ iss: "pk-1", key: new TextEncoder().encode("s3cret-value-for-tests") });
    expect((await call("accounts", { on: own, jwt, headers: { vendor: "acme-dist" } })).status).toBe(200);
    expect((await call("accounts", { on: own })).status).toBe(401);
  });
});

describe("GET /accounts and /msp-products", () => {
  it("lists the linked MSPs with exactly the documented fields", async () => {
    const res = await call("accounts");
    expect(res.status).toBe(200);
    const { success, accounts } = JSON.parse(res.text);
    expect(success).toBe(true);
    expect(accounts).toEqual([
      { companyName: "QaMspNfl", vendorInternalId: "qamspnfl-001", status: "ACTIVE" },
      { companyName: "Northwind IT Services", vendorInternalId: "northwind-002", status: "ACTIVE" },
      { companyName: "Fabrikam Secure MSP", vendorInternalId: "fabrikam-003", status: "TRIAL" },
      { companyName: "Contoso Managed Services", vendorInternalId: "contoso-004", status: "ACTIVE" },
      { companyName: "Tailspin Networks", vendorInternalId: "tailspin-005", status: "PENDING" },
      { companyName: "Litware Consulting", vendorInternalId: "litware-006", status: "EXPIRED" },
      { companyName: "Adatum EU Partners", vendorInternalId: "adatum-007", status: "REGION_CONFLICT", accountRegion: "EU" },
      { companyName: "Proseware Inc", vendorInternalId: "proseware-008", status: "PRODUCT_CONFLICT", productType: "Enterprise" },
      // A status the contract does not list, for the gateway's UNKNOWN mapping.
      { companyName: "Wingtip Toys IT", vendorInternalId: "wingtip-009", status: "SUSPENDED" },
    ]);
    expect(res.text).not.toContain("partnerId");
  });

  it("lists seed 001's product table, keyed on productId", async () => {
    const res = await call("msp-products");
    const body = res.json as { success: boolean; products: Array<{ productId: unknown; productName: string }> };
    expect(body.success).toBe(true);
    const table = body.products.map((p) => [String(p.productId), p.productName]);
    expect(table[0]).toEqual(["720", "Keeper MSP"]);
    expect(table.map(([id]) => id)).toEqual(["720", "10001", "10002", "10010", "10011", "967", "968", "910", "920", "930", "940", "1011", "1012", "730", "973", "978"]);
    expect(table.map(([id]) => id)).not.toContain("916");
  });
});

describe("POST /current-usage", () => {
  it("answers QaMspNfl with seed 001's current-usage sample", async () => {
    const res = await post("current-usage", { vendorInternalId: "qamspnfl-001" });
    expect(res.status).toBe(200);
    expect(res.text).toBe(losslessStringify(losslessParse(SEED_CURRENT_USAGE_TEXT)));
  });

  it("answers a generated MSP with its managed companies, opaque base64 ids and Keeper's units", async () => {
    const res = await post("current-usage", { vendorInternalId: "northwind-002" });
    const usage = (res.json as { usage: { mspItem: KeeperCompanyItem; mcItems: KeeperCompanyItem[] } }).usage;
    expect(usage.mspItem).toMatchObject({ companyName: "Northwind IT Services", companyId: "NTEwMDA" });
    expect(usage.mcItems).toHaveLength(30);
    for (const c of usage.mcItems) {
      expect(Buffer.from(c.companyId, "base64").toString()).toMatch(/^5\d{4}$/);
      expect(c.companyId).not.toMatch(/=/);
      expect(c).toEqual(expect.objectContaining({ plan: expect.any(String), invitedUsers: expect.anything(), maximumAllowedUsers: expect.anything() }));
    }
    const units = new Set([usage.mspItem, ...usage.mcItems].flatMap((c) => c.products.map((p) => p.unit)));
    for (const unit of units) expect(["bundles", "licenses", "GB", "KCM users", ""]).toContain(unit);
    expect([...units]).toEqual(expect.arrayContaining(["bundles", "licenses", "GB"]));
    expect(new Set(usage.mcItems.map((c) => c.companyName)).size).toBe(30);
  });

  it.each([
    ["PENDING", "tailspin-005"],
    ["REGION_CONFLICT", "adatum-007"],
    ["PRODUCT_CONFLICT", "proseware-008"],
  ])("answers success:false on a 200 for a %s account", async (_status, vendorInternalId) => {
    expect(await post("current-usage", { vendorInternalId })).toMatchObject({ status: 200, text: '{"success":false,"message":"Account is not active"}' });
  });

  it.each(["litware-006", "fabrikam-003", "wingtip-009"])("answers usage for %s (EXPIRED, TRIAL, unlisted status)", async (vendorInternalId) => {
    expect((await post("current-usage", { vendorInternalId })).json.success).toBe(true);
  });

  it("answers success:false on a 200 for an unknown account", async () => {
    expect(await post("current-usage", { vendorInternalId: "nobody" })).toMatchObject({ status: 200, text: '{"success":false,"message":"Account not found"}' });
  });

  it.each([
    ["an empty object", {}],
    ["an empty id", { vendorInternalId: "" }],
    ["a numeric id", { vendorInternalId: 42 }],
    ["a body that is not JSON", "vendorInternalId=northwind-002"],
    ["a JSON array", "[]"],
  ])("answers 400 to %s", async (_name, body) => {
    expect(await post("current-usage", body)).toMatchObject({ status: 400, text: '{"success":false,"message":"vendorInternalId is required"}' });
  });
});

describe("POST /monthly-usage", () => {
  it('answers QaMspNfl\'s "08"/"2025" with seed 001\'s monthly sample verbatim (total 2387.74)', async () => {
    const res = await post("monthly-usage", { vendorInternalId: "qamspnfl-001", month: "08", year: "2025" });
    expect(res).toMatchObject({ status: 200, text: SEED_MONTHLY_USAGE_TEXT });
    expect(String(expectReconciles(res.text, "total").usage.total)).toBe("2387.74");
  });

  it.each([
    ["northwind-002", "total", 30],
    ["contoso-004", "totalCost", 12],
    ["fabrikam-003", "totalCost", 6],
    ["litware-006", "total", 8],
    ["qamspnfl-001", "total", 27],
  ] as const)("generates %s's months from its current usage under `%s`, reconciling exactly", async (vendorInternalId, totalKey, companies) => {
    for (const [month, year] of [["01", "2024"], ["02", "2024"], ["07", "2025"], ["11", "2025"]]) {
      const res = await post("monthly-usage", { vendorInternalId, month, year });
      expect(res.status).toBe(200);
      const { usage } = expectReconciles(res.text, totalKey);
      expect(usage.mcItems).toHaveLength(companies);
      const names = usage.mcItems.map((c) => c.companyName.toLowerCase());
      expect(names).toEqual([...names].sort());
      expect([usage.mspItem, ...usage.mcItems].flatMap((c) => c.products).some((r) => !dec(r.quantity).isInteger())).toBe(true);
    }
  });

  it("is deterministic per account and month", async () => {
    const other = await fresh();
    const body = { vendorInternalId: "northwind-002", month: "05", year: "2025" };
    const a = await post("monthly-usage", body);
    const b = await post("monthly-usage", body, other);
    const c = await post("monthly-usage", { ...body, month: "06" });
    expect(b.text).toBe(a.text);
    expect(c.text).not.toBe(a.text);
  });

  it.each([
    [{ vendorInternalId: "northwind-002", month: "8", year: "2025" }, "Invalid month"],
    [{ vendorInternalId: "northwind-002", month: 8, year: "2025" }, "Invalid month"],
    [{ vendorInternalId: "northwind-002", month: "00", year: "2025" }, "Invalid month"],
    [{ vendorInternalId: "northwind-002", month: "13", year: "2025" }, "Invalid month"],
    [{ vendorInternalId: "northwind-002", month: "12", year: "2025" }, "Invalid month"],
    [{ vendorInternalId: "northwind-002", month: "01", year: "2026" }, "Invalid month"],
    [{ vendorInternalId: "northwind-002", month: "08", year: "25" }, "Invalid year"],
    [{ vendorInternalId: "northwind-002", month: "08", year: 2025 }, "Invalid year"],
    [{ vendorInternalId: "northwind-002", month: "08", year: "20255" }, "Invalid year"],
    [{ month: "08", year: "2025" }, "vendorInternalId is required"],
    [{ vendorInternalId: "northwind-002", year: "2025" }, "month is required"],
    [{ vendorInternalId: "northwind-002", month: "08" }, "year is required"],
  ])("answers 400 to %j", async (body, message) => {
    expect(await post("monthly-usage", body)).toMatchObject({ status: 400, text: JSON.stringify({ success: false, message }) });
  });

  it("answers success:false on a 200 for unknown and not-activated accounts", async () => {
    expect((await post("monthly-usage", { vendorInternalId: "nobody", month: "08", year: "2025" })).text).toBe('{"success":false,"message":"Account not found"}');
    expect((await post("monthly-usage", { vendorInternalId: "tailspin-005", month: "08", year: "2025" })).text).toBe('{"success":false,"message":"Account is not active"}');
  });
});

describe("account lifecycle", () => {
  const trial = { name: "Acme MSP", country: "US", zipCode: "80021", email: "ops@acme.test", vendorInternalId: "acme-001", state: "CO", city: "Broomfield", street: "1 Main St", phone: "+1 9191919191", showPricingInMSPConsole: false };

  it("create → PENDING → (invite accepted) TRIAL → ACTIVE → EXPIRED → ACTIVE, with the fixed messages", async () => {
    const s = await fresh();
    const created = await post("create-trial-account", trial, s);
    expect(created.status).toBe(200);
    const details = JSON.parse(created.text).partnerDetails;
    expect(Object.keys(details)).toEqual(["partnerId", "first name", "last name", "country", "locale", "state", "city", "street", "zipCode", "phone", "email", "vendorInternalId", "trial", "showPricingInMSPConsole"]);
    expect(details).toMatchObject({ country: "US", state: "Colorado", email: "ops@acme.test", vendorInternalId: "acme-001", trial: true, showPricingInMSPConsole: false });
    expect(details.partnerId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const status = async () => JSON.parse((await call("accounts", { on: s })).text).accounts.find((a: { vendorInternalId: string }) => a.vendorInternalId === "acme-001")?.status;
    expect(await status()).toBe("PENDING");
    expect(s.account("acme-001")!.partnerId).toBe(details.partnerId);

    expect(await post("convert-to-paid", { vendorInternalId: "acme-001" }, s)).toMatchObject({ status: 400, text: '{"success":false,"message":"Account status is PENDING"}' });
    expect((await post("current-usage", { vendorInternalId: "acme-001" }, s)).json.message).toBe("Account is not active");
    s.acceptInvite("acme-001");
    expect(await status()).toBe("TRIAL");
    expect((await post("current-usage", { vendorInternalId: "acme-001" }, s)).json.usage.mspItem.companyName).toBe("Acme MSP");

    expect(await post("convert-to-paid", { vendorInternalId: "acme-001" }, s)).toMatchObject({ status: 200, text: JSON.stringify({ success: true, message: KEEPER_SUCCESS_MESSAGES.convertToPaid }) });
    expect(await status()).toBe("ACTIVE");
    expect((await post("activate-expired", { vendorInternalId: "acme-001" }, s)).text).toBe('{"success":false,"message":"Account status is ACTIVE"}');
    expect((await post("remove-account", { partnerId: details.partnerId }, s)).text).toBe('{"success":false,"message":"Account status is ACTIVE"}');

    expect(await post("cancel-paid-account", { partnerId: details.partnerId }, s)).toMatchObject({ status: 200, text: JSON.stringify({ success: true, message: "Cancelled paid account" }) });
    expect(await status()).toBe("EXPIRED");
    expect((await post("cancel-paid-account", { partnerId: details.partnerId }, s)).status).toBe(400);

    expect(await post("activate-expired", { vendorInternalId: "acme-001" }, s)).toMatchObject({ status: 200, text: JSON.stringify({ success: true, message: "Activated Expired Account" }) });
    expect(await status()).toBe("ACTIVE");
    expect(s.calls.byRoute()).toMatchObject({ "create-trial-account": 1, "convert-to-paid": 2, "cancel-paid-account": 2, "activate-expired": 2, "remove-account": 1 });
  });

  it("a lapsed trial is EXPIRED and can be activated", async () => {
    const s = await fresh();
    expect(() => s.acceptInvite("fabrikam-003")).toThrow(/TRIAL, not PENDING/);
    s.expireTrial("fabrikam-003");
    expect((await post("convert-to-paid", { vendorInternalId: "fabrikam-003" }, s)).text).toBe('{"success":false,"message":"Account status is EXPIRED"}');
    expect((await post("activate-expired", { vendorInternalId: "fabrikam-003" }, s)).json.success).toBe(true);
    expect(s.account("fabrikam-003")!.status).toBe("ACTIVE");
  });

  it("removes PENDING and conflict accounts by partnerId; they disappear", async () => {
    const s = await fresh();
    for (const id of ["tailspin-005", "adatum-007", "proseware-008"]) {
      const partnerId = s.account(id)!.partnerId;
      expect(await post("remove-account", { partnerId }, s)).toMatchObject({ status: 200, text: JSON.stringify({ success: true, message: "Deleted Pending/Conflict Account" }) });
      expect(s.account(id)).toBeUndefined();
      expect((await post("remove-account", { partnerId }, s)).text).toBe('{"success":false,"message":"Account not found"}');
    }
    const left = JSON.parse((await call("accounts", { on: s })).text).accounts.map((a: { vendorInternalId: string }) => a.vendorInternalId);
    expect(left).toEqual(["qamspnfl-001", "northwind-002", "fabrikam-003", "contoso-004", "litware-006", "wingtip-009"]);
  });

  it("refuses a duplicate vendorInternalId with success:false on a 200", async () => {
    expect(await post("create-trial-account", { ...trial, vendorInternalId: "northwind-002" })).toMatchObject({ status: 200, text: '{"success":false,"message":"Account already exists"}' });
  });

  it.each([
    [{ ...trial, name: undefined }, "name is required"],
    [{ ...trial, email: "" }, "email is required"],
    [{ ...trial, country: undefined }, "country is required"],
    [{ ...trial, vendorInternalId: undefined }, "vendorInternalId is required"],
    [{ ...trial, email: "not-an-email" }, "Invalid email"],
    [{ ...trial, country: "USA" }, "Invalid country"],
    [{ ...trial, country: "XX" }, "Invalid country"],
    [{ ...trial, country: "us" }, "Invalid country"],
  ])("answers 400 to create-trial-account %#", async (body, message) => {
    expect(await post("create-trial-account", body)).toMatchObject({ status: 400, text: JSON.stringify({ success: false, message }) });
  });

  it("creates with only the required fields, echoing no absent ones", async () => {
    const s = await fresh();
    const res = await post("create-trial-account", { name: "Mini", country: "DE", email: "a@mini.test", vendorInternalId: "mini-1" }, s);
    expect(Object.keys(res.json.partnerDetails)).toEqual(["partnerId", "first name", "last name", "country", "locale", "email", "vendorInternalId", "trial", "showPricingInMSPConsole"]);
  });

  it.each([
    ["convert-to-paid", { vendorInternalId: "nobody" }],
    ["activate-expired", { vendorInternalId: "nobody" }],
    ["cancel-paid-account", { partnerId: "00000000-0000-4000-8000-000000000000" }],
    ["remove-account", { partnerId: "00000000-0000-4000-8000-000000000000" }],
  ])("%s answers success:false on a 200 for an unknown account", async (route, body) => {
    expect(await post(route, body)).toMatchObject({ status: 200, text: '{"success":false,"message":"Account not found"}' });
  });

  it.each([
    ["convert-to-paid", "vendorInternalId"],
    ["activate-expired", "vendorInternalId"],
    ["cancel-paid-account", "partnerId"],
    ["remove-account", "partnerId"],
  ])("%s answers 400 without %s", async (route, field) => {
    expect(await post(route, {})).toMatchObject({ status: 400, text: JSON.stringify({ success: false, message: `${field} is required` }) });
  });

  it("keys cancel-paid-account on partnerId, not vendorInternalId", async () => {
    expect((await post("cancel-paid-account", { vendorInternalId: "northwind-002" })).text).toBe('{"success":false,"message":"partnerId is required"}');
  });

  it("defaultDistributorAccounts is deterministic and independent per call", () => {
    const a = defaultDistributorAccounts();
    const b = defaultDistributorAccounts();
    expect(losslessStringify(a)).toBe(losslessStringify(b));
    a[0].status = "EXPIRED";
    expect(b[0].status).toBe("ACTIVE");
  });
});

describe("kit behaviour", () => {
  it("applies a queued fault once, with Keeper's error body, and counts both calls", async () => {
    sim.faults.next("current-usage", { status: 503 });
    const first = await post("current-usage", { vendorInternalId: "northwind-002" });
    expect({ status: first.status, text: first.text }).toEqual({ status: 503, text: '{"success":false,"message":"Service Unavailable"}' });
    expect((await post("current-usage", { vendorInternalId: "northwind-002" })).status).toBe(200);
    expect(sim.calls.count("current-usage")).toBe(2);
    expect(sim.calls.list("current-usage").map((c) => c.outcome)).toEqual([503, 200]);
  });

  it("names routes after their last path segment and answers 404 elsewhere", async () => {
    await call("accounts");
    await call("accounts", { headers: { vendor: "" } });
    await post("monthly-usage", { vendorInternalId: "northwind-002", month: "01", year: "2025" });
    expect((await call("nope")).status).toBe(404);
    expect((await call("accounts", { method: "POST", body: {} })).status).toBe(404);
    expect(sim.calls.byRoute()).toEqual({ accounts: 2, "monthly-usage": 1, unmatched: 2 });
    expect(sim.calls.last("accounts")!.outcome).toBe(401);
  });
});
