import { setTimeout as sleep } from 'node:timers/promises';
import { buildApp } from './app.js';
import { ConfigError, parseConfig, type ServiceConfig } from './config.js';

// ECS waits 30 s (stopTimeout) before SIGKILL; close must finish well inside it after the drain window.
const CLOSE_TIMEOUT_MS = 10_000;

function loadConfig(): ServiceConfig {
  try {
    return parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`berth-service: invalid configuration: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

const config = loadConfig();
const app = await buildApp(config);
await app.listen({ host: config.host, port: config.port });

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) {
      app.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    void shutDown(signal);
  });
}

/**
 * Readiness flips to 503 at once so the ALB deregisters this task, but requests are served for the whole
 * drain window (the ALB keeps sending until it notices); only then does the server stop taking work.
 */
async function shutDown(signal: string): Promise<void> {
  app.lifecycle.startDraining();
  app.log.info({ signal, drainSeconds: config.shutdownDrainSeconds }, 'draining before shutdown');
  await sleep(config.shutdownDrainSeconds * 1000);
  const forceExit = setTimeout(() => {
    app.log.error('close did not finish in time: exiting');
    process.exit(1);
  }, CLOSE_TIMEOUT_MS);
  forceExit.unref();
  try {
    await app.close();
    app.log.info('shut down cleanly');
    process.exit(0);
  } catch (error) {
    app.log.error({ err: error }, 'shutdown failed');
    process.exit(1);
  }
}
