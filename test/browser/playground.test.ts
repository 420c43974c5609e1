/**
 * The playground as a person meets it: the gateway in sandbox mode, its page in a real browser
 * (Debian's Chromium through playwright-core; `npm test` makes sure it is installed). The page must
 * load with no request leaving the gateway, open the first example with the sandbox token in its
 * headers, and show the gateway's answer when Run is pressed.
 */
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { startTestGateway, type TestGateway } from "../helpers/gateway";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// As root, Chromium needs --no-sandbox; the rest keeps it from calling home (STACK.md).
const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

let tg: TestGateway;
let browser: Browser;

beforeAll(async () => {
  tg = await startTestGateway({ sandboxMode: true });
  // playwright gives each launch a fresh profile directory of its own.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await tg?.close();
});

interface Visit {
  page: Page;
  requested: string[];
  problems: string[];
}

/** Opens the playground in a new page: of a fresh browser profile, or of `context` (a return visit). */
async function openPlayground(context?: BrowserContext): Promise<Visit> {
  const page = await (context ?? browser).newPage();
  const requested: string[] = [];
  const problems: string[] = [];
  page.on("request", (r) => requested.push(r.url()));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  const res = await page.goto(tg.gateway.graphqlUrl, { waitUntil: "load" });
  expect(res?.status()).toBe(200);
  // The query editor has rendered the first example (STACK.md: Run does nothing before that).
  await page.locator(".graphiql-query-editor .CodeMirror-code").filter({ hasText: "query MonthOverview" }).waitFor({ timeout: 15_000 });
  return { page, requested, problems };
}

describe("playground in a browser", () => {
  it("loads GraphiQL from the gateway alone and opens the first example with the sandbox token", async () => {
    const { page, requested, problems } = await openPlayground();
    try {
      const origin = new URL(tg.gateway.graphqlUrl).origin;
      const outside = requested.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith("data:") && !u.startsWith("blob:"));
      expect(outside).toEqual([]);
      // The page, its four assets, and GraphiQL's schema introspection.
      expect(requested.some((u) => u.includes("/_playground/graphiql.min.js"))).toBe(true);
      expect(await page.title()).not.toBe("");
      // Every example is a tab.
      expect(await page.locator(".graphiql-tab").count()).toBeGreaterThanOrEqual(5);
      // The token sits in the headers editor (not in localStorage).
      await page.getByRole("button", { name: /headers/i }).first().click();
      await expect(page.locator(".graphiql-editor-tool .CodeMirror-code").filter({ hasText: `Bearer ${tg.sandbox.devToken}` }).count()).resolves.toBe(1);
      expect(await page.evaluate<string>("JSON.stringify({ ...localStorage })")).not.toContain(tg.sandbox.devToken);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  /** Presses Run on the open tab: its POST to the gateway, and what the result pane shows. */
  async function run(page: Page) {
    const answered = page.waitForResponse((r) => r.url() === tg.gateway.graphqlUrl && r.request().method() === "POST" && (r.request().postData() ?? "").includes("MonthOverview"));
    await page.locator(".graphiql-execute-button").click();
    const response = await answered;
    const body = (await response.json()) as { data?: { partners?: { totalCount: number } } | null; errors?: unknown[] };
    return { response, body };
  }

  it("runs the example: the request carries the token and the answer shows in the result pane", async () => {
    const { page, problems } = await openPlayground();
    try {
      const answered = page.waitForResponse((r) => r.url() === tg.gateway.graphqlUrl && r.request().method() === "POST" && (r.request().postData() ?? "").includes("MonthOverview"));
      await page.locator(".graphiql-execute-button").click();
      const response = await answered;
      expect(response.status()).toBe(200);
      expect(await response.request().headerValue("authorization")).toBe(`Bearer ${tg.sandbox.devToken}`);
      const body = (await response.json()) as { data?: { partners?: { totalCount: number } } | null; errors?: unknown[] };
      expect(body.errors).toBeUndefined();
      expect(body.data?.partners?.totalCount).toBeGreaterThan(0);
      // What the person sees: the same answer, in the result pane.
      const result = page.locator(".graphiql-response .CodeMirror-code");
      await result.filter({ hasText: '"totalCount"' }).waitFor({ timeout: 15_000 });
      expect(await result.innerText()).toContain(`"totalCount": ${body.data!.partners!.totalCount}`);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("opens the first example with its variables on a first visit, and keeps the tabs on the next one", async () => {
    const context = await browser.newContext();
    try {
      const first = await openPlayground(context);
      const variables = first.page.locator(".graphiql-editor-tool .CodeMirror-code");
      await first.page.getByRole("button", { name: /variables/i }).first().click();
      await variables.filter({ hasText: '"period"' }).waitFor({ timeout: 15_000 });
      const tabs = await first.page.locator(".graphiql-tab").count();
      expect((await run(first.page)).body.errors).toBeUndefined();
      // GraphiQL writes its tabs and its last query and variables each on a debounce of its own: a page
      // closed right after an edit can leave the last-query keys behind the tabs. Once the tabs are
      // stored, leave the keys behind here, every time.
      await first.page.waitForFunction('localStorage.getItem("graphiql:tabState") !== null');
      await first.page.evaluate('localStorage.removeItem("graphiql:variables"); localStorage.setItem("graphiql:query", "{ stale }")');
      await first.page.close();

      // Same profile: GraphiQL restores its stored tabs and variables; the page adds no tab of its own.
      const again = await openPlayground(context);
      expect(await again.page.locator(".graphiql-tab").count()).toBe(tabs);
      const { response, body } = await run(again.page);
      expect(response.status()).toBe(200);
      expect(body.errors).toBeUndefined();
      expect(again.problems).toEqual([]);
      await again.page.close();
    } finally {
      await context.close();
    }
  });
});
