/** The price book on its own: cost sources, rounding per line, validity, each rule kind and their precedence, currencies. */
import type { DirectoryCustomer } from "../../src/customers/directory";
import { Dec, moneyText } from "../../src/domain/money";
import type { Vendor } from "../../src/domain/model";
import { BillingAccumulator } from "../../src/pricing/billing";
import { createPriceBook, NO_PRICE_BOOK, reasonsOf, type PricedLine, type PriceBookConfig, type ResaleRuleConfig } from "../../src/pricing/price-book";
import { roundToMinorUnit } from "../../src/pricing/rounding";

const NOV = { year: 2026, month: 11 };

function line(over: Partial<Omit<PricedLine, "quantity" | "amount">> & { quantity?: string; amount?: string | null } = {}): PricedLine {
  const { quantity, amount, ...rest } = over;
  return {
    vendor: "WEBEX",
    connectionId: "webex-1",
    productKey: "WXC-PRO",
    period: NOV,
    chargeStart: "2026-11-01",
    companyExternalIds: [],
    currency: amount == null ? null : "USD",
    ...rest,
    quantity: new Dec(quantity ?? "10"),
    amount: amount == null ? null : new Dec(amount),
  };
}

const harbor: DirectoryCustomer = { id: "harbor", name: "Harbor", psaCompanyId: null, externalIds: [] };
/** As the wire writes it: padded to the minor unit, never rounded. */
const money = (m: { amount: Dec; currency: string } | null) => (m ? `${moneyText(m.amount, m.currency)} ${m.currency}` : null);
const book = (cfg: Partial<PriceBookConfig>) => createPriceBook({ wholesale: [], resale: [], ...cfg });
const WX = { vendor: "WEBEX" as Vendor, sku: "WXC-PRO", unitPrice: "0.3667", currency: "USD", validFrom: "2020-01" };

describe("rounding", () => {
  it.each([
    ["2.345", "USD", "2.35"],
    ["2.3449", "USD", "2.34"],
    ["-2.345", "USD", "-2.35"], // half away from zero on a tie, credits too
    ["1234.5", "JPY", "1235"],
    ["0.4", "JPY", "0"],
    ["1.2345", "KWD", "1.235"],
    ["1.23449", "KWD", "1.234"],
    ["7", "EUR", "7"],
  ])("rounds %s %s half-up to the minor unit: %s", (amount, currency, expected) => {
    expect(roundToMinorUnit(new Dec(amount), currency)!.toFixed()).toBe(expected);
  });

  it("gives null for a code with no ISO 4217 minor unit, rather than guess one", () => {
    expect(roundToMinorUnit(new Dec("1.005"), "ZZZ")).toBeNull();
  });
});

