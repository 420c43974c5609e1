/**
 * Deterministic Webex wholesale usage for the simulator: customers (with the partner's own external
 * ids), sub-partners, users with services provisioned for whole or half days. USER rows are generated
 * lazily as a stream (a 200,000-row report never sits in memory); CUSTOMER and PARTNER rows are exact
 * sums of the USER rows, so the three report types reconcile.
 */
import { Readable } from "node:stream";
import { Dec } from "../../../domain/money";
import { seededRandom } from "../../keeper/simulator/fixtures";
import { WEBEX_COLUMNS, type WebexReportType } from "../wire";

export interface WebexService {
  serviceName: string;
  sku: string;
  description: string;
}

export const WEBEX_SERVICES: WebexService[] = [
  { serviceName: "WEBEX_CALLING", sku: "WXC-PRO", description: "Webex Calling, Professional" },
  { serviceName: "WEBEX_MEETINGS", sku: "WXM-STD", description: "Webex Meetings, Standard" },
  { serviceName: "WEBEX_SUITE", sku: "WX-SUITE", description: "Webex Suite (Calling + Meetings)" },
  { serviceName: "COMMON_AREA_CALLING", sku: "WXC-CA", description: "Common Area Calling" },
];

export interface WebexCustomer {
  orgId: string;
  externalId: string;
  name: string;
  subPartnerOrgId: string | null;
  locations: string[];
  users: number;
  subscriptionId: string;
}

export interface WebexWorld {
  partnerName: string;
  partnerOrgId: string;
  subPartners: Array<{ orgId: string; name: string }>;
  customers: WebexCustomer[];
}

/** Webex ids are base64 of `ciscospark://us/<KIND>/<uuid>` (webex.md quirk 1). */
export function webexId(kind: string, seed: string): string {
  const rnd = seededRandom(`${kind}|${seed}`);
  const hex = Array.from({ length: 32 }, () => Math.floor(rnd() * 16).toString(16)).join("");
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return Buffer.from(`ciscospark://us/${kind}/${uuid}`).toString("base64").replace(/=+$/, "");
}

const CUSTOMER_NAMES = [
  "Harbor Family Dental", "Kestrel Logistics", "Contoso Pharma GmbH", "Northstar Credit Union Inc.", "Oakridge Clinics",
  "Pioneer Title Co", "Quartz Analytics", "Riverside Schools", "Summit Realty", "Tidal Insurance",
  "Union Street Bakery", "Vantage Engineering",
];

export function defaultWebexWorld(): WebexWorld {
  const subPartners = [
    { orgId: webexId("ORGANIZATION", "sub-1"), name: "Bluewave Telecom (sub-partner)" },
    { orgId: webexId("ORGANIZATION", "sub-2"), name: "Crestline Voice (sub-partner)" },
  ];
  const rnd = seededRandom("webex-world");
  const customers = CUSTOMER_NAMES.map((name, i) => ({
    orgId: webexId("ORGANIZATION", `customer-${i}`),
    externalId: `PSA-${1001 + i}`,
    name,
    subPartnerOrgId: i % 4 === 3 ? subPartners[i % 2].orgId : null,
    locations: [webexId("LOCATION", `loc-${i}-a`), ...(i % 3 === 0 ? [webexId("LOCATION", `loc-${i}-b`)] : [])],
    users: 3 + Math.floor(rnd() * 35),
    subscriptionId: `Sub${String(880000 + i * 17)}`,
  }));
  return { partnerName: "Acme Wholesale Partner", partnerOrgId: webexId("ORGANIZATION", "partner"), subPartners, customers };
}

/** A world with `userCount` users spread over a few hundred customers (benchmarks: 200,000 USER rows). */
export function largeWebexWorld(userCount: number): WebexWorld {
  const base = defaultWebexWorld();
  const customerCount = Math.max(1, Math.round(userCount / 400));
  const customers: WebexCustomer[] = [];
  for (let i = 0; i < customerCount; i++) {
    customers.push({
      orgId: webexId("ORGANIZATION", `large-${i}`),
      externalId: `PSA-L${100000 + i}`,
      name: `Customer ${i + 1}`,
      subPartnerOrgId: null,
      locations: [webexId("LOCATION", `large-loc-${i}`)],
      users: Math.floor(userCount / customerCount) + (i < userCount % customerCount ? 1 : 0),
      subscriptionId: `Sub${900000 + i}`,
    });
  }
  return { ...base, customers };
}

export interface ReportSpec {
  type: WebexReportType;
  billingStartDate: string;
  billingEndDate: string;
  subPartnerOrgId?: string;
}

export interface CsvQuirks {
  bom?: boolean;
  /** Columns in a shuffled order (headers are matched by name). */
  shuffleColumns?: boolean;
  /** 1-based data row to corrupt (a QUANTITY that is not a number). */
  malformedRow?: number;
  /** Lower-case header names. */
  lowerCaseHeaders?: boolean;
  /** A CUSTOMER_NAME column after CUSTOMER_EXTERNAL_ID (CUSTOMER and USER reports): not in webex.md, seen in some. */
  customerNameColumn?: boolean;
}

