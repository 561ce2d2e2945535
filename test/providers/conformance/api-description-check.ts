/**
 * The conformance suite's check against the provider's own API description (issue 25): the
 * emulator records every exchange while the suite runs, then each request the provider sent and
 * each answer the emulator gave is checked against the description. The suite prints the
 * per-provider counts and fails on a violation that no allow-list entry covers.
 */

import { afterAll, beforeAll } from 'vitest';
import type { ExchangeRecording } from '../../../src/emulators/kit/http-emulator.ts';
import type { ProviderEmulator } from '../../../src/emulators/kit/provider-emulator.ts';
import type { ApiDescription } from '../../support/api-description/checker.ts';
import { checkGraphqlExchanges, type GraphqlDescription } from '../../support/api-description/graphql-checker.ts';
import { checkExchanges, formatReport, violationCount, type ApiDescriptionReport } from '../../support/api-description/report.ts';

/** The descriptions are large: compiling their validators the first time takes a while. */
const CHECK_TIMEOUT_MS = 180_000;

/** Call inside the suite's `describe`, after the hook that starts the emulator. */
export function checkAgainstApiDescription(label: string, description: ApiDescription | undefined, emulator: () => ProviderEmulator | undefined): void {
  if (description) checkRecorded(label, emulator, (exchanges, dropped) => checkExchanges(description, exchanges, dropped));
}

/** The same for a GraphQL API (Shopify's Admin API): documents validated, answers type-checked against the schema. */
export function checkAgainstGraphqlSchema(label: string, description: GraphqlDescription | undefined, emulator: () => ProviderEmulator | undefined): void {
  if (description) checkRecorded(label, emulator, (exchanges, dropped) => checkGraphqlExchanges(description, exchanges, dropped));
}

function checkRecorded(label: string, emulator: () => ProviderEmulator | undefined, check: (exchanges: ExchangeRecording['exchanges'], dropped: number) => ApiDescriptionReport): void {
  let recording: ExchangeRecording | undefined;
  beforeAll(() => {
    recording = emulator()?.recordExchanges();
  });
  afterAll(() => {
    if (!recording) return;
    const report = check(recording.exchanges, recording.dropped);
    console.log(formatReport(label, report));
    const violations = violationCount(report);
    if (violations > 0) throw new Error(`${label}: ${violations} exchanges disagree with the provider's API description: ${[...report.violations.keys()].slice(0, 5).join(' | ')}`);
  }, CHECK_TIMEOUT_MS);
}
