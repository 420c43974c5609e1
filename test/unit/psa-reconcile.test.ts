/** PSA reconciliation (issue 12, item 4): each kind of difference, with both sides' figures; currencies apart. */
import { Dec } from "../../src/domain/money";
import { reconcilePsa, type PsaChargeInput, type VendorUsageInput } from "../../src/domain/psa-reconcile";

const d = (v: string) => new Dec(v);
const psa = (customerRef: string, sku: string, quantity: string, amount: string, currency = "USD", reference?: string): PsaChargeInput => ({ customerRef, sku, quantity: d(quantity), amount: d(amount), currency, reference });
const used = (customerId: string, sku: string, quantity: string, resale: string | null, currency: string | null = "USD"): VendorUsageInput => ({ customerId, sku, quantity: d(quantity), resale: resale === null ? null : d(resale), currency: resale === null ? null : currency });
const directory = (ref: string) => ({ "CW-1": "acme", acme: "acme", "CW-2": "globex" })[ref] ?? null;

describe("PSA reconciliation", () => {
  it("finds each kind of difference with the figures of both sides, and counts what matches", () => {
    const result = reconcilePsa(
      [
        psa("CW-1", "KEEPER-BUS", "10", "45.00", "USD", "agreement-7/addition-1"),
        psa("CW-1", "webex-calling", "5", "50.00"),
        psa("CW-1", "M365-E3", "20", "720.00"),
        psa("CW-2", "KEEPER-BUS", "3", "13.50"),
        psa("CW-2", "OLD-SKU", "1", "9.99", "USD", "contract-9/charge-2"),
      ],
      [
        used("acme", "KEEPER-BUS", "12", "54.00"), // billed 10 of 12 seats
        used("acme", "WEBEX-CALLING", "5", "40.00"), // billed more than it is worth (SKU case differs)
        used("acme", "M365-E3", "20", "720.00"), // matches
        used("acme", "WEBEX-MEETINGS", "8", "96.00"), // not billed at all
        used("globex", "KEEPER-BUS", "2", "9.00"), // one seat too many
      ],
      directory,
    );
    expect(result.matched).toBe(1);
    const summary = result.differences.map((x) => [x.kind, x.customerId, x.sku, x.quantityDelta?.toFixed() ?? null, x.amountDelta?.toFixed() ?? null]);
    expect(summary).toEqual([
      ["UNDER_BILLED", "acme", "KEEPER-BUS", "-2", "-9"],
      ["MISSING_IN_PSA", "acme", "WEBEX-MEETINGS", null, null],
      ["OVER_BILLED", "acme", "webex-calling", "0", "10"],
      ["OVER_BILLED", "globex", "KEEPER-BUS", "1", "4.5"],
      ["MISSING_AT_VENDOR", "globex", "OLD-SKU", null, null],
    ]);
    const under = result.differences[0];
    expect(under.psa).toMatchObject({ lines: 1 });
    expect([under.psa!.quantity.toFixed(), under.psa!.amount!.toFixed(), under.vendor!.quantity.toFixed(), under.vendor!.amount!.toFixed()]).toEqual(["10", "45", "12", "54"]);
    expect(under.psaReferences).toEqual(["agreement-7/addition-1"]);
    expect(result.differences[1].vendor!.amount!.toFixed()).toBe("96");
    expect(result.differences[4].psaReferences).toEqual(["contract-9/charge-2"]);
  });

  it("never compares two currencies, and compares unpriced usage by units", () => {
    const result = reconcilePsa(
      [psa("CW-1", "M365-E3", "20", "720.00", "EUR"), psa("CW-1", "WEBEX-CALLING", "4", "40.00")],
      [used("acme", "M365-E3", "20", "720.00", "USD"), used("acme", "WEBEX-CALLING", "5", null)],
      directory,
    );
    expect(result.differences.map((x) => [x.kind, x.sku, x.currency])).toEqual([
      ["UNDER_BILLED", "WEBEX-CALLING", "USD"],
      ["MISSING_IN_PSA", "M365-E3", "USD"],
      ["MISSING_AT_VENDOR", "M365-E3", "EUR"],
    ]);
    expect(result.differences[0]).toMatchObject({ amountDelta: null, detail: expect.stringMatching(/no resale price/) });
  });

  it("adds several lines of one side exactly, and reports PSA lines of unknown customers instead of dropping them", () => {
    const result = reconcilePsa(
      [psa("CW-1", "SKU", "0.1", "0.10"), psa("CW-1", "SKU", "0.2", "0.20"), psa("CW-404", "SKU", "1", "1"), psa("CW-404", "X", "1", "1")],
      [used("acme", "SKU", "0.3", "0.30")],
      directory,
    );
    expect(result.matched).toBe(1);
    expect(result.differences).toEqual([]);
    expect(result.unmatchedCustomerRefs).toEqual([{ customerRef: "CW-404", lines: 2 }]);
  });
});
