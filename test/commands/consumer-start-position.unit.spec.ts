import { describe, expect, it } from 'vitest';
import { resetInput, startPositionOf } from '../../src/commands/consumer-selection.ts';
import { AppError } from '../../src/errors.ts';

/** The error a caller sees: status, code and the field named. */
function refusal(run: () => unknown) {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return { status: error.status, code: error.code, paths: error.details.map((d) => d.path) };
    throw error;
  }
  throw new Error('accepted');
}

describe('startPositionOf: the start position a consumer input describes', () => {
  it('takes all and new without options', () => {
    expect(startPositionOf({ deliverPolicy: 'all' })).toEqual({ deliverPolicy: 'all' });
    expect(startPositionOf({ deliverPolicy: 'new', optStartTime: null, optStartIdx: undefined })).toEqual({ deliverPolicy: 'new' });
  });

  it('takes by_start_time with a time, stored in UTC with milliseconds', () => {
    expect(startPositionOf({ deliverPolicy: 'by_start_time', optStartTime: '2026-03-01T10:00:00+02:00' })).toEqual({
      deliverPolicy: 'by_start_time',
      optStartTime: '2026-03-01T08:00:00.000Z',
    });
  });

  it('takes by_start_idx with a position, as a string whatever the input gave', () => {
    expect(startPositionOf({ deliverPolicy: 'by_start_idx', optStartIdx: 42 })).toEqual({ deliverPolicy: 'by_start_idx', optStartIdx: '42' });
    expect(startPositionOf({ deliverPolicy: 'by_start_idx', optStartIdx: '9007199254740993' })).toEqual({ deliverPolicy: 'by_start_idx', optStartIdx: '9007199254740993' });
  });

  it('refuses a policy without the option it needs (422 invalid_start_position, naming the field)', () => {
    expect(refusal(() => startPositionOf({ deliverPolicy: 'by_start_time' }))).toEqual({ status: 422, code: 'invalid_start_position', paths: ['optStartTime'] });
    expect(refusal(() => startPositionOf({ deliverPolicy: 'by_start_idx', optStartIdx: null }))).toEqual({ status: 422, code: 'invalid_start_position', paths: ['optStartIdx'] });
  });

  it('refuses an option the policy does not take', () => {
    expect(refusal(() => startPositionOf({ deliverPolicy: 'all', optStartIdx: 5 }))).toEqual({ status: 422, code: 'invalid_start_position', paths: ['optStartIdx'] });
    expect(refusal(() => startPositionOf({ deliverPolicy: 'new', optStartTime: '2026-01-01T00:00:00Z' }))).toEqual({ status: 422, code: 'invalid_start_position', paths: ['optStartTime'] });
    expect(refusal(() => startPositionOf({ deliverPolicy: 'by_start_idx', optStartIdx: 5, optStartTime: '2026-01-01T00:00:00Z' }))).toMatchObject({ paths: ['optStartTime'] });
    expect(refusal(() => startPositionOf({ deliverPolicy: 'by_start_time', optStartTime: '2026-01-01T00:00:00Z', optStartIdx: 5 }))).toMatchObject({ paths: ['optStartIdx'] });
  });

  it('the reset input: malformed options and unknown policies fail the schema, before any position is looked at', () => {
    expect(resetInput.parse({})).toEqual({ deliverPolicy: 'all' });
    for (const bad of [
      { deliverPolicy: 'latest' },
      { deliverPolicy: 'by_start_time', optStartTime: 'yesterday' },
      { deliverPolicy: 'by_start_idx', optStartIdx: 0 },
      { deliverPolicy: 'by_start_idx', optStartIdx: '-1' },
      { deliverPolicy: 'by_start_idx', optStartIdx: 1.5 },
      { deliverPolicy: 'all', unknown: true },
    ]) {
      expect(resetInput.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});
