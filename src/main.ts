import { startApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { startTracing } from './tracing.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  // Before the app: its spans need the SDK's context manager from the first request on.
  const tracing = await startTracing(process.env);
  if (tracing) logger.info('tracing on: spans exported over OTLP (docs/OPERATIONS.md "Traces")');
  const app = await startApp(config, logger);
  if (app.generatedRootToken) {
    // Printed once, on the terminal only (never through the logger): it is not stored in clear.
    process.stdout.write(
      `\n  Root API token (shown once; set SYNCLINE_API_TOKEN to choose your own):\n\n    ${app.generatedRootToken}\n\n`,
    );
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    app
      .close()
      .then(() => tracing?.shutdown())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : (error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
