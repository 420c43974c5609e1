/** `priceBook` in the configuration: validated at start, every problem naming its field. */
import { parseConfig } from "../../src/config";
import { configProblems } from "../helpers/config";

const base = {
  auth: { issuer: "https://idp.test/", audience: "gw", hs256Secret: "s" },
  connections: [{ id: "webex", vendor: "webex-wholesale", accessToken: "t" }],
};
const WX = { vendor: "WEBEX", sku: "WXC-PRO", unitPrice: "0.3667", currency: "USD", validFrom: "2025-01" };
const problems = (priceBook: unknown) => configProblems({ ...base, priceBook });

describe("priceBook configuration", () => {
  it("parses a full book, and defaults to an empty one", () => {
    const cfg = parseConfig({
      ...base,
      priceBook: {
        wholesale: [{ ...WX, connectionId: "webex", validTo: "2026-12-31" }],
        resale: [
          { markupPercent: "15" },
          { vendor: "WEBEX", markupPercent: "25" },
          { sku: "10010", vendor: "KEEPER", unitPrice: "4.50", currency: "USD" },
          { customerId: "harbor-dental", sku: "WX-SUITE", unitPrice: "0.70", currency: "USD" },
          { customerId: "harbor-dental", markupPercent: "-5" },
          { minimum: "5.00", currency: "USD", sku: "WXC-CA" },
        ],
      },
    });
    expect(cfg.priceBook.wholesale).toHaveLength(1);
    expect(cfg.priceBook.resale).toHaveLength(6);
    expect(parseConfig(base).priceBook).toEqual({ wholesale: [], resale: [] });
  });

  it.each([
    ["a number for a price (it may have lost digits)", { wholesale: [{ ...WX, unitPrice: 0.3667 }] }, "priceBook.wholesale[0].unitPrice: Expected string, received number"],
    ["a price that is not a decimal", { wholesale: [{ ...WX, unitPrice: "0,37" }] }, 'priceBook.wholesale[0].unitPrice: must be a decimal string, e.g. "12.50"'],
    ["a negative price", { wholesale: [{ ...WX, unitPrice: "-1" }] }, "priceBook.wholesale[0].unitPrice: must not be negative"],
    ["an unknown currency", { wholesale: [{ ...WX, currency: "XYZ" }] }, "priceBook.wholesale[0].currency: must be an upper-case ISO 4217 currency code with a minor unit, e.g. USD"],
    ["a lower-case currency", { wholesale: [{ ...WX, currency: "usd" }] }, "priceBook.wholesale[0].currency: must be an upper-case ISO 4217 currency code with a minor unit, e.g. USD"],
    ["a date that does not exist", { wholesale: [{ ...WX, validFrom: "2025-02-30" }] }, "priceBook.wholesale[0].validFrom: must be YYYY-MM or a date YYYY-MM-DD"],
    ["validTo before validFrom", { wholesale: [{ ...WX, validTo: "2024-12" }] }, "priceBook.wholesale[0].validTo: must not be before validFrom (2025-01)"],
    ["an unknown vendor", { wholesale: [{ ...WX, vendor: "webex" }] }, "priceBook.wholesale[0].vendor: must be KEEPER, WEBEX or MICROSOFT"],
    ["an unknown field", { wholesale: [{ ...WX, price: "1" }] }, "priceBook.wholesale[0]: Unrecognized key(s) in object: 'price'"],
    ["a rule with two kinds", { resale: [{ sku: "A", unitPrice: "1", currency: "USD", markupPercent: "5" }] }, "priceBook.resale[0].markupPercent: a rule has exactly one of unitPrice, markupPercent or minimum (this one has unitPrice and markupPercent)"],
    ["a rule of no kind", { resale: [{ sku: "A" }] }, "priceBook.resale[0].unitPrice: a rule has exactly one of unitPrice, markupPercent or minimum"],
    ["a unit price without a SKU", { resale: [{ unitPrice: "1", currency: "USD" }] }, "priceBook.resale[0].sku: a unitPrice rule needs the sku it prices"],
    ["a unit price without a currency", { resale: [{ sku: "A", unitPrice: "1" }] }, "priceBook.resale[0].currency: unitPrice needs its currency"],
    ["a minimum without a currency", { resale: [{ minimum: "5" }] }, "priceBook.resale[0].currency: minimum needs its currency"],
    ["a markup with a currency", { resale: [{ markupPercent: "5", currency: "USD" }] }, "priceBook.resale[0].currency: a markup is applied in the cost's own currency: leave currency out"],
    ["a markup below -100%", { resale: [{ markupPercent: "-101" }] }, "priceBook.resale[0].markupPercent: must not be below -100"],
    ["a minimum finer than the currency's minor unit", { resale: [{ minimum: "5.001", currency: "USD" }] }, "priceBook.resale[0].minimum: a charge in USD has at most 2 decimals"],
    ["a minimum in yen with decimals", { resale: [{ minimum: "500.5", currency: "JPY" }] }, "priceBook.resale[0].minimum: a charge in JPY has at most 0 decimals"],
  ])("refuses %s, naming the field", (_what, priceBook, expected) => {
    expect(problems(priceBook)).toEqual([expected]);
  });

  it("refuses overlapping validity for one SKU (month and day bounds, open ends), and accepts adjacent ones", () => {
    expect(problems({ wholesale: [{ ...WX, validTo: "2025-06" }, { ...WX, validFrom: "2025-07-01" }] })).toEqual([]);
    expect(problems({ wholesale: [{ ...WX, validTo: "2025-06" }, { ...WX, validFrom: "2025-06-30" }] })).toEqual([
      "priceBook.wholesale[1].validFrom: SKU WXC-PRO: validity overlaps priceBook.wholesale[0] (one price per SKU, connection and vendor on any day)",
    ]);
    expect(problems({ wholesale: [WX, { ...WX, validFrom: "2030-01", currency: "EUR" }] })).toHaveLength(1);
    // Different scopes may overlap: the more specific one wins when pricing.
    expect(problems({ wholesale: [WX, { ...WX, connectionId: "webex" }, { ...WX, vendor: undefined }] })).toEqual([]);
  });

  it("refuses two rules of one kind for the same lines (which applies would be ambiguous)", () => {
    expect(problems({ resale: [{ markupPercent: "10" }, { markupPercent: "12" }] })).toEqual([
      "priceBook.resale[1]: matches the same lines as priceBook.resale[0] with a rule of the same kind: which one applies would be ambiguous",
    ]);
    expect(problems({ resale: [{ sku: "A", unitPrice: "1", currency: "USD" }, { sku: "A", unitPrice: "2", currency: "EUR" }] })).toHaveLength(1);
    // Same lines, different kinds or currencies of minimum: allowed, the precedence decides.
    expect(problems({ resale: [{ sku: "A", unitPrice: "1", currency: "USD" }, { sku: "A", markupPercent: "5" }, { minimum: "1", currency: "USD" }, { minimum: "1", currency: "EUR" }] })).toEqual([]);
  });
});
