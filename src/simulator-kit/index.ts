/**
 * Shared machinery for the vendor simulators: an HTTP server on a chosen (or free) port, a call log
 * per route, and faults queued per route (latency, status codes with Retry-After, resets, hangs,
 * malformed bodies). Simulators are product code: sandbox mode ships them, tests and benches use them.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { AddressInfo, Socket } from "node:net";
import { stringify as losslessStringify } from "lossless-json";

/** A fault to apply to the next matching request(s) of a route. */
export interface Fault {
  /** Answer with this status instead of running the route. */
  status?: number;
  /** With `status`: a Retry-After header (seconds, or an HTTP date string). */
  retryAfter?: number | string;
  /** Wait this long before answering (the route still runs unless another fault field says otherwise). */
  delayMs?: number;
  /** Destroy the socket without answering. */
  reset?: boolean;
  /** Never answer; the socket stays open until the client gives up or the simulator closes. */
  hang?: boolean;
  /** Answer with this raw body (status 200 unless `status` is set), e.g. malformed JSON. */
  body?: string;
  /** Content type of `body`; application/json by default. */
  contentType?: string;
}

/** Route name that matches every route of a simulator. */
export const ANY_ROUTE = "*";

export class FaultQueue {
  private readonly queues = new Map<string, Fault[]>();
  private standingDelayMs = 0;

  /** Every request of the simulator waits this long before it is answered (on top of a queued delayMs); 0 ends it. */
  setLatency(ms: number): void {
    this.standingDelayMs = ms;
  }

  get latencyMs(): number {
    return this.standingDelayMs;
  }

  /** Queue `fault` for the next request of `route` (or ANY_ROUTE); `.times(n)` repeats it n times in all. */
  next(route: string, fault: Fault): { times(n: number): void } {
    const queue = this.queues.get(route) ?? [];
    queue.push(fault);
    this.queues.set(route, queue);
    return {
      times: (n: number) => {
        for (let i = 1; i < n; i++) queue.push(fault);
      },
    };
  }

  /**
   * From now on, a share of all requests (`rate`, 0..1) gets one of `faults`, picked by a seeded random
   * sequence so a run can be repeated (soak tests); `setRandomFaults(0, [])` ends it. Queued faults come first.
   */
  setRandomFaults(rate: number, faults: Fault[], seed = 1): void {
    let state = seed >>> 0 || 1;
    const next = () => {
      // xorshift32: small, fast and repeatable; not for anything but picking faults.
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 0x100000000;
    };
    this.random = rate > 0 && faults.length > 0 ? { rate, faults, next } : undefined;
  }

  /** Requests that got a random fault since setRandomFaults. */
  randomFaultsInjected = 0;

  private random: { rate: number; faults: Fault[]; next: () => number } | undefined;

  /** Removes and returns the fault for this request, route-specific faults first. */
  take(route: string): Fault | undefined {
    for (const key of [route, ANY_ROUTE]) {
      const queue = this.queues.get(key);
      if (queue && queue.length > 0) return queue.shift();
    }
    if (this.random && this.random.next() < this.random.rate) {
      this.randomFaultsInjected++;
      return this.random.faults[Math.floor(this.random.next() * this.random.faults.length)];
    }
    return undefined;
  }

  clear(): void {
    this.queues.clear();
    this.random = undefined;
  }
}

export interface CallRecord {
  route: string;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
  at: Date;
  /** Status answered, or "reset"/"hang" for faults that sent none. */
  outcome?: number | "reset" | "hang";
}

export class CallLog {
  private readonly records: CallRecord[] = [];
  /** Requests being answered now, and the most seen at once, per route (what a vendor's concurrency limit counts). */
  private readonly active = new Map<string, number>();
  private readonly peak = new Map<string, number>();

  /** A request of `route` arrived; call the returned function once it is answered (or its socket closed). */
  enter(route: string): () => void {
    const now = (this.active.get(route) ?? 0) + 1;
    this.active.set(route, now);
    this.peak.set(route, Math.max(now, this.peak.get(route) ?? 0));
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.active.set(route, (this.active.get(route) ?? 1) - 1);
    };
  }

  /** The most requests of `route` being answered at once since the last reset. */
  maxInFlight(route: string): number {
    return this.peak.get(route) ?? 0;
  }

  record(call: CallRecord): void {
    this.records.push(call);
  }

  /** Calls of one route, or of all routes. Faulted calls count too: the vendor saw them. */
  count(route?: string): number {
    return this.list(route).length;
  }

  list(route?: string): CallRecord[] {
    return route ? this.records.filter((r) => r.route === route) : [...this.records];
  }

  last(route?: string): CallRecord | undefined {
    const list = this.list(route);
    return list[list.length - 1];
  }

  /** Counts per route, for benchmarks and the sandbox's own report. */
  byRoute(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.records) out[r.route] = (out[r.route] ?? 0) + 1;
    return out;
  }

  reset(): void {
    this.records.length = 0;
    this.peak.clear();
    for (const [route, n] of this.active) this.peak.set(route, n);
  }
}

