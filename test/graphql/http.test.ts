/** The gateway's HTTP surface: playground (offline), GraphQL over POST and GET, health, bad bodies. */
import { request } from "undici";
import { startTestGateway, type TestGateway } from "../helpers/gateway";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ sandboxMode: true });
});
afterAll(() => t.close());

async function get(path: string, accept = "text/html") {
  const res = await request(`${t.gateway.url}${path}`, { headers: { accept } });
  return { status: res.statusCode, type: String(res.headers["content-type"]), text: await res.body.text() };
}

describe("playground", () => {
  it("serves GraphiQL from the gateway itself, with no outside asset, the dev token and the examples", async () => {
    const page = await get("/graphql");
    expect(page.status).toBe(200);
    expect(page.type).toBe("text/html; charset=utf-8");
    expect(page.text).toContain('<meta charset="utf-8">');
    expect(page.text).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(page.text).toContain(t.sandbox.devToken);
    expect(page.text).toContain("query MonthOverview");
    // Besides the empty inline icon (so the browser asks for no /favicon.ico), four assets from the gateway.
    const refs = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs.filter((r) => r.startsWith("data:"))).toEqual(["data:,"]);
    const assets = refs.filter((r) => !r.startsWith("data:"));
    expect(assets).toHaveLength(4);
    for (const asset of assets) {
      const res = await get(asset, "*/*");
      expect({ asset, status: res.status, charset: res.type.includes("charset=utf-8"), size: res.text.length > 1000 }).toEqual({ asset, status: 200, charset: true, size: true });
    }
  });

  it("serves only its allow-listed assets", async () => {
    expect((await get("/graphql/_playground/../../package.json", "*/*")).status).toBe(404);
    expect((await get("/graphql/_playground/package.json", "*/*")).status).toBe(404);
  });
});

describe("GraphQL over HTTP", () => {
  it("answers POST without a token in sandbox mode", async () => {
    const res = await t.gql("{ connections { id } }", undefined, null);
    expect(res.status).toBe(200);
    expect(res.body.data!.connections).toHaveLength(5);
  });

  it("answers GET queries (not HTML) as GraphQL", async () => {
    const res = await request(`${t.gateway.graphqlUrl}?query=${encodeURIComponent("{ connections { id } }")}`, {
      headers: { accept: "application/json", "apollo-require-preflight": "true" },
    });
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as any).data.connections).toHaveLength(5);
  });

  it("answers 400 BAD_REQUEST to a body that is not JSON", async () => {
    const res = await request(t.gateway.graphqlUrl, { method: "POST", headers: { "content-type": "application/json" }, body: "{ nope" });
    expect(res.statusCode).toBe(400);
    expect(((await res.body.json()) as any).errors[0].extensions.code).toBe("BAD_REQUEST");
  });

  it("reports health", async () => {
    expect(await get("/healthz", "application/json")).toMatchObject({ status: 200, text: '{"status":"ok"}' });
  });
});
