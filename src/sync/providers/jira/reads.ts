/**
 * Jira's read endpoints: the enhanced JQL search (`GET /search/jql`, `nextPageToken` pages,
 * `isLast`), its approximate count, `/project/search` (`startAt` pages, `isLast`, `total`) and
 * `/users/search` (a bare array; `startAt` pages until an empty one).
 */

import { UpstreamRequestError } from '../provider.ts';
import type { JiraClient } from './client.ts';

export type JiraRecord = Record<string, unknown>;

/** Issues per search page with every field (Jira answers at most 100 such). */
export const ISSUE_PAGE = 100;
/** Ids per search page when only `id` is asked for (Jira's documented maximum). */
export const ID_PAGE = 5000;
export const PROJECT_PAGE = 50;
export const USER_PAGE = 50;

/** Every issue the account can see, oldest first (the search endpoint refuses unbounded JQL). */
export const ALL_ISSUES_JQL = 'created >= "1970/01/01 00:00" ORDER BY created ASC, key ASC';

export interface SearchPage {
  issues: JiraRecord[];
  /** null on the last page (Jira leaves the key out there). */
  nextPageToken: string | null;
}

interface SearchAnswer {
  issues?: unknown;
  nextPageToken?: unknown;
  isLast?: unknown;
}

export async function searchPage(client: JiraClient, jql: string, fields: string, maxResults: number, nextPageToken: string | null): Promise<SearchPage> {
  const query: Record<string, string> = { jql, fields, maxResults: String(maxResults) };
  if (nextPageToken) query.nextPageToken = nextPageToken;
  const { body } = await client.get<SearchAnswer>(client.url('search/jql', query));
  if (!body || !Array.isArray(body.issues)) throw new Error('Jira answered a JQL search without "issues"');
  const token = typeof body.nextPageToken === 'string' && body.nextPageToken !== '' && body.isLast !== true ? body.nextPageToken : null;
  return { issues: body.issues.filter((i): i is JiraRecord => i !== null && typeof i === 'object'), nextPageToken: token };
}

/** Every issue id the account can see: `fields=id` pages of up to 5000 (ceil(issues / 5000) requests). */
export async function allIssueIds(client: JiraClient): Promise<Set<string>> {
  const ids = new Set<string>();
  let token: string | null = null;
  do {
    const page: SearchPage = await searchPage(client, ALL_ISSUES_JQL, 'id', ID_PAGE, token);
    for (const issue of page.issues) if (issue.id !== undefined) ids.add(String(issue.id));
    token = page.nextPageToken;
  } while (token);
  return ids;
}

/** `POST /search/approximate-count` for backfill %, or null when the site does not answer it. */
export async function approximateCount(client: JiraClient, jql: string): Promise<number | null> {
  try {
    const { body } = await client.request<{ count?: unknown }>('POST', client.url('search/approximate-count'), { jql }, { readOnly: true });
    return typeof body?.count === 'number' ? body.count : null;
  } catch (error) {
    // Only a percentage: a site without the endpoint (or failing it) still backfills.
    if (error instanceof UpstreamRequestError) return null;
    throw error;
  }
}

/** The issue as GET /issue/{id} answers it (every field), or null when it is gone. */
export async function issueById(client: JiraClient, id: string): Promise<JiraRecord | null> {
  try {
    const { body } = await client.get<JiraRecord>(client.url(`issue/${encodeURIComponent(id)}`));
    if (!body || typeof body !== 'object' || body.id === undefined) throw new Error(`Jira answered GET issue/${id} without an issue`);
    return body;
  } catch (error) {
    if (error instanceof UpstreamRequestError && error.status === 404) return null;
    throw error;
  }
}

/** The project as `/project/search` lists it (`?id=`), or null when it is not listed (deleted, trashed or archived). */
export async function projectById(client: JiraClient, id: string): Promise<JiraRecord | null> {
  const { body } = await client.get<ProjectSearchAnswer>(client.url('project/search', { id, maxResults: '1' }));
  if (!body || !Array.isArray(body.values)) throw new Error('Jira answered project/search without "values"');
  const found = body.values.find((v): v is JiraRecord => v !== null && typeof v === 'object' && String((v as JiraRecord).id) === id);
  return found ?? null;
}

/** The user as `/users/search` lists it, read with `/user/bulk?accountId=`; null when Jira answers none. */
export async function userById(client: JiraClient, accountId: string): Promise<JiraRecord | null> {
  try {
    const { body } = await client.get<{ values?: unknown }>(client.url('user/bulk', { accountId, maxResults: '1' }));
    if (!body || !Array.isArray(body.values)) throw new Error('Jira answered user/bulk without "values"');
    const found = body.values.find((v): v is JiraRecord => v !== null && typeof v === 'object' && (v as JiraRecord).accountId === accountId);
    return found ?? null;
  } catch (error) {
    if (error instanceof UpstreamRequestError && error.status === 404) return null;
    throw error;
  }
}

export interface OffsetPage {
  items: JiraRecord[];
  /** startAt of the next page, null when the listing is complete. */
  next: number | null;
  total: number | null;
}

interface ProjectSearchAnswer {
  values?: unknown;
  isLast?: unknown;
  total?: unknown;
}

export async function projectPage(client: JiraClient, startAt: number): Promise<OffsetPage> {
  const { body } = await client.get<ProjectSearchAnswer>(client.url('project/search', { startAt: String(startAt), maxResults: String(PROJECT_PAGE) }));
  if (!body || !Array.isArray(body.values)) throw new Error('Jira answered project/search without "values"');
  const items = body.values.filter((v): v is JiraRecord => v !== null && typeof v === 'object');
  // Advanced by what was answered: a site that caps maxResults lower loses nothing.
  const next = body.isLast === true || items.length === 0 ? null : startAt + items.length;
  return { items, next, total: typeof body.total === 'number' ? body.total : null };
}

export async function userPage(client: JiraClient, startAt: number): Promise<OffsetPage> {
  const { body } = await client.get<unknown>(client.url('users/search', { startAt: String(startAt), maxResults: String(USER_PAGE) }));
  if (!Array.isArray(body)) throw new Error('Jira answered users/search without a list of users');
  const items = body.filter((v): v is JiraRecord => v !== null && typeof v === 'object');
  // Jira may answer fewer users than asked before the end (privacy filtering): only an empty page ends the listing.
  return { items, next: items.length === 0 ? null : startAt + items.length, total: null };
}

/** Every item of an offset listing (duplicates from overlapping pages dropped by `idOf`). */
export async function listAll(read: (startAt: number) => Promise<OffsetPage>, idOf: (item: JiraRecord) => string): Promise<JiraRecord[]> {
  const byId = new Map<string, JiraRecord>();
  let startAt: number | null = 0;
  while (startAt !== null) {
    const page: OffsetPage = await read(startAt);
    for (const item of page.items) byId.set(idOf(item), item);
    startAt = page.next;
  }
  return [...byId.values()];
}
