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
      await app.close();
      await database.drop();
    },
  };
}