describe("cost", () => {
  it("comes from the vendor where it gives an amount, even when the price list has the SKU, and is not rounded", () => {
    const b = book({ wholesale: [{ ...WX, vendor: undefined }] });
    const p = b.price(line({ vendor: "KEEPER", connectionId: "keeper", amount: "12.345" }), null);
    expect([money(p.cost), p.costSource, p.costRule]).toEqual(["12.345 USD", "VENDOR", "vendor amount"]);
  });

  it("comes from the price list for a line without an amount (Webex): unit price × quantity, rounded half-up per line", () => {
    const p = book({ wholesale: [WX] }).price(line({ quantity: "47.5" }), null);
    // 0.3667 × 47.5 = 17.41825
    expect([money(p.cost), p.costSource]).toEqual(["17.42 USD", "PRICE_BOOK"]);
    expect(p.costRule).toBe("price book: SKU WXC-PRO at 0.3667 USD per unit (WEBEX), valid from 2020-01-01");
  });

  it("rounds at each currency's minor unit: JPY to units, KWD to thousandths", () => {
    const b = book({
      wholesale: [
        { sku: "JP", unitPrice: "12.5", currency: "JPY", validFrom: "2020-01" },
        { sku: "KW", unitPrice: "0.1235", currency: "KWD", validFrom: "2020-01" },
      ],
    });
    expect(money(b.price(line({ productKey: "JP", quantity: "3" }), null).cost)).toBe("38 JPY"); // 37.5
    expect(money(b.price(line({ productKey: "KW", quantity: "3" }), null).cost)).toBe("0.371 KWD"); // 0.3705
  });

  it("is null with the reason when neither the vendor nor the price list has one", () => {
    const p = NO_PRICE_BOOK.price(line(), null);
    expect([p.cost, p.costSource]).toEqual([null, null]);
    expect(p.costReason).toBe("no vendor amount and no wholesale price for SKU WXC-PRO (WEBEX, webex-1) valid on 2026-11-01");
  });

  it("uses the entry valid on the line's charge start: validTo is inclusive, a month covers all its days", () => {
    const b = book({
      wholesale: [
        { ...WX, unitPrice: "0.35", validFrom: "2020-01", validTo: "2026-10" },
        { ...WX, unitPrice: "0.40", validFrom: "2026-11-01", validTo: "2026-11-15" },
        { ...WX, unitPrice: "0.45", validFrom: "2026-11-16" },
      ],
    });
    const at = (period: { year: number; month: number }, chargeStart: string) => money(b.price(line({ period, chargeStart, quantity: "1" }), null).cost);
    expect(at({ year: 2026, month: 10 }, "2026-10-31")).toBe("0.35 USD");
    expect(at(NOV, "2026-11-01")).toBe("0.40 USD");
    expect(at(NOV, "2026-11-15")).toBe("0.40 USD");
    expect(at(NOV, "2026-11-16")).toBe("0.45 USD");
    // A charge start that is not a day of the period: the period's first day.
    expect(at(NOV, "")).toBe("0.40 USD");
    expect(at({ year: 2019, month: 12 }, "2019-12-01")).toBeNull();
  });

  it("prefers the entry of the line's connection, then its vendor's, then one for any", () => {
    const b = book({
      wholesale: [
        { sku: "WXC-PRO", unitPrice: "1", currency: "USD", validFrom: "2020-01" },
        { ...WX, unitPrice: "2" },
        { ...WX, connectionId: "webex-2", unitPrice: "3" },
      ],
    });
    expect(money(b.price(line({ connectionId: "webex-2", quantity: "1" }), null).cost)).toBe("3.00 USD");
    expect(money(b.price(line({ quantity: "1" }), null).cost)).toBe("2.00 USD");
    expect(money(b.price(line({ vendor: "KEEPER", quantity: "1" }), null).cost)).toBe("1.00 USD");
  });
});

