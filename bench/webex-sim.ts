/** Runs a Webex simulator with a large world in its own process for the benchmark, so the gateway's RSS is its own. */
import { largeWebexWorld } from "../src/vendors/webex-wholesale/simulator/fixtures";
import { createWebexSimulator } from "../src/vendors/webex-wholesale/simulator/server";

const rows = Number(process.env.BENCH_WEBEX_ROWS ?? 200_000);
const world = largeWebexWorld(rows);
void createWebexSimulator({ world, pollsToComplete: 1 }).then((sim) => {
  process.stdout.write(`${JSON.stringify({ url: sim.url, subPartners: world.subPartners, partnerName: world.partnerName })}\n`);
  process.on("SIGTERM", () => void sim.close().then(() => process.exit(0)));
});
