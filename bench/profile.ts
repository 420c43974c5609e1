/**
 * A CPU profile of this process's main thread (node's inspector Profiler), summarised: self time by
 * package or module (graphql, type-graphql, our src/<dir>, @apollo/server, node internals, GC, ...), the
 * share of samples with each package on the stack, and the functions with the most self time. The load
 * generator must run elsewhere (autocannon's worker threads), or its work is profiled too.
 */
import { Session } from "node:inspector/promises";
import { sep } from "node:path";
import { round } from "./harness";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  parent?: number;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Profiles the main thread while `work` runs. */
export async function profileWhile<T>(work: () => Promise<T>, samplingIntervalUs = 500): Promise<{ result: T; profile: CpuProfile }> {
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: samplingIntervalUs });
    await session.post("Profiler.start");
    let stopped: { profile: CpuProfile } | undefined;
    try {
      const result = await work();
      stopped = (await session.post("Profiler.stop")) as { profile: CpuProfile };
      return { result, profile: stopped.profile };
    } finally {
      if (!stopped) await session.post("Profiler.stop").catch(() => undefined);
    }
  } finally {
    session.disconnect();
  }
}

const projectRoot = `${sep}src${sep}`;

/** Where a frame's code lives: a package, a directory of src/, a node internal, or V8 itself. */
export function categoryOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (functionName === "(garbage collector)") return "(GC)";
  if (functionName === "(program)") return "(program: V8/native, unattributed)";
  if (functionName === "(idle)") return "(idle)";
  if (url === "") return "(V8 builtins / native)";
  if (url.startsWith("node:")) return "node internals";
  const path = url.replace(/^file:\/\//, "");
  const nm = path.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const parts = path.slice(nm + "/node_modules/".length).split("/");
    return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const src = path.lastIndexOf(projectRoot.replace(/\\/g, "/"));
  if (src >= 0) {
    const rest = path.slice(src + 1).split("/");
    return rest.length > 2 ? `${rest[0]}/${rest[1]}` : rest.join("/");
  }
  if (path.includes("/bench/")) return "bench";
  return "(other)";
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf("/node_modules/");
  if (nm >= 0) return url.slice(nm + "/node_modules/".length);
  const src = url.lastIndexOf("/src/");
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^node:/, "node:");
}

export interface ProfileSummary {
  /** Sampled time, ms, not counting idle. */
  busyMs: number;
  idleMs: number;
  bySelf: Array<{ category: string; ms: number; share: number }>;
  /** Share of busy samples with at least one frame of the category on the stack. */
  onStack: Array<{ category: string; share: number }>;
  topFunctions: Array<{ name: string; category: string; ms: number; share: number }>;
}

export function summariseProfile(profile: CpuProfile, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  // timeDeltas[i + 1] is the time until the next sample: what sample i stands for.
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
  }
  const cats = new Map<string, number>();
  const fns = new Map<string, { category: string; ms: number }>();
  const onStack = new Map<string, number>();
  let idleMs = 0;
  let busyMs = 0;
  for (const [id, ms] of self) {
    const node = byId.get(id)!;
    const category = categoryOf(node.callFrame);
    if (category === "(idle)") {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    cats.set(category, (cats.get(category) ?? 0) + ms);
    const f = node.callFrame;
    const name = `${f.functionName || "(anonymous)"} ${shortUrl(f.url)}${f.url ? `:${f.lineNumber + 1}` : ""}`;
    const entry = fns.get(name) ?? { category, ms: 0 };
    entry.ms += ms;
    fns.set(name, entry);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) seen.add(categoryOf(byId.get(cur)!.callFrame));
    for (const c of seen) onStack.set(c, (onStack.get(c) ?? 0) + ms);
  }
  const share = (ms: number) => (busyMs > 0 ? round((100 * ms) / busyMs) : 0);
  return {
    busyMs: round(busyMs, 0),
    idleMs: round(idleMs, 0),
    bySelf: [...cats].sort((a, b) => b[1] - a[1]).map(([category, ms]) => ({ category, ms: round(ms, 0), share: share(ms) })),
    onStack: [...onStack]
      .filter(([c]) => !c.startsWith("("))
      .sort((a, b) => b[1] - a[1])
      .map(([category, ms]) => ({ category, share: share(ms) })),
    topFunctions: [...fns]
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, top)
      .map(([name, e]) => ({ name, category: e.category, ms: round(e.ms, 0), share: share(e.ms) })),
  };
}

/** The summary as note lines. */
export function profileNotes(label: string, s: ProfileSummary, categories = 12): string[] {
  return [
    `${label}: ${s.busyMs} ms busy, ${s.idleMs} ms idle in the main thread`,
    `  self time by package/module: ${s.bySelf
      .slice(0, categories)
      .map((c) => `${c.category} ${c.share}%`)
      .join(", ")}`,
    `  on the stack (inclusive): ${s.onStack
      .slice(0, categories)
      .map((c) => `${c.category} ${c.share}%`)
      .join(", ")}`,
    "  top self-time functions:",
    ...s.topFunctions.map((f) => `    ${String(f.share).padStart(5)}%  ${f.name}`),
  ];
}
