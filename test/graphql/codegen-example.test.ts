/**
 * `npm run codegen` gives typed documents that compile under `tsc --strict`, and the PSA example
 * (examples/psa-invoice-lines.ts) built on them runs against a sandbox gateway over HTTP.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Decimal } from "decimal.js";
import { parse as losslessParse } from "lossless-json";
import { lastMonth } from "../../src/graphql/examples";
import { startTestGateway, type TestGateway } from "../helpers/gateway";

const run = promisify(execFile);
const root = join(__dirname, "..", "..");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
// Asynchronous child processes: the gateway under test answers from this same process.
const SLOW_MS = 180_000;

let t: TestGateway;
let out: string;
beforeAll(async () => {
  t = await startTestGateway();
  out = mkdtempSync(join(tmpdir(), "psa-example-"));
  // Regenerated from the checked-in schema each time, so a schema change cannot leave it stale.
  await run("npm", ["run", "codegen", "--silent"], { cwd: root });
}, SLOW_MS);
afterAll(async () => {
  rmSync(out, { recursive: true, force: true });
  await t.close();
});

/** Splits CSV rows as the example quotes them (RFC 4180: quotes doubled, fields with , " or newlines quoted). */
function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(field), (field = "");
    else if (c === "\n") row.push(field), rows.push(row), (row = []), (field = "");
    else field += c;
  }
  return rows;
}

describe("generated typed documents and the PSA example", () => {
  it("pass tsc --noEmit --strict together", async () => {
    await expect(run(process.execPath, [tsc, "-p", "examples/tsconfig.json", "--noEmit", "--strict"], { cwd: root })).resolves.toBeDefined();
  }, SLOW_MS);

  it("the example pulls every line of last month, page by page, exact amounts as the gateway gives them", async () => {
    await run(process.execPath, [tsc, "-p", "examples/tsconfig.json", "--outDir", out], { cwd: root });
    const period = lastMonth();
    const { stdout, stderr } = await run(process.execPath, [join(out, "examples", "psa-invoice-lines.js")], {
      cwd: root,
      // Built outside the tree: its imports (graphql) resolve from the project's node_modules.
      env: { ...process.env, NODE_PATH: join(root, "node_modules"), GATEWAY_URL: t.gateway.graphqlUrl, GATEWAY_TOKEN: await t.token(), PERIOD: period },
      maxBuffer: 64 * 1024 * 1024,
    });

    const expected = await t.gql(`query($p: BillingPeriod!) { invoiceLines(period: $p, first: 1000) { totalCount nodes { id amount { amount currency } } } }`, { p: period });
    const { totalCount, nodes } = expected.body.data!.invoiceLines;
    expect(totalCount).toBeGreaterThan(200); // more than one page of the operation's 200

    const [header, ...rows] = csvRows(stdout);
    expect(header).toEqual(["customer_id", "customer", "line_id", "product", "quantity", "unit", "amount", "currency", "charge_start", "charge_end", "connection"]);
    expect(rows).toHaveLength(totalCount);
    const byId = new Map(rows.map((r) => [r[2], r]));
    expect(byId.size).toBe(totalCount);
    for (const n of nodes) expect({ id: n.id, amount: byId.get(n.id)?.[6], currency: byId.get(n.id)?.[7] }).toEqual({ id: n.id, amount: n.amount?.amount ?? "", currency: n.amount?.currency ?? "" });
    expect(stderr).toContain(`${totalCount} lines for`);
    expect(stderr).toContain(`in ${Math.ceil(totalCount / 200)} pages`);
  }, SLOW_MS);

  it("the PSA sync example writes ConnectWise additions and Autotask charges that add up to each customer's resale", async () => {
    await run(process.execPath, [tsc, "-p", "examples/tsconfig.json", "--outDir", out], { cwd: root });
    const period = lastMonth();
    const files = mkdtempSync(join(tmpdir(), "psa-sync-"));
    try {
      const { stderr } = await run(process.execPath, [join(out, "examples", "psa-sync.js")], {
        cwd: root,
        env: { ...process.env, NODE_PATH: join(root, "node_modules"), GATEWAY_URL: t.gateway.graphqlUrl, GATEWAY_TOKEN: await t.token(), PERIOD: period, OUT_DIR: files },
        maxBuffer: 64 * 1024 * 1024,
      });
      // Exact numbers: parsed back as their digits, never as floats.
      const read = (name: string) => losslessParse(readFileSync(join(files, name), "utf8"), undefined, (v) => new Decimal(v)) as any[];
      const connectwise = read("connectwise-agreement-additions.json");
      const autotask = read("autotask-contract-charges.json");
      const withLines = ["harbor-dental", "kestrel-logistics", "contoso-pharma"];
      expect(connectwise.map((c) => c.customerId)).toEqual(expect.arrayContaining(withLines));
      for (const customerId of withLines) {
        const billing = await t.gql(`query($p: BillingPeriod!) { customer(id: "${customerId}") { psaCompanyId billing(period: $p) { totals { currency resale { amount } } } } }`, { p: period });
        const { psaCompanyId, billing: b } = billing.body.data!.customer;
        const expected = Object.fromEntries(b.totals.filter((c: any) => c.resale).map((c: any) => [c.currency, new Decimal(c.resale.amount).toFixed()]));
        const cw = connectwise.find((c) => c.customerId === customerId);
        const at = autotask.find((c) => c.customerId === customerId);
        expect(cw.company).toEqual({ identifier: psaCompanyId });
        expect(at.companyID).toBe(psaCompanyId);
        const sums = (items: any[], key: string) => {
          const out: Record<string, Decimal> = {};
          for (const i of items) out[i.currency] = (out[i.currency] ?? new Decimal(0)).plus(i[key]);
          return Object.fromEntries(Object.entries(out).map(([c, v]) => [c, v.toFixed()]));
        };
        expect(sums(cw.additions, "extPrice")).toEqual(expected);
        expect(sums(at.charges, "billableAmount")).toEqual(expected);
        for (const a of cw.additions) {
          expect(a).toMatchObject({ billCustomer: "Billable", effectiveDate: `${period}-01T00:00:00Z`, product: { identifier: expect.any(String) } });
          // The unit price is the exact amount ÷ quantity to 6 decimals: within half a millionth per unit.
          expect(a.unitPrice.times(a.quantity).minus(a.extPrice).abs().lte(a.quantity.abs().times("0.0000005"))).toBe(true);
        }
      }
      expect(stderr).toMatch(/lines for \d+ customers written to/);
    } finally {
      rmSync(files, { recursive: true, force: true });
    }
  }, SLOW_MS);
});
