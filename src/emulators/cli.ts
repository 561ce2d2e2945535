/**
 * Runs a provider API emulator from the command line:
 *
 *   syncline emulate <provider> --objects 10000 [--port P] [--api-key KEY]
 *     [--rate-limit 25] [--mutate-every 2000 --mutate-count 5] [--fault-429 0.05 --fault-500 0.05]
 *     [--host 127.0.0.1] [--seed 42]
 *
 * (`npm run emulate -- <provider> …` runs the same; `syncline emulate` starts this file as its
 * own process: docs/CLI.md.)
 */

import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { egressPolicy } from '../net/egress-policy.ts';
import { emulators } from './registry.ts';

const PROVIDERS = emulators.map((e) => e.name);

const USAGE = `usage: syncline emulate <provider> [options]
       npm run emulate -- <provider> [options]

providers: ${emulators.map((e) => `${e.name} (port ${e.defaultPort})`).join(', ')}

options:
  --objects N          seed about N objects per collection (Stripe: N customers plus
                       N/10, at least 1, of each other collection) (default 0)
  --port P             port to listen on (default: the provider's above; 0 = any free port)
  --host H             address to bind (default 127.0.0.1)
  --api-key KEY        the key / access token clients must send (default: the emulator's)
  --rate-limit R       allow R requests per second, 429 beyond (default: no limit)
  --mutate-every MS    apply random mutations every MS milliseconds
  --mutate-count K     mutations per tick (default 5)
  --fault-429 P        probability of a random 429 per request (0..1)
  --fault-500 P        probability of a random 500 per request (0..1)
  --seed S             random seed for reproducible data
  --webhook-url URL    also send the provider's webhooks for every change to URL
  --webhook-secret S   the secret those webhooks are signed with (default: the emulator's)
  --log-level L        pino level (default info)
  -h, --help           show this help`;

class UsageError extends Error {}

function number(name: string, raw: string | undefined, check: (n: number) => boolean, expectation: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} must be ${expectation}, got "${raw}"`);
  return n;
}

const isInt = (n: number): boolean => Number.isInteger(n) && n >= 0;
const isProbability = (n: number): boolean => n >= 0 && n <= 1;

function webhookUrl(raw: string): string {
  if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol)) throw new UsageError(`--webhook-url must be an http(s) URL, got "${raw}"`);
  return raw;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      objects: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'api-key': { type: 'string' },
      'rate-limit': { type: 'string' },
      'mutate-every': { type: 'string' },
      'mutate-count': { type: 'string' },
      'fault-429': { type: 'string' },
      'fault-500': { type: 'string' },
      seed: { type: 'string' },
      'webhook-url': { type: 'string' },
      'webhook-secret': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const provider = positionals[0];
  if (!provider) throw new UsageError('missing provider name');
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const descriptor = emulators.find((e) => e.name === provider);
  if (!descriptor) throw new UsageError(`unknown provider "${provider}" (available: ${PROVIDERS.join(', ')})`);

  const objects = number('objects', values.objects, isInt, 'a non-negative integer') ?? 0;
  const port = number('port', values.port, (n) => isInt(n) && n <= 65_535, 'a port number') ?? descriptor.defaultPort;
  const rateLimit = number('rate-limit', values['rate-limit'], (n) => n > 0, 'a positive number');
  const mutateEvery = number('mutate-every', values['mutate-every'], (n) => n > 0, 'a positive number of milliseconds');
  const mutateCount = number('mutate-count', values['mutate-count'], (n) => isInt(n) && n > 0, 'a positive integer') ?? 5;
  const rate429 = number('fault-429', values['fault-429'], isProbability, 'a probability between 0 and 1');
  const rate500 = number('fault-500', values['fault-500'], isProbability, 'a probability between 0 and 1');
  const randomSeed = number('seed', values.seed, isInt, 'a non-negative integer');
  if (values['mutate-count'] !== undefined && mutateEvery === undefined) throw new UsageError('--mutate-count needs --mutate-every');
  const apiKey = values['api-key'];
  if (apiKey !== undefined && apiKey.trim() === '') throw new UsageError('--api-key must not be empty');

  // Logs go to stderr: stdout carries only the lines below, for people and scripts to copy.
  const logger = pino({ level: values['log-level'] ?? 'info', base: { service: `${provider}-emulator` } }, pino.destination(2));
  const started = performance.now();
  const emulator = await descriptor.start({
    host: values.host ?? '127.0.0.1',
    port,
    ...(apiKey === undefined ? {} : { apiKey }),
    objects,
    rateLimit: rateLimit === undefined ? null : { requests: rateLimit, windowMs: 1000 },
    faults: { ...(rate429 === undefined ? {} : { rate429 }), ...(rate500 === undefined ? {} : { rate500 }) },
    ...(randomSeed === undefined ? {} : { randomSeed }),
    ...(values['webhook-url'] === undefined ? {} : { webhookUrl: webhookUrl(values['webhook-url']) }),
    ...(values['webhook-secret'] === undefined ? {} : { webhookSecret: values['webhook-secret'] }),
    logger,
  });
  if (mutateEvery !== undefined) emulator.startRandomMutations({ everyMs: mutateEvery, perTick: mutateCount });

  logger.info({ objects, ms: Math.round(performance.now() - started) }, 'seeded');
  for (const line of emulator.instructions()) console.log(line);
  const hint = egressHint(values.host ?? '127.0.0.1');
  if (hint) console.log(hint);

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, `stopping the ${provider} emulator`);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await emulator.close();
  return 0;
}

/** The emulator listens where a server's egress policy refuses by default (docs/EGRESS.md): say how to allow it. */
function egressHint(host: string): string | null {
  const reached = host === '0.0.0.0' || host === '::' || host === 'localhost' ? '127.0.0.1' : host;
  if (egressPolicy({ SYNCLINE_EGRESS_ALLOW: '' }).refusal(reached) === null) return null;
  const allow = reached.startsWith('127.') || reached === '::1' ? '127.0.0.0/8,::1/128,localhost' : reached;
  return `note: start the Syncline server with SYNCLINE_EGRESS_ALLOW=${allow} to let it reach this emulator (docs/EGRESS.md)`;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      console.error(`error: ${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
      console.error(`error: ${error.message} (choose another --port, or --port 0 for any free port)`);
    } else {
      console.error(error);
    }
    process.exitCode = 1;
  },
);
