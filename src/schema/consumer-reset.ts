import { builder } from './builder.ts';

/**
 * Where a consumer of any kind starts again (`reset…Consumer`; DESIGN.md §7b): `deliverPolicy`
 * all | new | by_start_time (with `optStartTime`, ISO 8601) | by_start_idx (with `optStartIdx`, a
 * stream position). The commands check them (`resetInput`, src/commands/consumer-selection.ts).
 */
export const ConsumerResetInput = builder.inputType('ConsumerResetInput', {
  fields: (t) => ({
    deliverPolicy: t.string({ required: true }),
    optStartTime: t.string(),
    optStartIdx: t.string(),
  }),
});
