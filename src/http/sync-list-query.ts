import { BadRequestError, type ErrorDetail } from '../errors.ts';
import { parseSyncFilter, type SyncFilter, type SyncFilterInput } from '../queries/sync-filter.ts';

/*
 * The filters of `GET /v1/syncs` in its query string: `external_id=`, `provider=` and
 * `metadata.<key>=<value>` (one parameter per key). Other parameters are left to the listing
 * (`limit`, `cursor`, `account_id`) or ignored, as before filters existed; but a parameter that
 * looks like a metadata filter written another way is refused rather than ignored, since ignoring
 * it would answer every sync of the account to a caller who meant to find one.
 */

const METADATA_PREFIX = 'metadata.';
const METADATA_SPELLING = 'filter by metadata as metadata.<key>=<value>';

export function syncFilterFromQuery(query: URLSearchParams): SyncFilter {
  const problems: ErrorDetail[] = [];
  const input: SyncFilterInput & { metadata: { key: string; value: string }[] } = { metadata: [] };
  for (const name of new Set(query.keys())) {
    const values = query.getAll(name);
    const filter = name === 'external_id' || name === 'provider' || name.startsWith(METADATA_PREFIX);
    if (filter && values.length > 1) problems.push({ path: name, message: 'given more than once' });
    if (name === 'external_id') input.externalId = values[0];
    else if (name === 'provider') input.provider = values[0];
    else if (name.startsWith(METADATA_PREFIX)) input.metadata.push({ key: name.slice(METADATA_PREFIX.length), value: values[0] ?? '' });
    else if (name === 'metadata' || name.startsWith('metadata[')) problems.push({ path: name, message: METADATA_SPELLING });
  }
  if (problems.length > 0) throw new BadRequestError('invalid_filter', 'invalid filter', problems);
  const parameterOf = (path: string) => {
    const metadata = /^metadata\.(\d+)(\.|$)/.exec(path);
    if (metadata) return `${METADATA_PREFIX}${input.metadata[Number(metadata[1])]?.key ?? ''}`;
    return path === 'externalId' ? 'external_id' : path;
  };
  return parseSyncFilter(input, parameterOf);
}
