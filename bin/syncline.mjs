#!/usr/bin/env node
/**
 * The `syncline` command (package.json `bin`; docs/CLI.md). Runs the compiled CLI from dist/ when
 * the build is current (the same content hash `npm start` checks), else the sources through tsx,
 * so a fresh clone needs only `npm ci`. SYNCLINE_CLI_FROM_SOURCE=1 always runs the sources.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiledInputs = join(root, 'dist', 'src', 'cli', 'build-inputs.js');

async function compiledIsCurrent() {
  if (process.env.SYNCLINE_CLI_FROM_SOURCE === '1' || !existsSync(compiledInputs)) return false;
  const { isBuildCurrent } = await import(pathToFileURL(compiledInputs).href);
  return isBuildCurrent(root);
}

if (await compiledIsCurrent()) {
  await import(pathToFileURL(join(root, 'dist', 'src', 'cli', 'main.js')).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
}
