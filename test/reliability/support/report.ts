import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Where each part writes its figures (docs/RELIABILITY.md quotes them). */
export const RESULTS_DIR = process.env.RELIABILITY_RESULTS_DIR ?? path.join(tmpdir(), 'syncline-reliability');

/** Prints a part's figures and writes them to `$RELIABILITY_RESULTS_DIR/<part>.json`. */
export function reportFigures(part: string, figures: Record<string, unknown>): void {
  console.log(`[reliability:${part}] figures ${JSON.stringify(figures)}`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(path.join(RESULTS_DIR, `${part}.json`), `${JSON.stringify({ part, at: new Date().toISOString(), ...figures }, null, 2)}\n`);
}
