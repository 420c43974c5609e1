/** Keeper MSP usage lists over real HTTP: a body whose lists are missing or of another shape is VENDOR_BAD_RESPONSE, never "no companies". */
import { Secret } from "../../../src/domain/secret";
import { createKeeperMspConnector, KEEPER_MSP_SELF } from "../../../src/vendors/keeper-msp";
import { createKeeperMspSimulator, KEEPER_MSP_SANDBOX_TOKEN, type KeeperMspSimulator } from "../../../src/vendors/keeper-msp/simulator/server";
import { callContext, connectorDeps } from "../../helpers/connector";
import { DisposableStack } from "../../helpers/stack";

const stack = new DisposableStack();
let sim: KeeperMspSimulator;
afterAll(() => stack.dispose());
beforeAll(async () => {
  sim = stack.use(await createKeeperMspSimulator());
});
beforeEach(() => {
  sim.calls.reset();
  sim.faults.clear();
});

const connector = () => createKeeperMspConnector({ id: "msp-1", baseUrl: sim.url, apiToken: new Secret(KEEPER_MSP_SANDBOX_TOKEN) }, connectorDeps(stack));
const MSP = '"mspItem":{"companyId":"NDU5Njg","companyName":"QaMspNfl","products":[{"productId":720,"quantity":31}]}';

describe("keeper-msp list shapes", () => {
  it.each([
    ["usage without mcItems", `{"success":true,"usage":{${MSP}}}`, "usage.mcItems"],
    ["mcItems that is an object", `{"success":true,"usage":{${MSP},"mcItems":{"companyId":"x"}}}`, "usage.mcItems"],
    ["a company without products", `{"success":true,"usage":{${MSP},"mcItems":[{"companyId":"x","companyName":"X"}]}}`, "usage.mcItems[0].products"],
    ["a company item that is not an object", `{"success":true,"usage":{${MSP},"mcItems":["x"]}}`, "usage.mcItems"],
  ])("answers current usage with %s as VENDOR_BAD_RESPONSE", async (_name, body, field) => {
    sim.faults.next("current-usage", { body });
    await expect(connector().getCurrentUsage(callContext(stack), KEEPER_MSP_SELF)).rejects.toMatchObject({ code: "VENDOR_BAD_RESPONSE", message: expect.stringContaining(field) });
  });

  it("still reads an MSP with no managed companies (mcItems: [])", async () => {
    sim.faults.next("current-usage", { body: `{"success":true,"usage":{${MSP},"mcItems":[]}}` });
    const { value } = await connector().getCurrentUsage(callContext(stack), KEEPER_MSP_SELF);
    expect(value.companies).toEqual([]);
    expect(value.partnerUsage.map((u) => u.productKey)).toEqual(["720"]);
  });

  it("answers a monthly statement whose company has no products list as VENDOR_BAD_RESPONSE", async () => {
    sim.faults.next("billing-usage", { body: `{"success":true,"usage":{"total":0,"currency":"USD",${MSP},"mcItems":[{"companyId":"x","companyName":"X","total":0}]}}` });
    await expect(connector().getStatement(callContext(stack), KEEPER_MSP_SELF, { year: 2025, month: 8 })).rejects.toMatchObject({ code: "VENDOR_BAD_RESPONSE", message: expect.stringContaining("usage.mcItems[0].products") });
  });
});
