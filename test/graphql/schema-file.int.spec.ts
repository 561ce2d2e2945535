import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);

describe('schema.graphql', () => {
  it('is the schema the server runs (regenerate with `npm run schema:graphql`)', async () => {
    // A child process: the schema is built by the same modules the server loads, one graphql instance.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/schema/write-schema-file.ts', '--stdout'], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    const published = await readFile(new URL('schema.graphql', root), 'utf8');
    expect(published, 'schema.graphql is stale: run `npm run schema:graphql` and commit it').toBe(stdout);
    expect(published).toContain('type Query');
  });
});
