/** Keeper distributor "mspvendor" API: the nine endpoints, their errors, and the HS512 JWT. */
import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { request } from "undici";
import { Secret } from "../../../src/domain/secret";
import { reconcile } from "../../../src/domain/reconcile";
import { createKeeperDistributorConnector, KEEPER_DISTRIBUTOR_ROOT } from "../../../src/vendors/keeper-distributor";
import {
  createKeeperDistributorSimulator,
  KEEPER_DISTRIBUTOR_SANDBOX,
  type KeeperDistributorSimulator,
} from "../../../src/vendors/keeper-distributor/simulator/server";
import { callContext, connectorDeps } from "../../helpers/connector";
import { DisposableStack } from "../../helpers/stack";

const stack = new DisposableStack();
let sim: KeeperDistributorSimulator;
let clock = Date.UTC(2026, 10, 23, 12, 0, 0);
const now = () => clock;

beforeAll(async () => {
  sim = stack.use(await createKeeperDistributorSimulator({ now: () => new Date(clock) }));
});
afterAll(() => stack.dispose());
beforeEach(() => {
  sim.calls.reset();
  sim.faults.clear();
});

function connector(overrides: { secret?: string; partnerKey?: string; vendorName?: string } = {}) {
  return createKeeperDistributorConnector(
    {
      id: "dist-1",
      baseUrl: sim.url,
      partnerKey: new Secret(overrides.partnerKey ?? KEEPER_DISTRIBUTOR_SANDBOX.partnerKey),
      secret: new Secret(overrides.secret ?? KEEPER_DISTRIBUTOR_SANDBOX.secret),
      vendorName: overrides.vendorName ?? KEEPER_DISTRIBUTOR_SANDBOX.vendorName,
    },
    connectorDeps(stack, now),
  );
}

describe("JWT", () => {
  it("signs HS512 with iss = partner key, iat = now, exp = iat + 300, and sends the vendor header", async () => {
    await connector().listSubPartners(callContext(stack), KEEPER_DISTRIBUTOR_ROOT);
    const call = sim.calls.last("accounts")!;
    const token = String(call.headers.authorization).replace(/^Bearer /, "");
    expect(decodeProtectedHeader(token).alg).toBe("HS512");
    const claims = decodeJwt(token);
    expect(claims.iss).toBe(KEEPER_DISTRIBUTOR_SANDBOX.partnerKey);
    expect(claims.iat).toBe(Math.floor(clock / 1000));
    expect(claims.exp! - claims.iat!).toBe(300);
    expect(call.headers.vendor).toBe(KEEPER_DISTRIBUTOR_SANDBOX.vendorName);
  });

  it("reuses one token until shortly before it expires, then signs a new one", async () => {
    const c = connector();
    await c.listSubPartners(callContext(stack), KEEPER_DISTRIBUTOR_ROOT);
    await c.getCurrentUsage(callContext(stack), "northwind-002");
    clock += 200_000; // 200 s later: still well inside the 5 minutes
    await c.getCurrentUsage(callContext(stack, "t2"), "contoso-004");
    const tokens = sim.calls.list().map((r) => r.headers.authorization);
    expect(new Set(tokens).size).toBe(1);
    expect(c.jwt.signed).toBe(1);
    clock += 50_000; // 250 s after signing: inside the renewal margin
    await c.getCurrentUsage(callContext(stack, "t3"), "contoso-004");
    expect(c.jwt.signed).toBe(2);
    expect(sim.calls.last()!.headers.authorization).not.toBe(tokens[0]);
    expect(sim.calls.last()!.outcome).toBe(200);
  });

  it("gets VENDOR_AUTH_FAILED when Keeper refuses the signature or the vendor name", async () => {
    await expect(connector({ secret: "not-the-shared-secret" }).listSubPartners(callContext(stack), KEEPER_DISTRIBUTOR_ROOT)).rejects.toMatchObject({
      code: "VENDOR_AUTH_FAILED",
      details: { upstreamStatus: 401 },
    });
    await expect(connector({ vendorName: "someone-else" }).listProducts(callContext(stack))).rejects.toMatchObject({ code: "VENDOR_AUTH_FAILED" });
  });
});

