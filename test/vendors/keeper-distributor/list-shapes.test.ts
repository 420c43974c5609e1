/** Keeper distributor lists over real HTTP: accounts, products and usage lists of another shape are VENDOR_BAD_RESPONSE, never empty lists. */
import { Secret } from "../../../src/domain/secret";
import { createKeeperDistributorConnector, KEEPER_DISTRIBUTOR_ROOT } from "../../../src/vendors/keeper-distributor";
import { createKeeperDistributorSimulator, KEEPER_DISTRIBUTOR_SANDBOX, type KeeperDistributorSimulator } from "../../../src/vendors/keeper-distributor/simulator/server";
import { callContext, connectorDeps } from "../../helpers/connector";
import { DisposableStack } from "../../helpers/stack";

const stack = new DisposableStack();
let sim: KeeperDistributorSimulator;
const clock = Date.UTC(2026, 10, 23, 12, 0, 0);
beforeAll(async () => {
  sim = stack.use(await createKeeperDistributorSimulator({ now: () => new Date(clock) }));
});
afterAll(() => stack.dispose());
beforeEach(() => {
  sim.calls.reset();
  sim.faults.clear();
});

const connector = () =>
  createKeeperDistributorConnector(
    {
      id: "dist-1",
      baseUrl: sim.url,
      partnerKey: new Secret(KEEPER_DISTRIBUTOR_SANDBOX.partnerKey),
      secret: new Secret(KEEPER_DISTRIBUTOR_SANDBOX.secret),
      vendorName: KEEPER_DISTRIBUTOR_SANDBOX.vendorName,
    },
    connectorDeps(stack, () => clock),
  );

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
