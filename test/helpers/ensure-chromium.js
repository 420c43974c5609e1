#!/usr/bin/env node
/**
 * `npm test` runs this first (pretest): the browser tests drive Debian's Chromium through
 * playwright-core, never a downloaded browser. On a Debian machine where we are root (CI, a fresh
 * sandbox) a missing Chromium is installed with apt-get; anywhere else this stops with what to do,
 * since a test that cannot run is a failure, not a skip.
 */
const { existsSync } = require("node:fs");
const { spawnSync } = require("node:child_process");

const path = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
if (existsSync(path)) process.exit(0);

const canInstall = !process.env.CHROMIUM_PATH && process.getuid?.() === 0 && existsSync("/usr/bin/apt-get");
if (!canInstall) {
  console.error(`Chromium is not at ${path}. Install Debian's package (apt-get install chromium) or set CHROMIUM_PATH to a Chromium binary.`);
  process.exit(1);
}
console.error("Installing Debian's chromium for the browser tests (apt-get)...");
const run = (args) => spawnSync("apt-get", args, { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } }).status === 0;
if (!run(["update", "-qq"]) || !run(["install", "-y", "-qq", "chromium"]) || !existsSync(path)) {
  console.error("apt-get could not install chromium.");
  process.exit(1);
}
