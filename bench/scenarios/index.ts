/** Every scenario `npm run bench` knows, in the order it runs them (`npm run bench -- <name> ...` picks some). */
import type { Scenario } from "../harness";
import { dedup } from "./dedup";
import { fanout } from "./fanout";
import { overhead } from "./overhead";
import { bigData, costliest, hostile, largeMsp, monthOverview, partnerInvoice, webexReport } from "./sandbox-figures";

export const SCENARIOS: Scenario[] = [fanout, dedup, overhead, monthOverview, costliest, largeMsp, webexReport, partnerInvoice, bigData, hostile];
