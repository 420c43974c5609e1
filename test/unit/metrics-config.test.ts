/** The metrics section of the config file, and the sandbox's readable log lines. */
import { parseConfig } from "../../src/config";
import { configProblems } from "../helpers/config";
import { prettyLine } from "../../src/logger";

const base = {
  auth: { issuer: "https://idp.test/", audience: "gw", hs256Secret: "gateway-secret-value" },
  connections: [{ id: "keeper-us", vendor: "keeper-msp", apiToken: "keeper-token-value" }],
};

const problems = configProblems;

describe("metrics configuration", () => {
  it("is absent (so /metrics is off) unless configured", () => {
    expect(parseConfig(base).metrics).toBeUndefined();
  });

  it("takes a token (a Secret, from the environment) and/or a port", () => {
    const cfg = parseConfig({ ...base, metrics: { token: { env: "METRICS_TOKEN" }, port: 9464 } }, { METRICS_TOKEN: "scrape-token-value" });
    expect(cfg.metrics?.token?.reveal()).toBe("scrape-token-value");
    expect(cfg.metrics?.port).toBe(9464);
    expect(JSON.stringify(cfg)).not.toContain("scrape-token-value");
  });

  it("names what is wrong", () => {
    expect(problems({ ...base, metrics: {} })).toEqual(["metrics: needs a token or a port (or leave metrics out to turn /metrics off)"]);
    expect(problems({ ...base, metrics: { token: { env: "NOPE" } } })).toEqual(["metrics.token: environment variable NOPE is not set"]);
    expect(problems({ ...base, metrics: { port: 70000 } })).toHaveLength(1);
    expect(problems({ ...base, metrics: { port: 1, open: true } })).toHaveLength(1);
  });
});

describe("pretty log lines", () => {
  it("puts a record on one readable line, without service, pid and hostname", () => {
    const line = prettyLine(
      JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 2, 3, 4, 5, 6), service: "billing-gateway", pid: 1, hostname: "h", msg: "request", method: "POST", status: 200, subject: "a b" }),
    );
    expect(line).toBe('03:04:05.006 INFO request method=POST status=200 subject="a b"\n');
  });

  it("passes a line that is not JSON through", () => {
    expect(prettyLine("plain")).toBe("plain\n");
  });
});
