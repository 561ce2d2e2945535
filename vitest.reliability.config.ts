import { defineConfig } from 'vitest/config';

/**
 * `npm run test:reliability`: the reliability suite (docs/RELIABILITY.md). Its files end in
 * `.reliability.ts` so that `npm test` does not run them. One file at a time: the crash and fault
 * parts measure timing-sensitive behaviour on a 2-core machine.
 */
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.reliability.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    reporters: ['verbose'],
  },
});
