/** Account lifecycle mutations against the distributor simulator's state machine. */
import { startTestGateway, type TestGateway } from "../helpers/gateway";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());
beforeEach(() => t.resetCalls());

const ACCOUNTS = `{ subscriptions(filter: { connectionId: "keeper-distributor" }) { nodes { externalId status } } }`;
const statusOf = async (id: string) =>
  (await t.gql(ACCOUNTS)).body.data!.subscriptions.nodes.find((s: any) => s.externalId === id)?.status ?? null;

describe("lifecycle", () => {
  it("creates a trial account (PENDING), which after the invitation converts to paid, cancels and re-activates", async () => {
    expect(await statusOf("acme-001")).toBeNull(); // caches the account list for this caller
    const created = await t.gql(
      `mutation($input: CreateTrialAccountInput!) { createTrialAccount(input: $input) {
        vendorPartnerId contactFirstName locale subscription { externalId status externalIds { kind value } } } }`,
      { input: { connectionId: "keeper-distributor", name: "Acme MSP", email: "ops@acme.test", country: "us", vendorInternalId: "acme-001", phone: "+1 9191919191", city: "Broomfield", zipCode: "80021" } },
    );
    expect(created.body.errors).toBeUndefined();
    const payload = created.body.data!.createTrialAccount;
    expect(payload.vendorPartnerId).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload).toMatchObject({ contactFirstName: "John", locale: "en_US", subscription: { externalId: "acme-001", status: "PENDING" } });
    const sent = JSON.parse(t.sandbox.keeperDistributor.calls.last("create-trial-account")!.body);
    expect(sent).toMatchObject({ name: "Acme MSP", country: "US", email: "ops@acme.test", vendorInternalId: "acme-001", showPricingInMSPConsole: false });
    // The cached account list was invalidated: the new account shows at once.
    expect(await statusOf("acme-001")).toBe("PENDING");

    t.sandbox.keeperDistributor.acceptInvite("acme-001");
    const converted = await t.gql(`mutation { convertToPaid(input: { connectionId: "keeper-distributor", vendorInternalId: "acme-001" }) { message subscription { status } } }`);
    expect(converted.body.data!.convertToPaid).toEqual({ message: "Converted Trial to Paid", subscription: { status: "ACTIVE" } });

    const cancelled = await t.gql(`mutation($id: String!) { cancelPaidAccount(input: { connectionId: "keeper-distributor", vendorPartnerId: $id }) { message } }`, { id: payload.vendorPartnerId });
    expect(cancelled.body.data!.cancelPaidAccount.message).toBe("Cancelled paid account");
    expect(await statusOf("acme-001")).toBe("EXPIRED");

    const activated = await t.gql(`mutation { activateExpiredAccount(input: { connectionId: "keeper-distributor", vendorInternalId: "acme-001" }) { message subscription { status } } }`);
    expect(activated.body.data!.activateExpiredAccount).toEqual({ message: "Activated Expired Account", subscription: { status: "ACTIVE" } });
  });

  it("removes a pending account, and refuses to remove an active one with VENDOR_REJECTED", async () => {
    const created = await t.gql(`mutation { createTrialAccount(input: { connectionId: "keeper-distributor", name: "Gone Soon", email: "a@gone.test", country: "GB", vendorInternalId: "gone-001" }) { vendorPartnerId } }`);
    const partnerId = created.body.data!.createTrialAccount.vendorPartnerId;
    const removed = await t.gql(`mutation($id: String!) { removeAccount(input: { connectionId: "keeper-distributor", vendorPartnerId: $id }) { message subscription { status } } }`, { id: partnerId });
    expect(removed.body.data!.removeAccount).toEqual({ message: "Deleted Pending/Conflict Account", subscription: null });
    expect(await statusOf("gone-001")).toBeNull();

    const active = t.sandbox.keeperDistributor.accounts.find((a) => a.vendorInternalId === "northwind-002")!;
    const refused = await t.gql(`mutation($id: String!) { removeAccount(input: { connectionId: "keeper-distributor", vendorPartnerId: $id }) { message } }`, { id: active.partnerId });
    expect(refused.body.data!.removeAccount).toBeNull();
    expect(refused.body.errors![0].extensions).toMatchObject({ code: "VENDOR_REJECTED", upstreamStatus: 400, upstreamCode: "Account status is ACTIVE" });
    expect(active.status).toBe("ACTIVE");
  });

  it("reports Keeper's success:false for an unknown account and a duplicate id", async () => {
    const unknown = await t.gql(`mutation { convertToPaid(input: { connectionId: "keeper-distributor", vendorInternalId: "no-such-msp" }) { message } }`);
    expect(unknown.body.errors![0].extensions).toMatchObject({ code: "VENDOR_REJECTED", upstreamCode: "Account not found" });
    const duplicate = await t.gql(`mutation { createTrialAccount(input: { connectionId: "keeper-distributor", name: "Dup", email: "d@dup.test", country: "US", vendorInternalId: "northwind-002" }) { vendorPartnerId } }`);
    expect(duplicate.body.errors![0].extensions).toMatchObject({ code: "VENDOR_REJECTED", upstreamCode: "Account already exists" });
  });
});
