/** The tracing section of the config file: off when absent, defaults, secret headers, named problems. */
import { parseConfig } from "../../src/config";
import { configProblems as problems } from "../helpers/config";

const base = {
  auth: { issuer: "https://idp.test/", audience: "gw", hs256Secret: "gateway-secret-value" },
  connections: [{ id: "keeper-us", vendor: "keeper-msp", apiToken: "keeper-token-value" }],
};
const OTLP = "http://collector:4318/v1/traces";

describe("tracing configuration", () => {
  it("is absent (so tracing is off) unless configured", () => {
    expect(parseConfig(base).tracing).toBeUndefined();
  });

  it("defaults the service name and the sample ratio", () => {
    expect(parseConfig({ ...base, tracing: { otlpUrl: OTLP } }).tracing).toEqual({ otlpUrl: OTLP, serviceName: "billing-gateway", sampleRatio: 1, headers: {} });
    const cfg = parseConfig({ ...base, tracing: { otlpUrl: OTLP, serviceName: "gw-eu", sampleRatio: 0.25 } });
    expect(cfg.tracing).toMatchObject({ serviceName: "gw-eu", sampleRatio: 0.25 });
  });

  it("takes the collector's headers as Secrets, literal or from the environment, never serialised", () => {
    const cfg = parseConfig(
      { ...base, tracing: { otlpUrl: OTLP, headers: { "x-api-key": "collector-key-literal", authorization: { env: "OTLP_AUTH" } } } },
      { OTLP_AUTH: "Basic collector-auth-from-env" },
    );
    expect(cfg.tracing?.headers["x-api-key"].reveal()).toBe("collector-key-literal");
    expect(cfg.tracing?.headers.authorization.reveal()).toBe("Basic collector-auth-from-env");
    const text = JSON.stringify(cfg);
    expect(text).not.toContain("collector-key-literal");
    expect(text).not.toContain("collector-auth-from-env");
  });

  it("names what is wrong", () => {
    expect(problems({ ...base, tracing: {} })).toEqual(["tracing.otlpUrl: Required"]);
    expect(problems({ ...base, tracing: { otlpUrl: "collector:4318" } })).toEqual(["tracing.otlpUrl: must be an absolute http(s) URL"]);
    expect(problems({ ...base, tracing: { otlpUrl: OTLP, sampleRatio: 1.5 } })).toHaveLength(1);
    expect(problems({ ...base, tracing: { otlpUrl: OTLP, headers: { "bad header": "v" } } })).toHaveLength(1);
    expect(problems({ ...base, tracing: { otlpUrl: OTLP, headers: { "x-api-key": { env: "NOPE" } } } })).toEqual(["tracing.headers.x-api-key: environment variable NOPE is not set"]);
    expect(problems({ ...base, tracing: { otlpUrl: OTLP, protocol: "grpc" } })).toHaveLength(1);
  });
});
