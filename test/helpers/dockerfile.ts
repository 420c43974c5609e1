/** A Dockerfile read as Docker reads it, enough to check it and to replay its runtime stage without an engine. */
import { readFileSync } from "node:fs";
import { posix } from "node:path";

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** The Dockerfile's stages: instructions with continuation lines joined, comments dropped. */
export function dockerfileStages(text: string): Stage[] {
  const logical: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!pending && (line === "" || line.startsWith("#"))) continue;
    if (pending && line.startsWith("#")) continue; // a comment inside a continued instruction
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(`${pending}${line}`.trim());
    pending = "";
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(line);
    if (!m) continue;
    const keyword = m[1].toUpperCase();
    const args = m[2].trim();
    if (keyword === "FROM") {
      const from = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`cannot read FROM ${args}`);
      stages.push({ image: from[1], name: from[2], instructions: [] });
    } else {
      if (!stages.length) throw new Error(`${keyword} before any FROM`);
      stages[stages.length - 1].instructions.push({ keyword, args });
    }
  }
  return stages;
}

export const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
export const last = (stage: Stage, keyword: string) => all(stage, keyword).at(-1);

/** An instruction's exec form (`["node", "x.js"]`), or null for the shell form. */
export function execForm(args: string): string[] | null {
  if (!args.startsWith("[")) return null;
  const parsed: unknown = JSON.parse(args);
  return Array.isArray(parsed) && parsed.every((p) => typeof p === "string") ? parsed : null;
}

/** ENV's key=value pairs (the `ENV key value` form too). */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const args of all(stage, "ENV")) {
    if (!args.includes("=")) {
      const [key, ...rest] = args.split(/\s+/);
      env[key] = rest.join(" ");
      continue;
    }
    for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S+)/g)) env[m[1]] = m[3] ?? m[2];
  }
  return env;
}

export interface Copy {
  from: string | undefined;
  sources: string[];
  dest: string;
}

export function copiesOf(stage: Stage): Copy[] {
  return all(stage, "COPY").map((args) => {
    const words = args.split(/\s+/);
    const flags = words.filter((w) => w.startsWith("--"));
    const paths = words.filter((w) => !w.startsWith("--"));
    const from = flags.find((f) => f.startsWith("--from="))?.slice("--from=".length);
    return { from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
  });
}

/** Where a COPY destination lands in the image (relative to the stage's WORKDIR when not absolute). */
export function inImage(stage: Stage, path: string): string {
  const workdir = last(stage, "WORKDIR") ?? "/";
  return posix.normalize(path.startsWith("/") ? path : posix.join(workdir, path)).replace(/\/$/, "");
}

/** The stages of the Dockerfile at `path`. */
export function readDockerfile(path: string): Stage[] {
  return dockerfileStages(readFileSync(path, "utf8"));
}
