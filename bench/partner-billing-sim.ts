/** Runs the Partner Center simulator in its own process for the benchmark, so the gateway's RSS is its own. */
import { createPartnerBillingSimulator } from "../src/vendors/microsoft-partner-billing/simulator/server";

const lines = Number(process.env.BENCH_PCB_LINES ?? 1_000_000);
void createPartnerBillingSimulator({
  invoices: [{ invoiceId: "GBENCH0001", periodStart: "2026-10-01", lines }],
  pollsToComplete: 1,
  retryAfterSeconds: 1,
  linesPerBlob: 100_000,
}).then((sim) => {
  process.stdout.write(`${sim.url}\n`);
  process.on("SIGTERM", () => void sim.close().then(() => process.exit(0)));
});
