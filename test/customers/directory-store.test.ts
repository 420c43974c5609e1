/** The directory's pieces without a gateway: atomic data file, mapping file checks, name normalising, suggestions. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, parseConfig } from "../../src/config";
import { directorySnapshot, foldDirectory, type DirectoryCustomer } from "../../src/customers/directory";
import { CONFIDENCE, Matcher, normaliseName, withoutLegalSuffixes } from "../../src/customers/matching";
import { CustomerDirectory } from "../../src/customers/service";
import { DIRECTORY_FILE, FileDirectoryStore, writeFileAtomic } from "../../src/customers/store";
import { SANDBOX_MAPPING_FILE } from "../../src/sandbox";
import { keeperCompanyId } from "../../src/vendors/keeper/simulator/fixtures";
import { billingCustomers } from "../../src/vendors/microsoft-partner-billing/simulator/fixtures";
import { DisposableStack } from "../helpers/stack";

const stack = new DisposableStack();
afterAll(() => stack.dispose());

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "directory-store-"));
  stack.defer(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const BASE: DirectoryCustomer[] = [
  { id: "acme", name: "Acme Inc.", psaCompanyId: "PSA-1", externalIds: [{ kind: "keeper.companyId", value: "K1" }] },
  { id: "globex", name: "Globex GmbH", psaCompanyId: null, externalIds: [{ kind: "microsoft.customerId", value: "6F1C0E19-AAAA-BBBB-CCCC-000000000001" }] },
];

describe("the embedded data file", () => {
  it("is replaced atomically: a temp file beside it, never read, removed at start", async () => {
    const dir = tempDir();
    const store = new FileDirectoryStore(dir);
    await store.set([["name|acme", "Acme Two"]]);
    const complete = readFileSync(join(dir, DIRECTORY_FILE), "utf8");
    expect(JSON.parse(complete)).toEqual({ version: 1, generation: 1, fields: { "name|acme": "Acme Two" } });
    // A crash mid-write leaves a torn temp file beside the complete one (the rename never happened).
    const torn = join(dir, `${DIRECTORY_FILE}.4242.abcdef.tmp`);
    writeFileSync(torn, complete.slice(0, 20));
    const reopened = new FileDirectoryStore(dir);
    expect(await reopened.read()).toEqual({ generation: 1, fields: { "name|acme": "Acme Two" } });
    expect(existsSync(torn)).toBe(false);
    expect(readdirSync(dir)).toEqual([DIRECTORY_FILE]);
  });

  it("writeFileAtomic leaves the old file whole when the write cannot finish, and no temp file", () => {
    const dir = tempDir();
    const path = join(dir, "target.json");
    writeFileAtomic(path, '{"old":true}');
    mkdirSync(join(dir, "blocked.json")); // renaming a file over a directory fails
    expect(() => writeFileAtomic(join(dir, "blocked.json"), '{"new":true}')).toThrow();
    expect(readFileSync(path, "utf8")).toBe('{"old":true}');
    expect(readdirSync(dir).sort()).toEqual(["blocked.json", "target.json"]);
  });

  it("refuses an edit it cannot write, and keeps what it had", async () => {
    expect.assertions(3);
    const dir = tempDir();
    const store = new FileDirectoryStore(dir);
    await store.set([["name|acme", "First"]]);
    rmSync(join(dir, DIRECTORY_FILE));
    mkdirSync(join(dir, DIRECTORY_FILE)); // the file's place is taken: the rename fails
    await expect(store.set([["name|acme", "Second"]])).rejects.toMatchObject({ extensions: { code: "DIRECTORY_UNAVAILABLE" } });
    expect(await store.read()).toEqual({ generation: 1, fields: { "name|acme": "First" } });
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("will not start over a data file that is not one (it is never overwritten)", () => {
    const dir = tempDir();
    writeFileSync(join(dir, DIRECTORY_FILE), '{"version":1,"generation":3,"fields":{"na');
    expect(() => new FileDirectoryStore(dir)).toThrow(/is not valid JSON/);
    expect(readFileSync(join(dir, DIRECTORY_FILE), "utf8")).toContain('"generation":3');
  });

  it("is created, with its directory, on the first edit only", async () => {
    const dir = join(tempDir(), "not-yet");
    const directory = new CustomerDirectory(BASE, new FileDirectoryStore(dir));
    await directory.start();
    expect(existsSync(dir)).toBe(false);
    await directory.rename("acme", "  Acme Renamed ");
    expect((await directory.snapshot()).get("acme")!.name).toBe("Acme Renamed");
    expect(existsSync(join(dir, DIRECTORY_FILE))).toBe(true);
  });
});

describe("edits folded over the configured customers", () => {
  it("link moves a vendor id to a customer, unlink removes one the mapping gave, create adds a customer", () => {
    const folded = foldDirectory(BASE, {
      "new|initech": JSON.stringify({ name: "Initech", psaCompanyId: "PSA-9" }),
      "ref|keeper.companyId\u0000K2": "initech",
      "ref|keeper.companyId\u0000K1": "",
      "name|globex": "Globex Corporation",
    });
    const snap = directorySnapshot(folded);
    expect(snap.get("acme")!.externalIds).toEqual([]);
    expect(snap.get("initech")).toEqual({ id: "initech", name: "Initech", psaCompanyId: "PSA-9", externalIds: [{ kind: "keeper.companyId", value: "K2" }] });
    expect(snap.get("globex")!.name).toBe("Globex Corporation");
    expect(snap.customerOfLine({ companyExternalIds: [{ kind: "keeper.companyId", value: "K1" }] })).toBeNull();
  });

  it("refuses to link a company another customer has, and to unlink one the customer does not have", async () => {
    expect.assertions(2);
    const directory = new CustomerDirectory(BASE, new FileDirectoryStore(join(tempDir(), "d")));
    await directory.start();
    await expect(directory.link("globex", [{ kind: "keeper.companyId", value: "K1" }])).rejects.toThrow(/linked to customer "acme"; unlink it there first/);
    await expect(directory.unlink("globex", [{ kind: "keeper.companyId", value: "K1" }])).rejects.toThrow(/not linked to customer "globex"/);
  });
});

describe("mapping file", () => {
  const base = { auth: { issuer: "i", audience: "a", hs256Secret: "s" }, connections: [{ id: "k", vendor: "keeper-msp", apiToken: "t" }] };
  const withMapping = (content: unknown, extra: Record<string, unknown> = {}) => {
    const path = join(tempDir(), "mapping.json");
    writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
    return parseConfig({ ...base, customerDirectory: { mappingFile: path, dataDir: tempDir() }, ...extra });
  };
  const problems = (fn: () => unknown): string[] => {
    try {
      fn();
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    return [];
  };

  it("is read at start and merged with the config's customers", () => {
    const cfg = withMapping(
      { customers: [{ id: "a", name: "A", psaCompanyId: "P-1", companies: [{ kind: "keeper.companyId", value: "K1" }] }] },
      { customers: [{ id: "b", name: "B", externalIds: [{ kind: "keeper.companyId", value: "K2" }] }] },
    );
    expect(cfg.customerDirectory.customers).toEqual([
      { id: "a", name: "A", psaCompanyId: "P-1", externalIds: [{ kind: "keeper.companyId", value: "K1" }] },
      { id: "b", name: "B", psaCompanyId: null, externalIds: [{ kind: "keeper.companyId", value: "K2" }] },
    ]);
  });

  it("names the field of each problem", () => {
    expect(problems(() => withMapping({ customers: [{ id: "bad id!", name: "", companies: [{ kind: "x" }] }] }))).toEqual([
      "customerDirectory.mappingFile: customers[0].id: must be 1-64 letters, digits, '.', '_' or '-'",
      "customerDirectory.mappingFile: customers[0].name: must not be empty",
      "customerDirectory.mappingFile: customers[0].companies[0].value: Required",
    ]);
    expect(problems(() => withMapping("{ not json"))[0]).toMatch(/^customerDirectory\.mappingFile: cannot read .* as JSON/);
    expect(problems(() => withMapping({ customers: [], extra: 1 }))).toEqual(["customerDirectory.mappingFile: (root): Unrecognized key(s) in object: 'extra'"]);
    expect(problems(() => parseConfig({ ...base, customerDirectory: { dataDir: "" } }))).toEqual(["customerDirectory.dataDir: must not be empty"]);
  });

  it("refuses a customer twice, and one vendor id in two customers", () => {
    const found = problems(() =>
      withMapping(
        {
          customers: [
            { id: "a", name: "A", companies: [{ kind: "keeper.companyId", value: "K1" }] },
            { id: "b", name: "B", companies: [{ kind: "keeper.companyId", value: "K1" }] },
          ],
        },
        { customers: [{ id: "a", name: "A again", externalIds: [{ kind: "keeper.companyId", value: "K3" }] }] },
      ),
    );
    expect(found).toEqual([
      'customerDirectory.mappingFile: customers[1].companies[0]: keeper.companyId "K1" already belongs to customer "a"',
      'customers[0].id: customer "a" is also customerDirectory.mappingFile: customers[0]',
    ]);
  });

  it("the sandbox's file joins the simulators' own ids", () => {
    const mapping = JSON.parse(readFileSync(SANDBOX_MAPPING_FILE, "utf8"));
    const ids = (id: string) => mapping.customers.find((c: any) => c.id === id).companies.map((e: any) => e.value);
    expect(ids("harbor-dental")).toEqual([keeperCompanyId(51001), "PSA-1001", billingCustomers()[0].id]);
    expect(ids("kestrel-logistics")).toEqual([keeperCompanyId(51002), "PSA-1002", billingCustomers()[1].id]);
    expect(ids("contoso-pharma")).toEqual([keeperCompanyId(51003), "PSA-1003", billingCustomers()[2].id]);
    expect(ids("northstar-cu")).toEqual([]);
  });
});

describe("suggestions", () => {
  it("normalises names: case, accents, punctuation, spacing, then legal suffixes", () => {
    expect(normaliseName("  ACME,   Inc. ")).toBe("acme inc");
    expect(normaliseName("Zürich Café & Bar S.A.")).toBe("zurich cafe and bar sa");
    expect(withoutLegalSuffixes(normaliseName("Contoso Pharma G.m.b.H."))).toBe("contoso pharma");
    expect(withoutLegalSuffixes(normaliseName("Widgets Co. Ltd"))).toBe("widgets");
    expect(withoutLegalSuffixes("inc")).toBe("inc"); // a name that is only a suffix stays
  });

  const snapshot = directorySnapshot([
    ...BASE,
    { id: "acme-llc", name: "ACME LLC", psaCompanyId: null, externalIds: [] },
    { id: "contoso", name: "Contoso Pharma", psaCompanyId: null, externalIds: [] },
  ]);
  const matcher = new Matcher(snapshot);

  it("exact vendor ids first, with what matched", () => {
    expect(matcher.suggest({ name: null, externalIds: [{ kind: "webex.customerExternalId", value: "psa-1" }] })).toEqual([
      { customer: snapshot.get("acme"), confidence: CONFIDENCE.psaCompanyId, reason: `Webex CUSTOMER_EXTERNAL_ID "psa-1" equals the customer's PSA company id` },
    ]);
    expect(matcher.suggest({ name: null, externalIds: [{ kind: "keeper.vendorInternalId", value: "PSA-1" }] })[0].reason).toBe(
      `Keeper vendorInternalId "PSA-1" equals the customer's PSA company id`,
    );
    // A marketplace beneficiary tenant that is a Partner Center customer: the same tenant.
    const tenant = matcher.suggest({ name: null, externalIds: [{ kind: "microsoft.tenantId", value: "6f1c0e19-aaaa-bbbb-cccc-000000000001" }] });
    expect(tenant).toEqual([
      { customer: snapshot.get("globex"), confidence: CONFIDENCE.sameTenant, reason: expect.stringContaining("is the customer's Microsoft CustomerId (the same Microsoft tenant)") },
    ]);
    const domain = matcher.suggest({ name: null, externalIds: [{ kind: "microsoft.domain", value: "contosopharma.onmicrosoft.com" }] });
    expect(domain.map((s) => [s.customer.id, s.confidence])).toEqual([["contoso", CONFIDENCE.domainName]]);
  });

  it("then names, ordered by confidence, one entry per customer with every reason", () => {
    const found = matcher.suggest({ name: "Acme, Inc", externalIds: [] });
    expect(found.map((s) => [s.customer.id, s.confidence])).toEqual([
      ["acme", CONFIDENCE.name],
      ["acme-llc", CONFIDENCE.nameWithoutSuffix],
    ]);
    expect(found[0].reason).toBe(`name "Acme, Inc" matches "Acme Inc." ignoring case, punctuation and spacing`);
    expect(found[1].reason).toBe(`name "Acme, Inc" matches "ACME LLC" without legal suffixes`);
    const both = matcher.suggest({ name: "ACME INC", externalIds: [{ kind: "webex.customerExternalId", value: "PSA-1" }] });
    expect(both[0]).toMatchObject({ customer: { id: "acme" }, confidence: CONFIDENCE.psaCompanyId });
    expect(both[0].reason.split("; ")).toHaveLength(2);
    expect(matcher.suggest({ name: "Umbrella Corp", externalIds: [{ kind: "keeper.companyId", value: "K9" }] })).toEqual([]);
  });
});
