/**
 * `npm run schema:graphql`: writes the running schema to schema.graphql (checked in; a test
 * compares). `--stdout` prints it instead.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from './index.ts';

// Sorted, so that the file changes only when the schema does.
const text = `${printSchema(lexicographicSortSchema(schema))}\n`;
if (process.argv.includes('--stdout')) {
  process.stdout.write(text);
} else {
  const target = fileURLToPath(new URL('../../schema.graphql', import.meta.url));
  writeFileSync(target, text);
  process.stdout.write(`wrote ${target}\n`);
}
