import { Writable } from 'node:stream';
import { startApp, type RunningApp, type StartOptions } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

export const ROOT_TOKEN = 'syn_test_root_token_0123456789';
/** What tests allow outbound connections to reach: loopback only, as DESIGN §9 says. */
export const TEST_EGRESS_ALLOW = '127.0.0.0/8,::1/128,localhost';
export const TEST_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

export interface TestServer {
  app: RunningApp;
  url: string;
  database: TestDatabase;
  /** Every log line the server wrote, for checks that secrets never reach logs. */
  logLines: string[];
  stop(): Promise<void>;
}

/** A real server on a random port over its own fresh PostgreSQL database. */
export async function startTestServer(env: Record<string, string> = {}, options: StartOptions = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: database.url,
    SYNCLINE_API_TOKEN: ROOT_TOKEN,
    SYNCLINE_SECRET_KEY: TEST_SECRET_KEY,
    LOG_LEVEL: 'debug',
    // Tests and emulators listen on loopback only; the egress policy refuses it unless allowed (DESIGN §9).
    SYNCLINE_EGRESS_ALLOW: TEST_EGRESS_ALLOW,
    ...env,
  });
  const app = await startApp(config, createLogger(config.LOG_LEVEL, sink), options);
  return {
    app,
    url: app.url,
    database,
    logLines,
    async stop() {
      await toldIfSlow('the server to close', app.close(), logLines);
      await toldIfSlow('its database to be dropped', database.drop(), logLines);
    },
  };
}

/**
 * `work`, and a line on stderr (with the server's last log lines) if it takes longer than 20 s: a
 * test server's stop once outlasted a 60 s hook in CI and could not be reproduced alone; this says
 * which step it was the next time.
 */
async function toldIfSlow<T>(what: string, work: Promise<T>, logLines: readonly string[]): Promise<T> {
  const started = Date.now();
  const timer = setTimeout(() => {
    process.stderr.write(`[test server] still waiting for ${what} after ${Date.now() - started} ms; its last log lines:\n${logLines.slice(-30).join('')}\n`);
  }, 20_000);
  try {
    return await work;
  } finally {
    clearTimeout(timer);
  }
}
