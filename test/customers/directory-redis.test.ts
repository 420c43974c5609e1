/**
 * The directory's edits in Redis: shared by every instance on it, seen by the next request of another
 * instance (its generation moved) and by an instance started later (REDIS_URL).
 */
import KeyvRedis from "@keyv/redis";
import { randomUUID } from "node:crypto";
import { createRedisStore } from "../../src/cache/redis";
import { SANDBOX_MAPPING_FILE } from "../../src/sandbox";
import { startTestGateway } from "../helpers/gateway";

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const CUSTOMERS = `{ customers { id name externalIds { kind value } } }`;

describe("customer directory, in Redis", () => {
  // The shared Redis outlives the test: a directory name of its own keeps runs apart.
  const name = `test-${randomUUID()}`;
  const options = () => ({ cacheStore: createRedisStore(redisUrl), overrides: { customerDirectory: { mappingFile: SANDBOX_MAPPING_FILE, name } } });

  afterAll(async () => {
    const admin = new KeyvRedis(redisUrl);
    const client = await admin.getClient();
    await client.del([`dir|gw|${name}`, `dir-gen|gw|${name}`]);
    await admin.disconnect();
  });

  it("is shared by two instances and outlives both", async () => {
    const a = await startTestGateway(options());
    const b = await startTestGateway(options());
    let company: string;
    try {
      // b answers once before the edit, so its snapshot is cached.
      expect((await b.gql(CUSTOMERS)).body.data!.customers.find((c: any) => c.id === "northstar-cu").externalIds).toEqual([]);
      const found = await a.gql(`{ unmappedCompanies(first: 200) { nodes { company { id } suggestions { customer { id } } } } }`);
      company = found.body.data!.unmappedCompanies.nodes.find((n: any) => n.suggestions[0]?.customer.id === "northstar-cu").company.id;
      const linked = await a.gql(`mutation($co: ID!) { linkCompany(input: { customerId: "northstar-cu", companyId: $co }) { id } }`, { co: company });
      expect(linked.body.errors).toBeUndefined();
      expect((await a.gql(`mutation { renameCustomer(input: { customerId: "northstar-cu", name: "Northstar CU" }) { name } }`)).body.data!.renameCustomer.name).toBe("Northstar CU");

      const seen = (await b.gql(CUSTOMERS)).body.data!.customers.find((c: any) => c.id === "northstar-cu");
      expect(seen.name).toBe("Northstar CU");
      expect(seen.externalIds).toContainEqual({ kind: "webex.customerExternalId", value: "PSA-1004" });
      // b refuses to link the company elsewhere: it knows a's link.
      const taken = await b.gql(`mutation($co: ID!) { linkCompany(input: { customerId: "harbor-dental", companyId: $co }) { id } }`, { co: company });
      expect(taken.body.errors![0].message).toContain('linked to customer "northstar-cu"');
    } finally {
      await a.close();
      await b.close();
    }
    const c = await startTestGateway(options());
    try {
      const later = (await c.gql(CUSTOMERS)).body.data!.customers.find((x: any) => x.id === "northstar-cu");
      expect(later.name).toBe("Northstar CU");
      expect(later.externalIds).toContainEqual({ kind: "webex.customerExternalId", value: "PSA-1004" });
      const unlinked = await c.gql(`mutation($co: ID!) { unlinkCompany(input: { customerId: "northstar-cu", companyId: $co }) { externalIds { kind } } }`, { co: company });
      expect(unlinked.body.data!.unlinkCompany.externalIds).toEqual([]);
    } finally {
      await c.close();
    }
  });
});
