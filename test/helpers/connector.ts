/** Connector dependencies and call contexts for connector-level tests (real HTTP, tiny retry delays). */
import { makeScope } from "../../src/auth/caller";
import { ResponseCache } from "../../src/cache/store";
import type { CallContext } from "../../src/domain/connector";
import { createDeadline } from "../../src/http/deadline";
import { createDispatcher, DEFAULT_HTTP_SETTINGS, type HttpSettings } from "../../src/http/upstream";
import { createLogger } from "../../src/logger";
import { DEFAULT_TTLS, type ConnectorDeps } from "../../src/vendors/connector-kit";
import type { DisposableStack } from "./stack";

export const TEST_HTTP: HttpSettings = {
  ...DEFAULT_HTTP_SETTINGS,
  baseDelayMs: 1,
  maxDelayMs: 5,
  headersTimeoutMs: 1000,
  bodyTimeoutMs: 1000,
  maxRetryAfterMs: 2000,
};

export function connectorDeps(stack: DisposableStack, now: () => number = Date.now): ConnectorDeps {
  const dispatcher = createDispatcher(TEST_HTTP);
  stack.defer(() => dispatcher.close());
  return {
    dispatcher,
    http: TEST_HTTP,
    cache: new ResponseCache({ now }),
    ttls: DEFAULT_TTLS,
    logger: createLogger({ level: "silent" }),
    now,
    random: () => 0.5,
  };
}

export function callContext(stack: DisposableStack, tenant = "t1"): CallContext {
  const deadline = createDeadline(10_000);
  stack.defer(() => deadline.cancel());
  return { scope: makeScope("test", tenant, "*"), deadline, requestId: "test-request", logger: createLogger({ level: "silent" }) };
}
