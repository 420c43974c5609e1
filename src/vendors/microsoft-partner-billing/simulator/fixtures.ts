/**
 * Deterministic CSP invoice reconciliation lines: several customers (one, in Germany, billed in EUR
 * for prices set in USD, so every invoice is in two currencies), licences with prorated new and
 * cancelled seats, credits, promotions. Lines are generated
 * lazily, so a 1,000,000-line invoice streams without sitting in memory.
 */
import { Dec, roundCents } from "../../../domain/money";
import { seededRandom } from "../../keeper/simulator/fixtures";

export interface BillingCustomer {
  id: string;
  name: string;
  domain: string;
  country: string;
  /** The currency the customer's lines are billed in (`Currency`). */
  billingCurrency: string;
  /** The currency unit prices are set in (`PricingCurrency`). */
  pricingCurrency: string;
  /** Pricing currency → billing currency (`PCToBCExchangeRate`). */
  rate: string;
  /** The day of the rate (`PCToBCExchangeRateDate`). */
  rateDate: string;
  /** Sales tax or VAT on the subtotal. */
  taxRate: string;
}

const PRODUCTS = [
  { productId: "CFQ7TTC0LH18", skuId: "0001", availabilityId: "CFQ7TTC0K5DJ", name: "Microsoft 365 Business Basic", price: "6", category: "OnlineServicesNCE" },
  { productId: "CFQ7TTC0LDPB", skuId: "0001", availabilityId: "CFQ7TTC0KGRW", name: "Microsoft 365 Business Standard", price: "12.5", category: "OnlineServicesNCE" },
  { productId: "CFQ7TTC0LCHC", skuId: "0002", availabilityId: "CFQ7TTC0KQWL", name: "Microsoft 365 Business Premium", price: "22", category: "OnlineServicesNCE" },
  { productId: "CFQ7TTC0LF8Q", skuId: "0001", availabilityId: "CFQ7TTC0KN2P", name: "Microsoft 365 E3", price: "36", category: "OnlineServicesNCE" },
  { productId: "CFQ7TTC0LH4G", skuId: "0002", availabilityId: "CFQ7TTC0KF2B", name: "Microsoft Teams Phone Standard", price: "10", category: "OnlineServicesNCE" },
];

const NAMES = ["Fabrikam Ltd", "Northwind Traders", "Contoso Pharma GmbH", "Tailspin Toys", "Woodgrove Bank", "Litware Inc", "Adventure Works", "Wide World Importers"];

