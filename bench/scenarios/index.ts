/** Every scenario `npm run bench` knows, in the order it runs them (`npm run bench -- <name> ...` picks some). */
import type { Scenario } from "../harness";
import { dedup } from "./dedup";
import { fanout } from "./fanout";
import { overhead } from "./overhead";
import { bigData, costliest, hostile, largeMsp, monthOverview, partnerInvoice, webexReport } from "./sandbox-figures";
import { soak } from "./soak";
import { warmThroughput } from "./warm-throughput";

/** Issue 13's scenarios first (fan-out, dedup, warm throughput, overhead, big data, soak), then the older figures. */
export const SCENARIOS: Scenario[] = [fanout, dedup, warmThroughput, overhead, webexReport, partnerInvoice, bigData, soak, monthOverview, costliest, largeMsp, hostile];
