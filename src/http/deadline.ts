import { setMaxListeners } from "node:events";
import type { Deadline } from "../domain/connector";

/** A deadline that aborts its signal when it passes or when `cancel` is called (request finished). */
export function createDeadline(budgetMs: number, now: () => number = Date.now): Deadline & { cancel(): void } {
  const controller = new AbortController();
  // One GraphQL request fans out to many upstream calls, each listening on this signal.
  setMaxListeners(0, controller.signal);
  const at = now() + budgetMs;
  const timer = setTimeout(() => controller.abort(new Error("request deadline exceeded")), budgetMs);
  timer.unref();
  return {
    at,
    signal: controller.signal,
    remainingMs: () => Math.max(0, at - now()),
    cancel: () => {
      clearTimeout(timer);
      if (!controller.signal.aborted) controller.abort(new Error("request finished"));
    },
  };
}
