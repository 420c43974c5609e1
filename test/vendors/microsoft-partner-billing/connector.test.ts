/** Partner Center billed invoice reconciliation through the Graph export, over real HTTP. */
import { Dec, sum } from "../../../src/domain/money";
import { reconcile } from "../../../src/domain/reconcile";
import { Secret } from "../../../src/domain/secret";
import { createPartnerBillingConnector, PARTNER_SELF } from "../../../src/vendors/microsoft-partner-billing";
import { createPartnerBillingSimulator, PARTNER_BILLING_SANDBOX, type PartnerBillingSimulator } from "../../../src/vendors/microsoft-partner-billing/simulator/server";
import { capturingLogger } from "../../helpers/logs";
import { callContext, connectorDeps } from "../../helpers/connector";
import { DisposableStack } from "../../helpers/stack";

const stack = new DisposableStack();
let sim: PartnerBillingSimulator;
const OCT = { year: 2026, month: 10 };
let n = 0;
const call = () => callContext(stack, `pcb-${++n}`);
const { logger, lines: logLines } = capturingLogger();

beforeAll(async () => {
  sim = stack.use(
    await createPartnerBillingSimulator({
      invoices: [{ invoiceId: "G016907411", periodStart: "2026-10-01", lines: 250 }],
      pollsToComplete: 2,
      retryAfterSeconds: 1,
      linesPerBlob: 100,
    }),
  );
});
afterAll(() => stack.dispose());
beforeEach(() => {
  sim.calls.reset();
  sim.faults.clear();
});

function connector(o: { clientId?: string; memoryLineLimit?: number } = {}) {
  const deps = { ...connectorDeps(stack), logger };
  return createPartnerBillingConnector(
    {
      id: "pcb",
      baseUrl: `${sim.url}/v1.0`,
      tenantId: PARTNER_BILLING_SANDBOX.tenantId,
      clientId: o.clientId ?? PARTNER_BILLING_SANDBOX.clientId,
      clientSecret: new Secret(PARTNER_BILLING_SANDBOX.clientSecret),
      tokenUrl: `${sim.url}/${PARTNER_BILLING_SANDBOX.tenantId}/oauth2/v2.0/token`,
      invoices: { "2026-10": "G016907411" },
      attributeSet: "full",
      maxWaitMs: 10_000,
      blobConcurrency: 2,
      memoryLineLimit: o.memoryLineLimit ?? 50_000,
    },
    deps,
  );
}

