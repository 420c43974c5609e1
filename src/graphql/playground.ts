/**
 * The playground: GraphiQL 3's ready UMD build with React 18's UMD files, served from node_modules by
 * the gateway itself, so it works with no internet (no CDN, no web fonts: GraphiQL's CSS inlines its
 * fonts as data: URIs). Example operations open as tabs; in sandbox mode the dev token is pre-filled
 * in the headers editor.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";

export interface PlaygroundOptions {
  /** Path the GraphQL endpoint lives on, e.g. "/graphql". Assets are served under `${endpoint}/_playground/`. */
  endpoint: string;
  /** A bearer token to pre-fill in the Authorization header (sandbox dev token), or undefined. */
  token?: string;
  /** Example operations shown as tabs; the first one is the default query. */
  examples: Array<{ name: string; query: string; variables?: Record<string, unknown> }>;
}

interface Asset {
  pkg: string;
  /** Path inside the package. */
  file: string;
  type: string;
}

const JS = "text/javascript; charset=utf-8";

/** The only files served. A Map, not an object literal, so "constructor" or "__proto__" match nothing. */
const ASSETS = new Map<string, Asset>([
  ["graphiql.min.js", { pkg: "graphiql", file: "graphiql.min.js", type: JS }],
  ["graphiql.min.css", { pkg: "graphiql", file: "graphiql.min.css", type: "text/css; charset=utf-8" }],
  ["react.production.min.js", { pkg: "react", file: "umd/react.production.min.js", type: JS }],
  ["react-dom.production.min.js", { pkg: "react-dom", file: "umd/react-dom.production.min.js", type: JS }],
]);

/**
 * The packages' `exports` maps hide these files from `require.resolve("graphiql/graphiql.min.js")`
 * (ERR_PACKAGE_PATH_NOT_EXPORTED), so resolve package.json and go from its folder. Works from dist/ too.
 */
function assetPath(asset: Asset): string {
  return join(dirname(require.resolve(`${asset.pkg}/package.json`)), asset.file);
}

/** JSON that cannot close the <script> element or open a comment/CDATA in it, nor end a JS string early. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function renderPage(opts: PlaygroundOptions): string {
  const base = escapeHtml(`${opts.endpoint}/_playground`);
  // GraphiQL takes editor contents as strings, headers included.
  const headers = opts.token ? JSON.stringify({ Authorization: `Bearer ${opts.token}` }, null, 2) : "";
  const tabs = opts.examples.map((e) => ({
    query: e.query,
    variables: e.variables ? JSON.stringify(e.variables, null, 2) : undefined,
    headers,
  }));
  const props = {
    // GraphiQL crashes on an empty defaultTabs: leave it out and let it show its own welcome query.
    defaultTabs: tabs.length ? tabs : undefined,
    defaultQuery: opts.examples[0]?.query,
    // Also fills the editor for new tabs, and for tabs restored from localStorage (headers never are).
    defaultHeaders: headers,
    // Keeps the token out of the browser's localStorage.
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: true,
  };
  // The token goes only in the headers editor, not in createFetcher's fixed headers: clearing the editor
  // must really send a request without it.
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Billing gateway playground</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${base}/graphiql.min.css">
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="graphiql">Loading the playground…</div>
<script src="${base}/react.production.min.js"></script>
<script src="${base}/react-dom.production.min.js"></script>
<script src="${base}/graphiql.min.js"></script>
<script>
  (function () {
    var props = ${scriptJson(props)};
    // GraphiQL 3 opens the first tab with its query but an empty variables editor (only a \`variables\`
    // prop fills that editor at start): on a first visit, pass the first example's variables. Later
    // visits restore the stored tabs and the variables last typed.
    var firstVisit = true;
    try {
      var stored = JSON.parse(window.localStorage.getItem("graphiql:tabState") || "null");
      var active = stored && stored.tabs && stored.tabs[stored.activeTabIndex];
      if (active) {
        firstVisit = false;
        // GraphiQL reopens the stored tab whose query and variables equal its separately stored
        // "graphiql:query" / "graphiql:variables", and adds a new tab when none does. Those keys are
        // written later than the tabs (each on its own debounce), so a page closed soon after an edit
        // came back with an extra tab: name the active stored tab instead.
        props.query = active.query || "";
        props.variables = active.variables || "";
      }
    } catch (e) {
      /* storage blocked or unreadable: GraphiQL starts from the default tabs */
    }
    if (firstVisit && props.defaultTabs && props.defaultTabs[0].variables) props.variables = props.defaultTabs[0].variables;
    props.fetcher = GraphiQL.createFetcher({ url: ${scriptJson(opts.endpoint)} });
    ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(GraphiQL, props));
  })();
</script>
</body>
</html>
`;
}

/** Handles GET requests for the playground page and its assets; returns true when it answered. Never handles POST. */
export function createPlaygroundHandler(opts: PlaygroundOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const assetPrefix = `${opts.endpoint}/_playground/`;
  // Filled on first use: a gateway that never serves the playground never reads 1.5 MB of assets.
  const bodies = new Map<string, Buffer>();
  let page: string | undefined;

  return (req, res) => {
    if (req.method !== "GET") return false;
    // Only the pathname matters; the base is a placeholder required by the URL parser.
    const path = new URL(req.url ?? "/", "http://localhost").pathname;

    if (path === opts.endpoint) {
      // A GET without text/html is a GraphQL-over-HTTP query: the GraphQL server answers it.
      if (!(req.headers.accept ?? "").includes("text/html")) return false;
      page ??= renderPage(opts);
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      res.end(page);
      return true;
    }

    if (!path.startsWith(assetPrefix)) return false;
    const name = path.slice(assetPrefix.length);
    const asset = ASSETS.get(name);
    if (!asset) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end("not found");
      return true;
    }
    let body = bodies.get(name);
    if (!body) {
      try {
        body = readFileSync(assetPath(asset));
      } catch {
        // A broken install must not crash the gateway from a request handler.
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end("playground asset missing");
        return true;
      }
      bodies.set(name, body);
    }
    res.writeHead(200, { "content-type": asset.type, "cache-control": "public, max-age=86400" });
    res.end(body);
    return true;
  };
}
