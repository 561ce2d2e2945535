/**
 * `npm start`'s prestart: builds only when the build's inputs changed since the last build, so a
 * second start with nothing changed skips `prisma generate`, `tsc` and the console's bundle. The
 * stamp is a hash of the inputs' contents (not their times: a fresh clone or a `git checkout` of
 * the same commit is still current), written only after a build succeeded.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const INPUT_DIRECTORIES = ['src', 'web', 'prisma'];
const INPUT_FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'prisma.config.ts'];
/** Written by the build itself, or not part of what it reads. */
const SKIPPED = new Set(['node_modules', 'generated', 'dist']);
const STAMP = join(root, 'dist', '.build-inputs');
const OUTPUTS = [join(root, 'dist', 'src', 'main.js'), join(root, 'dist', 'console', 'index.html')];

function filesUnder(directory: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { withFileTypes: true })
    .filter((entry) => !SKIPPED.has(entry.name))
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(join(directory, entry.name)) : entry.isFile() ? [join(directory, entry.name)] : []));
}

export function buildInputsHash(): string {
  const files = [...INPUT_DIRECTORIES.flatMap((directory) => filesUnder(join(root, directory))), ...INPUT_FILES.map((file) => join(root, file)).filter((file) => existsSync(file))];
  const hash = createHash('sha256');
  for (const file of files.map((file) => relative(root, file)).sort()) {
    hash.update(file).update('\0').update(readFileSync(join(root, file))).update('\0');
  }
  return hash.digest('hex');
}

function isCurrent(inputs: string): boolean {
  return OUTPUTS.every((output) => existsSync(output)) && existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === inputs;
}

const inputs = buildInputsHash();
if (isCurrent(inputs)) {
  process.stdout.write('dist is current: not rebuilding (delete dist/.build-inputs to force a build)\n');
} else {
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  writeFileSync(STAMP, `${inputs}\n`);
}