export class SimRequest {
  constructor(
    readonly route: string,
    readonly method: string,
    readonly path: string,
    readonly query: URLSearchParams,
    readonly headers: IncomingHttpHeaders,
    readonly rawBody: string,
  ) {}

  header(name: string): string | undefined {
    const value = this.headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  }

  /** The JSON body, or undefined when the body is empty or not JSON. */
  json<T = unknown>(): T | undefined {
    if (this.rawBody.trim() === "") return undefined;
    try {
      return JSON.parse(this.rawBody) as T;
    } catch {
      return undefined;
    }
  }
}

export interface SimResponse {
  status: number;
  /**
   * An object is serialised with lossless-json (so LosslessNumber values keep their text); a string goes
   * as is; a Readable is streamed (large files never sit whole in memory).
   */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteDef {
  /** Stable name used by the call log and fault queue, e.g. "monthly-usage". */
  name: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Exact path, a prefix ending in "/*" for routes with a path parameter (`/reports/*`), or a pattern. */
  path: string | RegExp;
  handle(req: SimRequest): SimResponse | Promise<SimResponse>;
}

export interface SimulatorOptions {
  name: string;
  routes: RouteDef[];
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Body for injected status faults; vendors differ. */
  faultBody?: (status: number) => unknown;
  /** Answer for a path no route matches. */
  notFound?: (req: SimRequest) => SimResponse;
}

export interface SimulatorHandle {
  name: string;
  url: string;
  calls: CallLog;
  faults: FaultQueue;
  close(): Promise<void>;
}

function send(res: ServerResponse, response: SimResponse): void {
  if (response.body instanceof Readable) {
    res.writeHead(response.status, response.headers ?? {});
    response.body.on("error", () => res.destroy());
    response.body.pipe(res);
    return;
  }
  const body =
    response.body === undefined
      ? ""
      : typeof response.body === "string"
        ? response.body
        : (losslessStringify(response.body) ?? "");
  const headers: Record<string, string> = { ...(response.headers ?? {}) };
  if (body !== "" && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
    headers["content-type"] = "application/json; charset=utf-8";
  }
  res.writeHead(response.status, headers);
  res.end(body);
}

function pathMatches(pattern: string | RegExp, path: string): boolean {
  if (pattern instanceof RegExp) return pattern.test(path);
  if (!pattern.endsWith("/*")) return pattern === path;
  const prefix = pattern.slice(0, -1);
  return path.startsWith(prefix) && path.length > prefix.length;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export async function startSimulator(options: SimulatorOptions): Promise<SimulatorHandle> {
  const calls = new CallLog();
  const faults = new FaultQueue();
  const sockets = new Set<Socket>();
  const faultBody = options.faultBody ?? ((status: number) => ({ message: `Injected fault ${status}` }));

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void handle(req, res, Buffer.concat(chunks).toString("utf8")).catch((err: unknown) => {
        if (!res.headersSent) send(res, { status: 500, body: { message: `simulator error: ${String(err)}` } });
      });
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse, rawBody: string): Promise<void> {
    const url = new URL(req.url ?? "/", "http://simulator.local");
    const method = (req.method ?? "GET").toUpperCase();
    const route = options.routes.find((r) => r.method === method && pathMatches(r.path, url.pathname));
    const routeName = route?.name ?? "unmatched";
    const record: CallRecord = {
      route: routeName,
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: rawBody,
      at: new Date(),
    };
    calls.record(record);
    const leave = calls.enter(routeName);
    res.once("close", leave);
    const simReq = new SimRequest(routeName, method, url.pathname, url.searchParams, req.headers, rawBody);

    const fault = route ? faults.take(route.name) : undefined;
    const delayMs = faults.latencyMs + (fault?.delayMs ?? 0);
    if (delayMs > 0) await sleep(delayMs);
    if (fault?.hang) {
      record.outcome = "hang";
      return; // the socket is destroyed by the client's timeout or by close()
    }
    if (fault?.reset) {
      record.outcome = "reset";
      req.socket.destroy();
      return;
    }
    if (fault?.status !== undefined || fault?.body !== undefined) {
      const status = fault.status ?? 200;
      const headers: Record<string, string> = {};
      if (fault.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter);
      if (fault.body !== undefined) headers["content-type"] = fault.contentType ?? "application/json";
      record.outcome = status;
      send(res, { status, headers, body: fault.body ?? faultBody(status) });
      return;
    }

    const response = route
      ? await route.handle(simReq)
      : (options.notFound?.(simReq) ?? { status: 404, body: { message: "Not Found" } });
    record.outcome = response.status;
    send(res, response);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;

  return {
    name: options.name,
    url: `http://${host}:${address.port}`,
    calls,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
