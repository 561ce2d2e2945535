/**
 * Whether `dist/` was built from the files as they are now. The stamp is a hash of the build's
 * inputs' contents (not their times: a fresh clone or a `git checkout` of the same commit is still
 * current), written only after a build succeeded. `npm start`'s prestart (build-when-stale.ts),
 * `syncline start` and the `syncline` launcher (bin/syncline.mjs, which runs the compiled copy of
 * this module) all ask here.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { packageRoot } from './package-root.ts';

const INPUT_DIRECTORIES = ['src', 'web', 'prisma'];
const INPUT_FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'prisma.config.ts'];
/** Written by the build itself, or not part of what it reads. */
const SKIPPED = new Set(['node_modules', 'generated', 'dist']);
const STAMP = join('dist', '.build-inputs');
const OUTPUTS = [join('dist', 'src', 'main.js'), join('dist', 'src', 'cli', 'main.js'), join('dist', 'console', 'index.html')];

function filesUnder(directory: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { withFileTypes: true })
    .filter((entry) => !SKIPPED.has(entry.name))
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(join(directory, entry.name)) : entry.isFile() ? [join(directory, entry.name)] : []));
}

export function buildInputsHash(root = packageRoot()): string {
  const files = [...INPUT_DIRECTORIES.flatMap((directory) => filesUnder(join(root, directory))), ...INPUT_FILES.map((file) => join(root, file)).filter((file) => existsSync(file))];
  const hash = createHash('sha256');
  for (const file of files.map((file) => relative(root, file)).sort()) {
    hash.update(file).update('\0').update(readFileSync(join(root, file))).update('\0');
  }
  return hash.digest('hex');
}

export function isBuildCurrent(root = packageRoot(), inputs = buildInputsHash(root)): boolean {
  const stamp = join(root, STAMP);
  return OUTPUTS.every((output) => existsSync(join(root, output))) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === inputs;
}

/** Runs `npm run build` when dist is not current; returns the build's exit status (0 when none was needed). */
export function buildWhenStale(root = packageRoot()): number {
  const inputs = buildInputsHash(root);
  if (isBuildCurrent(root, inputs)) {
    process.stdout.write('dist is current: not rebuilding (delete dist/.build-inputs to force a build)\n');
    return 0;
  }
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) return build.status ?? 1;
  writeFileSync(join(root, STAMP), `${inputs}\n`);
  return 0;
}
