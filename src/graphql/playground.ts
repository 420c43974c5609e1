/**
 * The playground: GraphiQL 3's ready UMD build with React 18's UMD files, served from node_modules by
 * the gateway itself, so it works with no internet (no CDN, no web fonts). Example operations open as
 * tabs; in sandbox mode the dev token is pre-filled in the headers.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";

export interface PlaygroundOptions {
  /** Path of the GraphQL endpoint, e.g. "/graphql". Assets live under `${endpoint}/_playground/`. */
  endpoint: string;
  /** A bearer token to pre-fill (the sandbox's dev token). */
  token?: string;
  examples: Array<{ name: string; query: string; variables?: Record<string, unknown> }>;
}

/** The only files served: a fixed allow-list, so no path can reach anything else. */
const ASSETS: Record<string, { pkg: string; file: string; type: string }> = {
  "graphiql.min.js": { pkg: "graphiql", file: "graphiql.min.js", type: "text/javascript; charset=utf-8" },
  "graphiql.min.css": { pkg: "graphiql", file: "graphiql.min.css", type: "text/css; charset=utf-8" },
  "react.production.min.js": { pkg: "react", file: "umd/react.production.min.js", type: "text/javascript; charset=utf-8" },
  "react-dom.production.min.js": { pkg: "react-dom", file: "umd/react-dom.production.min.js", type: "text/javascript; charset=utf-8" },
};

/** The packages' `exports` hide their UMD files from require.resolve: locate them beside package.json. */
function assetPath(asset: { pkg: string; file: string }): string {
  return join(dirname(require.resolve(`${asset.pkg}/package.json`)), asset.file);
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderPlaygroundPage(options: PlaygroundOptions): string {
  const base = `${options.endpoint}/_playground`;
  const headers = options.token ? JSON.stringify({ Authorization: `Bearer ${options.token}` }, null, 2) : "{}";
  const tabs = options.examples.map((e) => ({
    query: e.query,
    variables: e.variables ? JSON.stringify(e.variables, null, 2) : undefined,
    headers,
  }));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Billing gateway playground</title>
<link rel="stylesheet" href="${escapeHtml(base)}/graphiql.min.css">
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="graphiql">Loading the playground…</div>
<script src="${escapeHtml(base)}/react.production.min.js"></script>
<script src="${escapeHtml(base)}/react-dom.production.min.js"></script>
<script src="${escapeHtml(base)}/graphiql.min.js"></script>
<script>
  (function () {
    var endpoint = ${scriptJson(options.endpoint)};
    var tabs = ${scriptJson(tabs)};
    var headers = ${scriptJson(headers)};
    var fetcher = GraphiQL.createFetcher({ url: endpoint });
    var root = ReactDOM.createRoot(document.getElementById("graphiql"));
    root.render(React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultTabs: tabs,
      defaultHeaders: headers,
      headers: headers,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: true
    }));
  })();
</script>
</body>
</html>
`;
}

/** Handles GET of the playground page (when the client accepts HTML) and its assets; true when it answered. */
export function createPlaygroundHandler(options: PlaygroundOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const cache = new Map<string, Buffer>();
  let page: string | undefined;
  const assetPrefix = `${options.endpoint}/_playground/`;

  return (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const path = new URL(req.url ?? "/", "http://gateway.local").pathname;
    if (path === options.endpoint) {
      if (!(req.headers.accept ?? "").includes("text/html")) return false;
      page ??= renderPlaygroundPage(options);
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : page);
      return true;
    }
    if (!path.startsWith(assetPrefix)) return false;
    const asset = ASSETS[path.slice(assetPrefix.length)];
    if (!asset) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end("not found");
      return true;
    }
    let body = cache.get(asset.file);
    if (!body) {
      body = readFileSync(assetPath(asset));
      cache.set(asset.file, body);
    }
    res.writeHead(200, { "content-type": asset.type, "cache-control": "public, max-age=86400" });
    res.end(req.method === "HEAD" ? undefined : body);
    return true;
  };
}
