import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runNode } from '../child-process.ts';
import { packageRoot } from '../package-root.ts';

/** The emulator's own usage (src/emulators/cli.ts) answers `syncline emulate --help`. */
export const usage = `usage: syncline emulate <provider> [options]

Runs a provider API emulator (Stripe, HubSpot, Salesforce, Shopify, GitHub, Jira, Zendesk) on
loopback until SIGINT or SIGTERM. \`syncline emulate --help\` lists the providers and options.`;

/**
 * The server's code never imports an emulator (.dependency-cruiser.cjs), the CLI included: the
 * emulator runs as its own process, compiled when the CLI runs compiled, else through tsx.
 */
function emulatorCommand(): string[] {
  const root = packageRoot();
  if (import.meta.url.endsWith('.js')) return [join(root, 'dist', 'src', 'emulators', 'cli.js')];
  const tsx = pathToFileURL(createRequire(join(root, 'package.json')).resolve('tsx')).href;
  return ['--import', tsx, join(root, 'src', 'emulators', 'cli.ts')];
}

export async function run(args: string[]): Promise<number> {
  return runNode([...emulatorCommand(), ...args]);
}
