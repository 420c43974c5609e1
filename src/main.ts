/**
 * Entry point: reads GATEWAY_CONFIG (or starts the sandbox when it is unset), listens on HOST:PORT,
 * and stops cleanly on SIGINT/SIGTERM.
 */
import "reflect-metadata";
import { ConfigError, listenAddress, loadConfigFile } from "./config";
import { createGateway, type Gateway } from "./gateway";
import { exampleOperations } from "./graphql/examples";
import { createLogger } from "./logger";
import { SANDBOX_CONNECTIONS, SANDBOX_TRIAL_ACCOUNT, startSandbox, type Sandbox } from "./sandbox";
import KeyvRedis from "@keyv/redis";

async function main(): Promise<void> {
  const logger = createLogger();
  const { port, host } = listenAddress();
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
      cacheStore: config.redisUrl ? new KeyvRedis(config.redisUrl) : undefined,
    });
    logger.info({ url: gateway.graphqlUrl, connections: config.connections.map((c) => c.id) }, "gateway listening");
  } else {
    sandbox = await startSandbox();
    gateway = await createGateway({
      config: sandbox.config,
      logger,
      port,
      host,
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
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
    await gateway.stop();
    await sandbox?.close();
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
