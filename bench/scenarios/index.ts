/** Every scenario `npm run bench` knows, in the order it runs them (`npm run bench -- <name> ...` picks some). */
import type { Scenario } from "../harness";
import { soak } from "./soak";
import { warmThroughput } from "./warm-throughput";
import { costliest, hostile, largeMsp, monthOverview, partnerInvoice, webexReport } from "./sandbox-figures";

export const SCENARIOS: Scenario[] = [monthOverview, costliest, largeMsp, webexReport, partnerInvoice, hostile, warmThroughput, soak];