describe("resale rules", () => {
  // Every level present: each test removes the ones above the level it expects.
  const ALL: Array<[string, ResaleRuleConfig]> = [
    ["customer+sku price", { customerId: "harbor", sku: "WXC-PRO", unitPrice: "0.90", currency: "USD" }],
    ["customer+sku markup", { customerId: "harbor", sku: "WXC-PRO", markupPercent: "40" }],
    ["customer markup", { customerId: "harbor", markupPercent: "35" }],
    ["sku price", { sku: "WXC-PRO", unitPrice: "0.80", currency: "USD" }],
    ["sku markup", { sku: "WXC-PRO", markupPercent: "30" }],
    ["vendor markup", { vendor: "WEBEX", markupPercent: "25" }],
    ["default markup", { markupPercent: "15" }],
  ];
  const expected: Record<string, [string, string]> = {
    // cost: 0.3667 × 10 = 3.667 -> 3.67
    "customer+sku price": ["customer harbor: SKU WXC-PRO at 0.90 USD", "9.00 USD"],
    "customer+sku markup": ["customer harbor: SKU WXC-PRO markup 40%", "5.138 USD"],
    "customer markup": ["customer harbor: markup 35%", "4.9545 USD"],
    "sku price": ["SKU WXC-PRO at 0.80 USD", "8.00 USD"],
    "sku markup": ["SKU WXC-PRO markup 30%", "4.771 USD"],
    "vendor markup": ["markup 25% (WEBEX)", "4.5875 USD"],
    "default markup": ["default markup 15%", "4.2205 USD"],
  };

  it.each(ALL.map(([name], i) => [name, i]))("precedence: %s applies when no rule above it matches", (name, i) => {
    const b = book({ wholesale: [WX], resale: ALL.slice(i as number).map(([, r]) => r) });
    const p = b.price(line(), harbor);
    const [rule, unrounded] = expected[name as string];
    expect(p.rule).toBe(rule);
    // Rounded half-up to cents, once, on the line.
    expect(money(p.resale)).toBe(`${roundToMinorUnit(new Dec(unrounded.split(" ")[0]), "USD")!.toFixed(2)} USD`);
  });

  it("applies customer rules only to that customer's lines", () => {
    const b = book({ wholesale: [WX], resale: ALL.map(([, r]) => r) });
    expect(b.price(line(), null).rule).toBe("SKU WXC-PRO at 0.80 USD");
    expect(b.price(line(), { ...harbor, id: "someone-else" }).rule).toBe("SKU WXC-PRO at 0.80 USD");
  });

  it("within a level, a rule naming the line's vendor beats one that does not, and a unit price beats a markup", () => {
    const b = book({
      wholesale: [WX],
      resale: [
        { sku: "WXC-PRO", markupPercent: "30" },
        { sku: "WXC-PRO", unitPrice: "0.80", currency: "USD" },
        { sku: "WXC-PRO", vendor: "WEBEX", markupPercent: "20" },
        { sku: "WXC-PRO", vendor: "KEEPER", unitPrice: "9", currency: "USD" },
      ],
    });
    expect(b.price(line(), null).rule).toBe("SKU WXC-PRO markup 20% (WEBEX)");
    expect(b.price(line({ vendor: "MICROSOFT" }), null).rule).toBe("SKU WXC-PRO at 0.80 USD");
  });

  it("gives a markup in the cost's currency (a unit price gives its own: see currencies)", () => {
    const b = book({ wholesale: [{ ...WX, currency: "EUR" }], resale: [{ markupPercent: "10" }] });
    expect(money(b.price(line(), null).resale)).toBe("4.04 EUR"); // 3.67 × 1.1 = 4.037
  });

  it("leaves a line no rule matches without a resale, saying so (never guessed)", () => {
    const p = book({ wholesale: [WX], resale: [{ vendor: "KEEPER", markupPercent: "10" }] }).price(line(), null);
    expect([p.resale, p.rule, p.resaleReason]).toEqual([null, null, "no resale rule"]);
    expect(money(p.cost)).toBe("3.67 USD");
    expect(p.margin).toBeNull();
    expect(reasonsOf(p)).toBe("no resale rule; no margin without a resale");
  });

  it("gives a markup no resale when the line has no cost, with both reasons", () => {
    const p = book({ resale: [{ markupPercent: "15" }] }).price(line(), null);
    expect(p.resale).toBeNull();
    expect(p.resaleReason).toBe("default markup 15% needs a cost");
    expect(reasonsOf(p)).toContain("no wholesale price for SKU WXC-PRO");
  });

  it("prices credits by the same rules (a negative vendor amount marked up stays a credit)", () => {
    const p = book({ resale: [{ markupPercent: "15" }] }).price(line({ vendor: "MICROSOFT", amount: "-43.63" }), null);
    expect([money(p.resale), money(p.margin)]).toEqual(["-50.17 USD", "-6.54 USD"]); // -50.1745 -> -50.17
  });
});

describe("minimum charges", () => {
  const base: ResaleRuleConfig[] = [{ vendor: "WEBEX", markupPercent: "25" }];

  it("raise a resale below them, name both rules, and leave a resale above them as it is", () => {
    const b = book({ wholesale: [WX], resale: [...base, { minimum: "5.00", currency: "USD" }] });
    const small = b.price(line({ quantity: "2" }), null); // 0.73 × 1.25 = 0.9125 -> 0.91
    expect(money(small.resale)).toBe("5.00 USD");
    expect(small.rule).toBe("minimum charge 5.00 USD, over markup 25% (WEBEX): 0.91 USD");
    expect(money(small.margin)).toBe("4.27 USD");
    const big = b.price(line({ quantity: "100" }), null);
    expect(big.rule).toBe("markup 25% (WEBEX)");
  });

  it("apply only in their own currency, and never to credits", () => {
    const b = book({ resale: [{ markupPercent: "10" }, { minimum: "5", currency: "EUR" }] });
    expect(money(b.price(line({ vendor: "KEEPER", amount: "1.00" }), null).resale)).toBe("1.10 USD");
    expect(money(b.price(line({ vendor: "KEEPER", amount: "-1.00", currency: "EUR" }), null).resale)).toBe("-1.10 EUR");
    expect(money(b.price(line({ vendor: "KEEPER", amount: "1.00", currency: "EUR" }), null).resale)).toBe("5.00 EUR");
  });

  it("the most specific applies: customer + SKU, customer, SKU, everyone", () => {
    const mins: ResaleRuleConfig[] = [
      { customerId: "harbor", sku: "WXC-PRO", minimum: "9", currency: "USD" },
      { customerId: "harbor", minimum: "8", currency: "USD" },
      { sku: "WXC-PRO", minimum: "7", currency: "USD" },
      { minimum: "6", currency: "USD" },
    ];
    const at = (from: number, customer: DirectoryCustomer | null) => money(book({ wholesale: [WX], resale: [...base, ...mins.slice(from)] }).price(line({ quantity: "1" }), customer).resale);
    expect([at(0, harbor), at(1, harbor), at(2, harbor), at(3, harbor), at(0, null)]).toEqual(["9.00 USD", "8.00 USD", "7.00 USD", "6.00 USD", "7.00 USD"]);
  });
});

