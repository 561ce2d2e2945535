import { Random } from '../../../src/emulators/stripe/random.ts';

/** The emulator's seeded PRNG (mulberry32), keeping the seed: every random choice of a run follows from its printed seed. */
export class Prng extends Random {
  constructor(readonly seed: number) {
    super(seed);
  }
}

/**
 * The seed of a part of the suite: `RELIABILITY_SEED` when set (to replay a run), else `fallback`
 * (a fixed seed for the fuzzer, a fresh one for the timing-driven parts). Always printed.
 */
export function suiteSeed(part: string, fallback: number): number {
  const fromEnv = process.env.RELIABILITY_SEED;
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : fallback;
  if (!Number.isSafeInteger(seed)) throw new Error(`RELIABILITY_SEED must be an integer, got ${fromEnv}`);
  console.log(`[reliability:${part}] seed ${seed} (replay with RELIABILITY_SEED=${seed})`);
  return seed;
}
