/**
 * `npm run rebuild-projections`: empties every read model and replays the event log into it.
 * Run it with the server stopped (embedded mode) or at any time on PostgreSQL: the rebuild is one
 * transaction, so readers see the old models until it commits.
 */
import pg from 'pg';
import { openDatabase } from '../app.ts';
import { loadConfig } from '../config.ts';
import { migrate } from '../db/migrate.ts';
import { readModelProjections } from '../projections/index.ts';
import { rebuildReadModels } from '../projections/rebuild.ts';

const config = loadConfig();
const database = await openDatabase(config);
const pool = new pg.Pool({ connectionString: database.connectionString, max: 2 });
try {
  await migrate(pool);
  const started = performance.now();
  const { events } = await rebuildReadModels(pool, readModelProjections);
  process.stdout.write(`rebuilt ${readModelProjections.length} read models from ${events} events in ${Math.round(performance.now() - started)} ms\n`);
} finally {
  await pool.end();
  await database.embedded?.close();
}