describe("currencies", () => {
  it("give no margin when resale and cost are in different currencies", () => {
    const p = book({ resale: [{ sku: "WXC-PRO", unitPrice: "1", currency: "EUR" }] }).price(line({ amount: "3.00" }), null);
    expect([money(p.cost), money(p.resale), p.margin, p.marginReason]).toEqual(["3.00 USD", "10.00 EUR", null, "resale and cost in different currencies"]);
  });

  it("are added apart: a customer billed in USD and EUR gets two totals, and margins never mix", () => {
    const b = book({ resale: [{ markupPercent: "10" }, { sku: "EUR-PRICED", unitPrice: "2", currency: "EUR" }] });
    const acc = new BillingAccumulator();
    const add = (l: PricedLine) => acc.add({ ...l, description: null }, b.price(l, null));
    add(line({ vendor: "KEEPER", productKey: "K", amount: "10.00" }));
    add(line({ vendor: "MICROSOFT", productKey: "M", amount: "20.00", currency: "EUR" }));
    add(line({ vendor: "MICROSOFT", productKey: "EUR-PRICED", amount: "5.00", quantity: "1" })); // cost USD, resale EUR
    const totals = acc.totals.result().map((t) => ({ currency: t.currency, lines: t.lines, cost: t.cost?.toFixed(), resale: t.resale?.toFixed(), margin: t.margin?.toFixed() }));
    expect(totals).toEqual([
      { currency: "USD", lines: 2, cost: "15", resale: "11", margin: "1" },
      { currency: "EUR", lines: 2, cost: "20", resale: "24", margin: "2" },
    ]);
    expect(acc.withoutMargin.result()).toEqual({ lines: 1, reasons: [{ reason: "resale and cost in different currencies", lines: 1 }] });
    expect([...acc.byVendor.keys()]).toEqual(["KEEPER", "MICROSOFT"]);
    expect(acc.byVendor.get("MICROSOFT")!.result().map((t) => t.currency)).toEqual(["EUR", "USD"]);
  });
});

describe("exact decimals", () => {
  it("adds line figures exactly: ten thousand lines of 0.10 and 0.20 make 3000.00, not a float's approximation", () => {
    const b = book({ resale: [{ sku: "A", unitPrice: "0.2", currency: "USD" }] });
    const acc = new BillingAccumulator();
    for (let i = 0; i < 10_000; i++) {
      const l = line({ vendor: "KEEPER", productKey: "A", amount: "0.1", quantity: "1" });
      acc.add({ ...l, description: null }, b.price(l, null));
    }
    const [usd] = acc.totals.result();
    expect([usd.cost!.toFixed(), usd.resale!.toFixed(), usd.margin!.toFixed()]).toEqual(["1000", "2000", "1000"]);
    expect(usd.cost!.plus(usd.resale!).toFixed()).toBe("3000");
    // What floats would have given:
    let f = 0;
    for (let i = 0; i < 10_000; i++) f += 0.1 + 0.2;
    expect(f).not.toBe(3000);
  });

  it("counts unpriced lines by reason; none is dropped", () => {
    const b = book({ resale: [{ vendor: "KEEPER", markupPercent: "10" }] });
    const acc = new BillingAccumulator();
    for (const l of [line({ vendor: "KEEPER", amount: "1" }), line(), line(), line({ vendor: "MICROSOFT", amount: "2" })]) acc.add({ ...l, description: null }, b.price(l, null));
    expect(acc.totals.lines).toBe(4);
    expect(acc.unpriced.result()).toEqual({ lines: 3, reasons: [{ reason: "no resale rule", lines: 3 }] });
  });
});
