/**
 * GraphQL over HTTP conformance: graphql-http's server audits against the gateway over real HTTP.
 * Every MUST audit passes. SHOULD audits that warn are named here, so a new one shows up: the three
 * where the spec's legacy `application/json` advice (200 for a request error) differs from ours
 * (400, as for `application/graphql-response+json`: a refused request is never a 200).
 */
import { serverAudits } from "graphql-http";
import { startTestGateway, type TestGateway } from "../helpers/gateway";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ sandboxMode: true });
});
afterAll(() => t.close());

const audits = serverAudits({ url: () => t.gateway.graphqlUrl });
const outcomes = new Map<string, string>();

const EXPECTED_WARNINGS = [
  "SHOULD use 200 status code on document parsing failure when accepting application/json",
  "SHOULD use 200 status code on document validation failure when accepting application/json",
  "SHOULD use a status code of 200 on variable coercion failure when accepting application/json",
];

describe("GraphQL over HTTP audits", () => {
  it.each(audits.map((a) => [a.name, a] as const))("%s", async (name, audit) => {
    const result = await audit.fn();
    outcomes.set(name, result.status);
    // "error" is a MUST audit failing; "warn" a SHOULD, "notice" a MAY.
    expect({ name, status: result.status, reason: result.status === "ok" ? undefined : result.reason }).toMatchObject({
      name,
      status: name.startsWith("MUST") ? "ok" : expect.not.stringMatching(/^error$/),
    });
  });

  it("warns on no SHOULD audit but the three it chose, and reached no vendor", () => {
    expect(outcomes.size).toBe(audits.length);
    expect([...outcomes].filter(([, status]) => status === "warn").map(([name]) => name)).toEqual(EXPECTED_WARNINGS);
    expect(t.upstreamCalls()).toBe(0);
  });
});