function days(start: string, end: string): number {
  return Math.round((Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / 86_400_000) + 1;
}

interface UserUsage {
  customer: WebexCustomer;
  userIndex: number;
  service: WebexService;
  location: string;
  /** Decimal text: provisioned days, halves included. */
  quantity: string;
}

/** Users of one customer and their usage over the period (deterministic). */
function* customerUsers(customer: WebexCustomer, spec: ReportSpec): Generator<UserUsage> {
  const total = days(spec.billingStartDate, spec.billingEndDate);
  const rnd = seededRandom(`${customer.orgId}|${spec.billingStartDate}|${spec.billingEndDate}`);
  for (let u = 0; u < customer.users; u++) {
    const service = u % 11 === 10 ? WEBEX_SERVICES[3] : WEBEX_SERVICES[Math.floor(rnd() * 3)];
    // Most users are provisioned all period; some join or leave mid-period, some for half days.
    const r = rnd();
    const halves = r < 0.7 ? total * 2 : Math.max(1, Math.floor(rnd() * total * 2));
    yield {
      customer,
      userIndex: u,
      service,
      location: customer.locations[u % customer.locations.length],
      quantity: new Dec(halves).div(2).toFixed(),
    };
  }
}

function inScope(world: WebexWorld, spec: ReportSpec): WebexCustomer[] {
  return world.customers.filter((c) => (spec.subPartnerOrgId ? c.subPartnerOrgId === spec.subPartnerOrgId : true));
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The report as CSV (CRLF line ends, RFC 4180 quoting), streamed row by row. */
export function reportCsv(world: WebexWorld, spec: ReportSpec, quirks: CsvQuirks = {}): Readable {
  let columns = [...WEBEX_COLUMNS[spec.type]];
  if (quirks.customerNameColumn && spec.type !== "PARTNER") columns.splice(columns.indexOf("CUSTOMER_EXTERNAL_ID") + 1, 0, "CUSTOMER_NAME");
  if (quirks.shuffleColumns) columns = [...columns].reverse();
  const partner = spec.subPartnerOrgId ? world.subPartners.find((s) => s.orgId === spec.subPartnerOrgId) : undefined;
  const partnerName = partner?.name ?? world.partnerName;
  const partnerOrgId = partner?.orgId ?? world.partnerOrgId;

  function* rows(): Generator<Record<string, string>> {
    const base = (service: WebexService, subscriptionId: string) => ({
      PARTNER_NAME: partnerName,
      PARTNER_ORG_ID: partnerOrgId,
      SUBSCRIPTION_ID: subscriptionId,
      SERVICE_NAME: service.serviceName,
      SKU: service.sku,
      DESCRIPTION: service.description,
      CONSUMPTION_START_DATE: spec.billingStartDate,
      CONSUMPTION_END_DATE: spec.billingEndDate,
    });
    if (spec.type === "USER") {
      for (const customer of inScope(world, spec)) {
        for (const u of customerUsers(customer, spec)) {
          const isWorkspace = u.service.serviceName === "COMMON_AREA_CALLING";
          yield {
            ...base(u.service, customer.subscriptionId),
            QUANTITY: u.quantity,
            CUSTOMER_ORG_ID: customer.orgId,
            CUSTOMER_EXTERNAL_ID: customer.externalId,
            CUSTOMER_NAME: customer.name,
            LOCATION_ID: u.location,
            SUBSCRIBER_ID: `${customer.externalId}-S${u.userIndex + 1}`,
            USER_ID: isWorkspace ? "" : webexId("PEOPLE", `${customer.orgId}-${u.userIndex}`),
            WORKSPACE_ID: isWorkspace ? webexId("PLACE", `${customer.orgId}-${u.userIndex}`) : "",
          };
        }
      }
      return;
    }
    const partnerTotals = new Map<string, { service: WebexService; subscriptionId: string; qty: Dec }>();
    for (const customer of inScope(world, spec)) {
      const sums = new Map<string, { service: WebexService; location: string; qty: Dec }>();
      for (const u of customerUsers(customer, spec)) {
        const key = `${u.service.sku}|${u.location}`;
        const entry = sums.get(key) ?? { service: u.service, location: u.location, qty: new Dec(0) };
        entry.qty = entry.qty.plus(u.quantity);
        sums.set(key, entry);
      }
      for (const s of sums.values()) {
        if (spec.type === "CUSTOMER") {
          yield {
            ...base(s.service, customer.subscriptionId),
            QUANTITY: s.qty.toFixed(),
            CUSTOMER_ORG_ID: customer.orgId,
            CUSTOMER_EXTERNAL_ID: customer.externalId,
            CUSTOMER_NAME: customer.name,
            LOCATION_ID: s.location,
          };
        } else {
          const key = s.service.sku;
          const entry = partnerTotals.get(key) ?? { service: s.service, subscriptionId: "SubPARTNER", qty: new Dec(0) };
          entry.qty = entry.qty.plus(s.qty);
          partnerTotals.set(key, entry);
        }
      }
    }
    for (const p of partnerTotals.values()) yield { ...base(p.service, p.subscriptionId), QUANTITY: p.qty.toFixed() };
  }

  const header = (quirks.lowerCaseHeaders ? columns.map((c) => c.toLowerCase()) : columns).join(",");
  let index = 0;
  const iterator = rows();
  return Readable.from(
    (function* () {
      yield `${quirks.bom ? "\ufeff" : ""}${header}\r\n`;
      let chunk = "";
      for (const row of iterator) {
        index++;
        const cells = columns.map((c) => (c === "QUANTITY" && index === quirks.malformedRow ? "n/a" : csvField(row[c] ?? "")));
        chunk += `${cells.join(",")}\r\n`;
        if (chunk.length > 64 * 1024) {
          yield chunk;
          chunk = "";
        }
      }
      if (chunk) yield chunk;
    })(),
    { objectMode: false },
  );
}
