/**
 * `npm run codegen` gives typed documents that compile under `tsc --strict`, and the PSA example
 * (examples/psa-invoice-lines.ts) built on them runs against a sandbox gateway over HTTP.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
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
});
