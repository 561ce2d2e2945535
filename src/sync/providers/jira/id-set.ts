/**
 * A set of issue ids small enough for a changes cursor: Jira's issue ids are ascending integers
 * (site-wide), so a site's ids are mostly runs; `10001-10150,10152` holds 151 ids. Ids that are not
 * integers (never seen from Jira) are kept as they are.
 */

export interface EncodedIdSet {
  /** Runs of integer ids: `a-b` or `a`, comma-separated, ascending. */
  runs: string;
  /** Ids that are not integers. */
  other: string[];
}

export function encodeIds(ids: Iterable<string>): EncodedIdSet {
  const numbers: number[] = [];
  const other: string[] = [];
  for (const id of ids) {
    if (/^\d{1,15}$/.test(id)) numbers.push(Number(id));
    else other.push(id);
  }
  numbers.sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < numbers.length; ) {
    const start = numbers[i] as number;
    let end = start;
    while (i + 1 < numbers.length && (numbers[i + 1] as number) <= end + 1) end = numbers[++i] as number;
    i++;
    runs.push(start === end ? String(start) : `${start}-${end}`);
  }
  return { runs: runs.join(','), other: [...new Set(other)].sort() };
}

export function decodeIds(encoded: EncodedIdSet): Set<string> {
  const ids = new Set<string>(encoded.other);
  for (const run of encoded.runs.split(',')) {
    if (run === '') continue;
    const match = /^(\d+)(?:-(\d+))?$/.exec(run);
    if (!match) throw new Error(`malformed id run "${run}" in a Jira changes cursor`);
    const start = Number(match[1]);
    const end = match[2] === undefined ? start : Number(match[2]);
    for (let id = start; id <= end; id++) ids.add(String(id));
  }
  return ids;
}