function guid(rnd: () => number): string {
  const h = Array.from({ length: 32 }, () => Math.floor(rnd() * 16).toString(16)).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function billingCustomers(count = 8): BillingCustomer[] {
  const rnd = seededRandom("partner-billing-customers");
  return Array.from({ length: count }, (_, i) => {
    const name = NAMES[i % NAMES.length] + (i >= NAMES.length ? ` ${Math.floor(i / NAMES.length) + 1}` : "");
    const eur = i % NAMES.length === 2;
    return {
      id: guid(rnd),
      name,
      domain: `${name.toLowerCase().replace(/[^a-z]+/g, "")}.onmicrosoft.com`,
      country: eur ? "DE" : "US",
      billingCurrency: eur ? "EUR" : "USD",
      pricingCurrency: "USD",
      rate: eur ? "0.9233" : "1",
      rateDate: "2025-06-01",
      taxRate: eur ? "0.19" : "0.0825",
    };
  });
}

export interface InvoiceSpec {
  invoiceId: string;
  partnerId: string;
  /** Billing period start, YYYY-MM-01. */
  periodStart: string;
  lines: number;
  customers: BillingCustomer[];
  attributeSet: "full" | "basic";
}

/** A cheap PRNG per line, so any range of lines can be generated without the ones before it. */
function lineRandom(base: number, i: number): () => number {
  let a = (base ^ Math.imul(i + 1, 2654435761)) | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Lines [from, to) of the invoice, one JSON object each, PascalCase keys (casing may vary: parse case-insensitively). */
export function* invoiceLines(spec: InvoiceSpec, from = 0, to = spec.lines): Generator<Record<string, unknown>> {
  const base = Math.floor(seededRandom(`invoice|${spec.invoiceId}`)() * 2 ** 31);
  const start = new Date(`${spec.periodStart}T00:00:00Z`);
  const days = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 0)).getUTCDate();
  const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), days));
  for (let i = from; i < Math.min(to, spec.lines); i++) {
    const rnd = lineRandom(base, i);
    const customer = spec.customers[i % spec.customers.length];
    const product = PRODUCTS[Math.floor(rnd() * PRODUCTS.length)];
    const roll = rnd();
    const chargeType = roll < 0.6 ? "cycleCharge" : roll < 0.75 ? "new" : roll < 0.85 ? "addQuantity" : roll < 0.93 ? "removeQuantity" : "cancelImmediate";
    const seats = 1 + Math.floor(rnd() * 50);
    // Prorated charges cover part of the month: BillableQuantity = seats × days / days in month.
    const from = chargeType === "cycleCharge" ? 1 : 1 + Math.floor(rnd() * (days - 1));
    const billable = new Dec(seats).times(days - from + 1).div(days).toDecimalPlaces(4);
    const credit = chargeType === "removeQuantity" || chargeType === "cancelImmediate";
    const promo = rnd() < 0.1;
    const unitPrice = new Dec(product.price);
    const effective = promo ? unitPrice.times("0.85").toDecimalPlaces(4) : unitPrice;
    const sign = credit ? -1 : 1;
    const subtotal = roundCents(effective.times(billable).times(customer.rate)).times(sign);
    const tax = roundCents(subtotal.times(customer.taxRate));
    const total = subtotal.plus(tax);
    const chargeStart = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), from));
    const line: Record<string, unknown> = {
      PartnerId: spec.partnerId,
      CustomerId: customer.id,
      CustomerName: customer.name,
      InvoiceNumber: spec.invoiceId,
      OrderId: `ord${String(100000 + Math.floor(rnd() * 899999))}`,
      OrderDate: chargeStart.toISOString(),
      ProductId: product.productId,
      SkuId: product.skuId,
      AvailabilityId: product.availabilityId,
      ProductName: product.name,
      ChargeType: chargeType,
      UnitPrice: Number(unitPrice.toFixed()),
      EffectiveUnitPrice: Number(effective.toFixed()),
      BillableQuantity: Number(billable.times(sign).toFixed()),
      Subtotal: Number(subtotal.toFixed()),
      TaxTotal: Number(tax.toFixed()),
      Total: Number(total.toFixed()),
      Currency: customer.billingCurrency,
      PricingCurrency: customer.pricingCurrency,
      PCToBCExchangeRate: Number(customer.rate),
      PublisherName: "Microsoft Corporation",
      SubscriptionId: `${customer.id.slice(0, 24)}${String(i % 997).padStart(12, "0")}`,
      ChargeStartDate: chargeStart.toISOString(),
      ChargeEndDate: end.toISOString(),
      TermAndBillingCycle: "One-Year commitment for monthly/yearly billing",
      PriceAdjustmentDescription: promo ? '["15.0% promotion, discount: 15%"]' : "",
      CreditReasonCode: credit ? "Customer Requested Reduction" : "",
      PromotionId: promo ? "39NFJQT1Q5KC:0001:39NFJQT1Q1VF" : "",
      ReferenceId: `ref-${i}`,
      ProductCategory: product.category,
    };
    if (spec.attributeSet === "full") {
      Object.assign(line, {
        CustomerDomainName: customer.domain,
        CustomerCountry: customer.country,
        MpnId: "1234567",
        SkuName: product.name,
        Quantity: seats * sign,
        PublisherId: "",
        SubscriptionDescription: product.name,
        UnitType: "Licenses",
        BillingFrequency: "Monthly",
        PCToBCExchangeRateDate: `${customer.rateDate}T00:00:00Z`,
        MeterDescription: "",
      });
    }
    yield line;
  }
}