describe("endpoints", () => {
  it("GET /accounts: linked MSPs with their statuses", async () => {
    const { value } = await connector().listSubPartners(callContext(stack), KEEPER_DISTRIBUTOR_ROOT);
    expect(value.map((p) => [p.key, p.subscription!.status])).toEqual(
      expect.arrayContaining([
        ["northwind-002", "ACTIVE"],
        ["fabrikam-003", "TRIAL"],
        ["tailspin-005", "PENDING"],
        ["litware-006", "EXPIRED"],
        ["adatum-007", "REGION_CONFLICT"],
        ["proseware-008", "PRODUCT_CONFLICT"],
        ["wingtip-009", "UNKNOWN"],
      ]),
    );
  });

  it("GET /msp-products: the catalogue, keyed on productId", async () => {
    const { value } = await connector().listProducts(callContext(stack));
    expect(value.find((p) => p.key === "720")).toMatchObject({ name: "Keeper MSP", category: "BASE_PLAN" });
    expect(sim.calls.count("msp-products")).toBe(1);
  });

  it("POST /current-usage and /monthly-usage with a zero-padded string month", async () => {
    const c = connector();
    const usage = await c.getCurrentUsage(callContext(stack), "qamspnfl-001");
    expect(usage.value.companies).toHaveLength(27);
    expect(JSON.parse(sim.calls.last("current-usage")!.body)).toEqual({ vendorInternalId: "qamspnfl-001" });
    const month = await c.getStatement(callContext(stack), "qamspnfl-001", { year: 2025, month: 8 });
    expect(JSON.parse(sim.calls.last("monthly-usage")!.body)).toEqual({ vendorInternalId: "qamspnfl-001", month: "08", year: "2025" });
    expect(month.value!.reported.byCurrency.map((c) => [c.currency, c.total!.toFixed()])).toEqual([["USD", "2387.74"]]);
    // An account whose body says totalCost rather than total reconciles too.
    const other = await c.getStatement(callContext(stack), "contoso-004", { year: 2026, month: 3 });
    expect(sim.calls.last("monthly-usage")!.outcome).toBe(200);
    expect(other.value!.reported.byCurrency[0].total).not.toBeNull();
    expect(reconcile(other.value!).balanced).toBe(true);
  });

  it("lifecycle: create (PENDING), convert (TRIAL → ACTIVE), cancel (→ EXPIRED), activate (→ ACTIVE), remove", async () => {
    const c = connector();
    const call = callContext(stack);
    const created = await c.lifecycle.createTrialAccount(call, { name: "Acme", email: "ops@acme.test", country: "US", vendorInternalId: "acme-9" });
    expect(created.subscription.status).toBe("PENDING");
    await expect(c.lifecycle.convertToPaid(call, "acme-9")).rejects.toMatchObject({ code: "VENDOR_REJECTED", details: { upstreamCode: "Account status is PENDING" } });
    sim.acceptInvite("acme-9");
    expect((await c.lifecycle.convertToPaid(call, "acme-9")).message).toBe("Converted Trial to Paid");
    expect((await c.lifecycle.cancelPaidAccount(call, created.vendorPartnerId)).message).toBe("Cancelled paid account");
    expect((await c.lifecycle.activateExpiredAccount(call, "acme-9")).message).toBe("Activated Expired Account");
    const pending = await c.lifecycle.createTrialAccount(call, { name: "Temp", email: "t@temp.test", country: "DE", vendorInternalId: "temp-1" });
    expect((await c.lifecycle.removeAccount(call, pending.vendorPartnerId)).message).toBe("Deleted Pending/Conflict Account");
    expect(sim.accounts.find((a) => a.vendorInternalId === "temp-1")).toBeUndefined();
    expect(sim.accounts.find((a) => a.vendorInternalId === "acme-9")!.status).toBe("ACTIVE");
  });

  it("success:false on a 200 for an unknown account becomes VENDOR_REJECTED", async () => {
    await expect(connector().getCurrentUsage(callContext(stack), "nobody")).rejects.toMatchObject({
      code: "VENDOR_REJECTED",
      details: { upstreamCode: "Account not found" },
    });
  });
});

