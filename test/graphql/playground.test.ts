/** The offline playground handler on its own, over real HTTP: page, allow-listed assets, escaping. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";
import { createPlaygroundHandler } from "../../src/graphql/playground";
import { DisposableStack } from "../helpers/stack";

const TOKEN = "dev.token-123";
const EXAMPLES = [
  { name: "Overview", query: "query MonthOverview($period: BillingPeriod!) { vendors { name } }", variables: { period: "2024-05" } },
  // Must stay inert: a raw </script> here would end the inline script and run the rest as HTML.
  { name: "Hostile", query: '# </script><script>alert("x")</script>\n{ __typename }' },
];

const stack = new DisposableStack();
let base: string;

beforeAll(async () => {
  const handler = createPlaygroundHandler({ endpoint: "/graphql", token: TOKEN, examples: EXAMPLES });
  const server: Server = createServer((req, res) => {
    if (handler(req, res)) return;
    res.writeHead(404, { "x-handled-by": "fallback" });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  stack.defer(() => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => stack.dispose());

async function get(path: string, accept = "text/html,application/xhtml+xml") {
  const res = await request(`${base}${path}`, { headers: { accept } });
  return {
    status: res.statusCode,
    type: String(res.headers["content-type"]),
    cache: String(res.headers["cache-control"]),
    fallback: res.headers["x-handled-by"] === "fallback",
    text: await res.body.text(),
  };
}

/** The inline script that boots GraphiQL (the one without a src). */
function inlineScript(html: string): string {
  const match = /<script>([\s\S]*?)<\/script>/.exec(html);
  if (!match) throw new Error("no inline script");
  return match[1];
}

describe("playground page", () => {
  it("is served as UTF-8 HTML to a browser, with the token and the examples embedded", async () => {
    const page = await get("/graphql");
    expect(page.status).toBe(200);
    expect(page.type).toBe("text/html; charset=utf-8");
    expect(page.text).toContain('<meta charset="utf-8">');
    expect(page.text).toContain(`Bearer ${TOKEN}`);
    expect(page.text).toContain("query MonthOverview");
    expect(page.text).toContain("shouldPersistHeaders");
  });

  it("also answers a query string on the endpoint", async () => {
    expect((await get("/graphql?foo=1")).status).toBe(200);
  });

  it("references no absolute URL: every src and href is on this server", async () => {
    const page = await get("/graphql");
    expect(page.text).not.toMatch(/https?:\/\//);
    const refs = [...page.text.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    // The one exception: an empty inline icon, so the browser asks for no /favicon.ico.
    expect(refs.filter((r) => r.startsWith("data:"))).toEqual(["data:,"]);
    for (const ref of refs.filter((r) => !r.startsWith("data:"))) expect(ref).toMatch(/^\/graphql\/_playground\/[\w.-]+$/);
  });

  it("serves every asset the page references, with a UTF-8 content type and a day of caching", async () => {
    const page = await get("/graphql");
    const refs = [...page.text.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]).filter((r) => !r.startsWith("data:"));
    expect(refs).toHaveLength(4);
    for (const ref of refs) {
      const res = await get(ref, "*/*");
      const type = ref.endsWith(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8";
      expect({ ref, status: res.status, type: res.type, cache: res.cache, nonEmpty: res.text.length > 1000 }).toEqual({
        ref,
        status: 200,
        type,
        cache: "public, max-age=86400",
        nonEmpty: true,
      });
    }
  });

  it("keeps the UMD globals the boot script relies on", async () => {
    const page = await get("/graphql");
    expect((await get("/graphql/_playground/graphiql.min.js", "*/*")).text).toContain(".GraphiQL=");
    expect(inlineScript(page.text)).toContain("GraphiQL.createFetcher");
  });

  it("keeps an example containing </script> escaped inside the inline script", async () => {
    const page = await get("/graphql");
    const script = inlineScript(page.text);
    // The regex stops at the first </script>: the whole boot script must come before it.
    expect(script).toContain("createRoot");
    expect(script).toContain("\\u003c/script\\u003e");
    expect(page.text.match(/<\/script>/g)).toHaveLength(4); // three asset scripts and the boot script
    // The escaped JSON still decodes to the exact example text.
    const json = /var props = (.*);/.exec(script)![1];
    const props = JSON.parse(json) as { defaultTabs: Array<{ query: string; headers: string; variables?: string }>; defaultQuery: string };
    expect(props.defaultTabs.map((t) => t.query)).toEqual(EXAMPLES.map((e) => e.query));
    expect(props.defaultQuery).toBe(EXAMPLES[0].query);
    expect(JSON.parse(props.defaultTabs[0].headers)).toEqual({ Authorization: `Bearer ${TOKEN}` });
    expect(JSON.parse(props.defaultTabs[0].variables!)).toEqual({ period: "2024-05" });
  });
});

describe("what the handler leaves alone", () => {
  it("does not handle a GET of the endpoint without text/html (GraphQL over HTTP)", async () => {
    const res = await get("/graphql?query=%7B__typename%7D", "application/graphql-response+json, application/json");
    expect(res.fallback).toBe(true);
  });

  it("does not handle POST", async () => {
    const res = await request(`${base}/graphql`, { method: "POST", headers: { accept: "text/html", "content-type": "application/json" }, body: "{}" });
    await res.body.dump();
    expect(res.headers["x-handled-by"]).toBe("fallback");
  });

  it("answers 404 for an unknown asset, an object key and a path outside the allow-list", async () => {
    for (const path of [
      "/graphql/_playground/graphiql.js",
      "/graphql/_playground/constructor",
      "/graphql/_playground/__proto__",
      "/graphql/_playground/",
      "/graphql/_playground/..%2f..%2fpackage.json",
      "/graphql/_playground/umd%2freact.production.min.js",
    ]) {
      const res = await get(path, "*/*");
      expect({ path, status: res.status, fallback: res.fallback }).toEqual({ path, status: 404, fallback: false });
    }
  });

  it("answers 404 for .. traversal", async () => {
    for (const path of ["/graphql/_playground/../../package.json", "/graphql/_playground/../../../node_modules/graphiql/package.json"]) {
      const res = await get(path, "*/*");
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.text).not.toContain('"name"');
    }
  });
});

describe("without token or examples", () => {
  it("renders with empty headers and no defaultTabs", async () => {
    const handler = createPlaygroundHandler({ endpoint: "/gql", examples: [] });
    const server = createServer((req, res) => {
      if (!handler(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    stack.defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const res = await request(`http://127.0.0.1:${(server.address() as AddressInfo).port}/gql`, { headers: { accept: "text/html" } });
    const html = await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(html).not.toContain("Bearer");
    expect(html).toContain('href="/gql/_playground/graphiql.min.css"');
    const props = JSON.parse(/var props = (.*);/.exec(inlineScript(html))![1]) as Record<string, unknown>;
    expect(props.defaultTabs).toBeUndefined();
    expect(props.defaultHeaders).toBe("");
  });
});
