/**
 * The time zone Jira reads the provider's JQL dates in. Jira reads them in the searching user's
 * profile zone (`GET /myself` `timeZone`); a site (or a stand-in for one) that reads them in UTC
 * instead would make a cursor minute written in the profile zone hours off — too late for a zone
 * east of UTC, which loses changes. So once per session the provider checks: it takes the most
 * recently updated issue and asks, per candidate zone (the profile's, then UTC), for the first
 * issue updated since that issue's minute; the zone whose answer starts in that very minute is
 * the one Jira uses. With no issue to check against, the profile's zone is used (and checked
 * again next time).
 */

import { UpstreamRequestError } from '../provider.ts';
import type { JiraClient } from './client.ts';
import { searchPage } from './reads.ts';
import { floorMinute, jqlMinute, parseJiraTime } from './time.ts';

/** The profile's zone, or null when the site does not say (no `/myself`, or no `timeZone`). */
export async function profileTimeZone(client: JiraClient): Promise<{ timeZone: string | null; dateMs: number | null }> {
  try {
    const answer = await client.get<{ timeZone?: unknown }>(client.url('myself'));
    const date = Date.parse(answer.headers.get('date') ?? '');
    return { timeZone: typeof answer.body?.timeZone === 'string' && answer.body.timeZone ? answer.body.timeZone : null, dateMs: Number.isFinite(date) ? date : null };
  } catch (error) {
    if (error instanceof UpstreamRequestError && error.status >= 400 && error.status < 500) return { timeZone: null, dateMs: null };
    throw error;
  }
}

const updatedOf = (issue: Record<string, unknown> | undefined): number | null =>
  issue && issue.fields && typeof issue.fields === 'object' ? parseJiraTime((issue.fields as Record<string, unknown>).updated) : null;

/** The zone JQL dates are read in, and whether it was checked against the site's issues. */
export async function resolveJqlZone(client: JiraClient, profile: string | null): Promise<{ timeZone: string; checked: boolean }> {
  try {
    return await checkZones(client, profile);
  } catch (error) {
    // A site that refuses the check's searches: the profile's zone, as Jira documents it.
    if (error instanceof UpstreamRequestError && error.status >= 400 && error.status < 500) return { timeZone: profile ?? 'UTC', checked: true };
    throw error;
  }
}

async function checkZones(client: JiraClient, profile: string | null): Promise<{ timeZone: string; checked: boolean }> {
  const candidates = [...new Set([profile ?? 'UTC', 'UTC'])];
  if (candidates.length === 1) return { timeZone: candidates[0] as string, checked: true };
  const newest = await searchPage(client, 'created >= "1970/01/01 00:00" ORDER BY updated DESC', 'updated', 1, null);
  const t = updatedOf(newest.issues[0]);
  if (t === null) return { timeZone: candidates[0] as string, checked: false };
  const minute = floorMinute(t);
  for (const timeZone of candidates) {
    const first = await searchPage(client, `updated >= "${jqlMinute(minute, timeZone)}" ORDER BY updated ASC`, 'updated', 1, null);
    const at = updatedOf(first.issues[0]);
    if (at !== null && at >= minute && at <= Math.max(t, minute + 59_999)) return { timeZone, checked: true };
  }
  return { timeZone: candidates[0] as string, checked: false };
}
