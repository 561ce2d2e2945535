import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensurePrivateDirectory } from '../../src/db/private-directory.ts';

describe('the data dir is for its owner only', () => {
  const created: string[] = [];
  afterAll(async () => {
    for (const dir of created) await rm(dir, { recursive: true, force: true });
  });
  const modeOf = async (dir: string) => (await stat(dir)).mode & 0o777;

  it('creates the directory and its missing parents 0700', async () => {
    const base = await mkdtemp(path.join(tmpdir(), 'syncline-private-'));
    created.push(base);
    await ensurePrivateDirectory(path.join(base, 'a', 'b'));
    expect(await modeOf(path.join(base, 'a'))).toBe(0o700);
    expect(await modeOf(path.join(base, 'a', 'b'))).toBe(0o700);
  });

  it('tightens an existing directory open to others, and leaves a private one alone', async () => {
    const base = await mkdtemp(path.join(tmpdir(), 'syncline-private-'));
    created.push(base);
    const open = path.join(base, 'open');
    await mkdir(open);
    await chmod(open, 0o755);
    await ensurePrivateDirectory(open);
    expect(await modeOf(open)).toBe(0o700);
    await ensurePrivateDirectory(open);
    expect(await modeOf(open)).toBe(0o700);
  });
});
