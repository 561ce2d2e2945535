import { z } from 'zod';

/**
 * A sync's `external_id`: the caller's own id for it (a tenant's id), unique per account. Compared
 * exactly (case and all) after trimming; control characters are refused, so that what a caller
 * stores is what it can send back in a query string.
 */
export const externalId = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .regex(/^[^\x00-\x1f\x7f-\x9f]*$/, 'no control characters')
  .meta({ description: "the caller's own id for the sync (a tenant's id), unique per account: 1–255 characters, trimmed, no control characters" });