describe("keeper-distributor simulator contract", () => {
  async function post(path: string, body: unknown, token?: string, headers: Record<string, string> = {}) {
    const jwt =
      token ??
      (await new SignJWT({})
        .setProtectedHeader({ alg: "HS512" })
        .setIssuer(KEEPER_DISTRIBUTOR_SANDBOX.partnerKey)
        .setIssuedAt(Math.floor(clock / 1000))
        .setExpirationTime(Math.floor(clock / 1000) + 300)
        .sign(new TextEncoder().encode(KEEPER_DISTRIBUTOR_SANDBOX.secret)));
    const res = await request(`${sim.url}/bi_api/v1/services/mspvendor/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${jwt}`, vendor: KEEPER_DISTRIBUTOR_SANDBOX.vendorName, ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.statusCode, body: (await res.body.json()) as { success: boolean; message?: string } };
  }
  const sign = (alg: "HS512" | "HS256", iat: number, exp: number, iss: string = KEEPER_DISTRIBUTOR_SANDBOX.partnerKey) =>
    new SignJWT({}).setProtectedHeader({ alg }).setIssuer(iss).setIssuedAt(iat).setExpirationTime(exp).sign(new TextEncoder().encode(KEEPER_DISTRIBUTOR_SANDBOX.secret));
  const t0 = () => Math.floor(clock / 1000);

  it.each([
    ["an expired token", () => sign("HS512", t0() - 1000, t0() - 700)],
    ["a token valid for more than 5 minutes", () => sign("HS512", t0(), t0() + 3600)],
    ["the wrong algorithm", () => sign("HS256", t0(), t0() + 300)],
    ["the wrong issuer", () => sign("HS512", t0(), t0() + 300, "someone")],
    ["an iat in the future", () => sign("HS512", t0() + 600, t0() + 900)],
  ])("answers 401 to %s", async (_name, token) => {
    expect(await post("current-usage", { vendorInternalId: "northwind-002" }, await token())).toEqual({ status: 401, body: { success: false, message: "Unauthorized" } });
  });

  it("answers 401 without the vendor header", async () => {
    expect((await post("current-usage", { vendorInternalId: "northwind-002" }, undefined, { vendor: "" })).status).toBe(401);
  });

  it.each([
    [{ vendorInternalId: "northwind-002", month: "8", year: "2025" }, "Invalid month"],
    [{ vendorInternalId: "northwind-002", month: 8, year: "2025" }, "Invalid month"],
    [{ vendorInternalId: "northwind-002", month: "13", year: "2025" }, "Invalid month"],
    [{ vendorInternalId: "northwind-002", month: "08", year: "25" }, "Invalid year"],
    [{ month: "08", year: "2025" }, "vendorInternalId is required"],
  ])("answers 400 to monthly-usage %j", async (body, message) => {
    expect(await post("monthly-usage", body)).toEqual({ status: 400, body: { success: false, message } });
  });

  it("answers success:false for current usage of an account not yet activated", async () => {
    expect(await post("current-usage", { vendorInternalId: "tailspin-005" })).toEqual({ status: 200, body: { success: false, message: "Account is not active" } });
  });
});

describe("keeper-distributor list shapes", () => {
  it("answers an account list of another shape as VENDOR_BAD_RESPONSE", async () => {
    sim.faults.next("accounts", { body: '{"success":true,"accounts":{"companyName":"X","vendorInternalId":"x","status":"ACTIVE"}}' });
    await expect(connector().listSubPartners(callContext(stack), KEEPER_DISTRIBUTOR_ROOT)).rejects.toMatchObject({ code: "VENDOR_BAD_RESPONSE", message: expect.stringContaining("account list") });
  });

  it("answers a product list whose items are not objects as VENDOR_BAD_RESPONSE", async () => {
    sim.faults.next("msp-products", { body: '{"success":true,"products":[720,1012]}' });
    await expect(connector().listProducts(callContext(stack))).rejects.toMatchObject({ code: "VENDOR_BAD_RESPONSE", message: expect.stringContaining("product list") });
  });

  it("answers monthly usage whose company has no products list as VENDOR_BAD_RESPONSE, not a statement without its lines", async () => {
    sim.faults.next("monthly-usage", {
      body: '{"success":true,"usage":{"total":10,"currency":"USD","mspItem":{"companyId":"m","companyName":"M","products":[]},"mcItems":[{"companyId":"x","companyName":"X","total":10}]}}',
    });
    await expect(connector().getStatement(callContext(stack), "qamspnfl-001", { year: 2025, month: 8 })).rejects.toMatchObject({ code: "VENDOR_BAD_RESPONSE", message: expect.stringContaining("usage.mcItems[0].products") });
  });
});
