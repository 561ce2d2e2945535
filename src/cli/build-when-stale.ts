/**
 * `npm start`'s prestart: builds only when the build's inputs changed since the last build, so a
 * second start with nothing changed skips `prisma generate`, `tsc` and the console's bundle
 * (build-inputs.ts says how "changed" is decided).
 */
import { buildWhenStale } from './build-inputs.ts';

process.exitCode = buildWhenStale();