describe("export flow", () => {
  it.each(["inline", "link"] as const)("exports, polls after Retry-After, reads the manifest (%s), and streams every blob", async (shape) => {
    sim.setManifestShape(shape);
    const early = sim.earlyPolls;
    const { value } = await connector().getStatement(call(), PARTNER_SELF, OCT);
    expect(sim.calls.count("billed-export")).toBe(1);
    expect(JSON.parse(sim.calls.last("billed-export")!.body)).toEqual({ invoiceId: "G016907411", attributeSet: "full" });
    expect(sim.calls.count("get-operation")).toBe(3);
    expect(sim.earlyPolls).toBe(early); // never polled before the time it was asked to wait
    expect(sim.calls.count("get-manifest")).toBe(shape === "link" ? 1 : 0);
    expect(sim.calls.count("blob")).toBe(3);
    expect(sim.calls.list("blob").every((c) => c.headers.authorization === undefined)).toBe(true); // SAS, not the Graph token
    expect(value!.lines).toHaveLength(250);
    expect(value!.problems).toEqual([]);
    // Exact decimals, and the invoice reconciles: every line's total is its subtotal + tax.
    const r = reconcile(value!);
    expect(r.differences).toEqual([]);
    // Totals per billing currency: the EUR customer's lines are never added to the USD ones.
    expect(value!.reported.byCurrency.map((c) => c.currency)).toEqual(["USD", "EUR"]);
    for (const c of value!.reported.byCurrency) {
      expect(c.total!.equals(sum(value!.lines.filter((l) => l.currency === c.currency).map((l) => l.total!)))).toBe(true);
    }
    expect(value!.currency).toBeNull(); // mixed: no one currency for the invoice
    expect(value!.lines.some((l) => !l.quantity.isInteger())).toBe(true);
    // Unit prices are in the pricing currency (USD), amounts in the billing currency (EUR), linked by the vendor's rate.
    const eur = value!.lines.find((l) => l.currency === "EUR")!;
    expect(eur.unitPriceCurrency).toBe("USD");
    expect(eur.exchangeRate).toEqual({ from: "USD", to: "EUR", rate: new Dec("0.9233"), date: "2025-06-01" });
    expect(eur.attributes.map((a) => a.name)).not.toContain("PricingCurrency"); // modelled, not repeated as an attribute
    const usd = value!.lines.find((l) => l.currency === "USD")!;
    expect([usd.unitPriceCurrency, usd.exchangeRate?.rate.toFixed()]).toEqual(["USD", "1"]);
  });

  it("serves a second query from the parsed invoice without a new export, and joins a running one", async () => {
    const c = connector();
    const [a, b] = await Promise.all([c.getStatement(call(), PARTNER_SELF, OCT), c.getStatement(call(), PARTNER_SELF, OCT)]);
    expect(sim.calls.count("billed-export")).toBe(1);
    expect(a.value!.documentId).toBe(b.value!.documentId);
    const again = await c.getStatement(callContext(stack, "pcb-1"), PARTNER_SELF, OCT);
    expect(again.value!.lines).toHaveLength(250);
    expect(sim.calls.count("billed-export")).toBe(1);
  });

  it("surfaces a failed export with Microsoft's error", async () => {
    sim.failNextExport({ code: "5000", message: "No data available" });
    await expect(connector().getStatement(call(), PARTNER_SELF, OCT)).rejects.toMatchObject({ code: "VENDOR_REPORT_FAILED", extensions: { problems: ["5000: No data available"] } });
  });

  it("answers an expired link (410) with one new export", async () => {
    const c = connector();
    sim.faults.next("blob", { status: 410, body: "<Error><Code>Gone</Code></Error>", contentType: "application/xml" });
    const { value } = await c.getStatement(call(), PARTNER_SELF, OCT);
    expect(value!.lines).toHaveLength(250);
    expect(sim.calls.count("billed-export")).toBe(2);
  });

  it("reports a refused SAS token without showing it anywhere", async () => {
    sim.faults.next("blob", { status: 403, body: "<Error><Code>AuthenticationFailed</Code></Error>", contentType: "application/xml" }).times(3);
    let message = "";
    await connector()
      .getStatement(call(), PARTNER_SELF, OCT)
      .catch((err: Error) => {
        message = `${err.message} ${JSON.stringify((err as never as { extensions: unknown }).extensions)}`;
      });
    expect(message).toMatch(/VENDOR_AUTH_FAILED/);
    const sas = sim.exports.map((e) => sim.sasTokenOf(e.id).split("sig=")[1]);
    for (const sig of sas) {
      expect(message).not.toContain(sig);
      expect(logLines.join("\n")).not.toContain(sig);
    }
  });

  it("reports a malformed line and a truncated gzip with the blob and line, keeping the good lines", async () => {
    sim.corruptNextExport("malformed-line");
    const malformed = (await connector().getStatement(call(), PARTNER_SELF, OCT)).value!;
    expect(malformed.problems).toEqual([expect.stringMatching(/^part-00000-.*\.json\.gz line 2: not a JSON object$/)]);
    expect(malformed.lines).toHaveLength(249);
    sim.corruptNextExport("truncated");
    const truncated = (await connector().getStatement(call(), PARTNER_SELF, OCT)).value!;
    expect(truncated.problems).toEqual([expect.stringMatching(/^part-00000-.*: the gzip stream is truncated or corrupt/)]);
    expect(truncated.lines.length).toBeLessThan(250);
    expect(truncated.lines.length).toBeGreaterThanOrEqual(150);
  });

  it("reads keys whatever their casing", async () => {
    sim.lowerCaseKeysInNextExport();
    const { value } = await connector().getStatement(call(), PARTNER_SELF, OCT);
    expect(value!.lines).toHaveLength(250);
    expect(value!.lines[0].companyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(value!.lines[0].amount).not.toBeNull();
    expect(value!.lines[0].amount!.equals(new Dec(value!.lines[0].amount!.toFixed()))).toBe(true);
  });

  it("keeps a large invoice in a compact file: pages, filters, aggregates and reconciliation as from memory", async () => {
    const inMemory = (await connector().getStatement(call(), PARTNER_SELF, OCT)).value!;
    const c = connector({ memoryLineLimit: 40 });
    const stored = (await c.getStatement(call(), PARTNER_SELF, OCT)).value!;
    expect(stored.lines).toEqual([]);
    const store = stored.store!;
    expect(store.size).toBe(250);
    expect(await store.count()).toBe(250);
    // The same lines, exactly (each export names its blobs anew: match them on the vendor's ReferenceId).
    const all = await store.page({}, 0, 1000);
    const ref = (l: (typeof all)[number]) => l.attributes.find((a) => a.name === "ReferenceId")!.value;
    expect(new Set(all.map(ref))).toEqual(new Set(inMemory.lines.map(ref)));
    const byRef = new Map(inMemory.lines.map((l) => [ref(l), l]));
    for (const l of all) {
      const m = byRef.get(ref(l))!;
      expect([l.total!.toFixed(), l.amount!.toFixed(), l.quantity.toFixed(), l.companyKey, l.chargeType]).toEqual([m.total!.toFixed(), m.amount!.toFixed(), m.quantity.toFixed(), m.companyKey, m.chargeType]);
    }
    expect(all[0].attributes.length).toBeGreaterThan(5);
    // Pages by position, and filters through the indexes.
    expect((await store.page({}, 100, 10)).map((l) => l.id)).toEqual(all.slice(100, 110).map((l) => l.id));
    const customer = all[0].companyKey!;
    const ofCustomer = all.filter((l) => l.companyKey === customer && l.chargeType === "cycleCharge");
    expect(await store.count({ companyKey: customer, chargeType: "cycleCharge" })).toBe(ofCustomer.length);
    expect((await store.page({ companyKey: customer, chargeType: "cycleCharge" }, 1, 3)).map((l) => l.id)).toEqual(ofCustomer.slice(1, 4).map((l) => l.id));
    // Computed while streaming: the same figures as from memory.
    expect(store.reconciliation.balanced).toBe(true);
    const text = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;
    expect(text(stored.reported)).toEqual(text(inMemory.reported));
    // Each customer is billed in one currency: its aggregate's total, added per currency, gives the invoice's.
    for (const c of inMemory.reported.byCurrency) {
      const ofCurrency = store.aggregates("COMPANY").filter((a) => a.currency === c.currency);
      expect(sum(ofCurrency.map((a) => a.total!)).equals(c.total!)).toBe(true);
    }
    await c.invalidate("all");
    await expect(store.page({}, 0, 1)).rejects.toThrow();
  });

  describe("a manifest or operation of another shape is VENDOR_BAD_RESPONSE, never an empty or partial invoice", () => {
    const manifest = (over: Record<string, unknown>) =>
      JSON.stringify({
        id: "op-1",
        status: "succeeded",
        resourceLocation: { id: "m-1", eTag: "e", rootDirectory: "http://127.0.0.1:9/blobs/none", sasToken: "sv=1&sig=x", blobCount: 1, blobs: [{ name: "part-0.json.gz" }], ...over },
      });
    it.each([
      ["an operation that is JSON null", "null", /not a JSON object/],
      ["an operation that is a list", "[]", /not a JSON object/],
      ["a blob list that is an object", manifest({ blobs: { name: "part-0.json.gz" } }), /blob list is not a list/],
      ["a null blob", manifest({ blobs: [null] }), /item 0 is null/],
      ["a blob without a name", manifest({ blobs: [{ partitionValue: "default" }] }), /blob 0 has no name/],
      ["a blob named ..", manifest({ blobs: [{ name: ".." }] }), /blob 0 has no name/],
      ["fewer blobs listed than counted", manifest({ blobCount: 3 }), /counts 3 blob\(s\) but lists 1/],
      ["no SAS token", manifest({ sasToken: null }), /no blob directory or SAS token/],
    ])("%s", async (_name, body, message) => {
      sim.faults.next("get-operation", { status: 200, body });
      await expect(connector().getStatement(call(), PARTNER_SELF, OCT)).rejects.toMatchObject({ code: "VENDOR_BAD_RESPONSE", message });
      expect(sim.calls.count("blob")).toBe(0);
    });

    it("a manifest behind its link that is not JSON", async () => {
      sim.setManifestShape("link");
      try {
        sim.faults.next("get-manifest", { status: 200, body: "<html>gateway timeout</html>" });
        await expect(connector().getStatement(call(), PARTNER_SELF, OCT)).rejects.toMatchObject({ code: "VENDOR_BAD_RESPONSE", message: /export manifest is not JSON/ });
        expect(sim.calls.count("get-manifest")).toBe(1);
      } finally {
        sim.setManifestShape("inline");
      }
    });
  });

  it("maps a Graph token without PartnerBilling.Read.All to VENDOR_AUTH_FAILED (403)", async () => {
    await expect(connector({ clientId: PARTNER_BILLING_SANDBOX.unprivilegedClientId }).getStatement(call(), PARTNER_SELF, OCT)).rejects.toMatchObject({
      code: "VENDOR_AUTH_FAILED",
      details: { upstreamStatus: 403, upstreamCode: "Forbidden: Missing role PartnerBilling.Read.All" },
    });
  });
});
