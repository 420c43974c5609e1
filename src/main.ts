/**
 * Entry point: reads GATEWAY_CONFIG (or starts the sandbox when it is unset), listens on HOST:PORT,
 * and stops cleanly on SIGINT/SIGTERM.
 */
import "reflect-metadata";
import { ConfigError, listenAddress, loadConfigFile, sandboxLatencyMs, shutdownGraceMs } from "./config";
import { createGateway, type Gateway } from "./gateway";
import { exampleOperations } from "./graphql/examples";
import { createLogger } from "./logger";
import { SANDBOX_CONNECTIONS, SANDBOX_TRIAL_ACCOUNT, startSandbox, type Sandbox } from "./sandbox";
import { createRedisStore } from "./cache/redis";

async function main(): Promise<void> {
  // The sandbox is run by a person at a terminal: readable lines; a configured gateway logs JSON.
  const logger = createLogger({ pretty: !process.env.GATEWAY_CONFIG });
  const { port, host } = listenAddress();
  const graceMs = shutdownGraceMs();
  const configPath = process.env.GATEWAY_CONFIG;
  let sandbox: Sandbox | undefined;
  let gateway: Gateway;

  if (configPath) {
    const config = loadConfigFile(configPath);
    gateway = await createGateway({
      config,
      logger,
      port,
      host,
      shutdownGraceMs: graceMs,
      processMetrics: true,
      cacheStore: config.redisUrl ? createRedisStore(config.redisUrl.reveal(), config.redisTimeouts) : undefined,
      storeGuard: { timeoutMs: config.redisTimeouts.commandMs, probeIntervalMs: config.redisTimeouts.probeIntervalMs },
    });
    logger.info({ url: gateway.graphqlUrl, connections: config.connections.map((c) => c.id) }, "gateway listening");
  } else {
    sandbox = await startSandbox({ latencyMs: sandboxLatencyMs() });
    gateway = await createGateway({
      config: sandbox.config,
      logger,
      port,
      host,
      shutdownGraceMs: graceMs,
      processMetrics: true,
      sandbox: { devToken: sandbox.devToken },
      examples: exampleOperations(Date.now(), {
        distributorConnectionId: SANDBOX_CONNECTIONS.keeperDistributor,
        trialAccount: SANDBOX_TRIAL_ACCOUNT,
      }),
    });
    // The marketplace simulator calls the gateway's webhook, as Microsoft would.
    sandbox.marketplace.setWebhookUrl(`${gateway.url}/webhooks/microsoft-marketplace/${SANDBOX_CONNECTIONS.marketplace}`);
    process.stdout.write(
      [
        "",
        "Billing gateway — SANDBOX MODE (no GATEWAY_CONFIG set): in-process vendor simulators with sample data.",
        `  Playground:  ${gateway.graphqlUrl}   (open in a browser)`,
        `  Dev token:   ${sandbox.devToken}`,
        `  Try:         curl -s ${gateway.graphqlUrl} -H 'content-type: application/json' \\`,
        `                 -H 'authorization: Bearer <dev token>' --data '{"query":"{ connections { id vendor api } }"}'`,
        "",
        "",
      ].join("\n"),
    );
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting without waiting");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, graceMs }, "stopping");
    // Should a close step hang anyway, the process still ends, and says it did not stop cleanly.
    setTimeout(() => {
      logger.error("stop did not finish in time: exiting");
      process.exit(1);
    }, graceMs + 3_000).unref();
    await gateway.stop();
    await sandbox?.close();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  process.exit(1);
});
