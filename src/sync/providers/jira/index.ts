/** Jira Cloud (REST v3): issues through JQL search, projects and users through their listings. */

import type { ChangesPage, ListPage, MutationItem, MutationKind, Provider, ProviderSession, UpstreamObject } from '../provider.ts';
import { UpstreamRequestError } from '../provider.ts';
import { detectingDeletes } from '../request-purpose.ts';
import { JiraClient } from './client.ts';
import { jiraCollection, jiraCollections, type JiraCollectionId } from './collections.ts';
import { advanceUpdates, decodeIssueCursor, encodeIssueCursor, isFresh, RECONCILE_EVERY_POLLS, type IssueCursor, type Listed } from './issue-cursor.ts';
import { decodeListingCursor, diffListing, encodeListingCursor, fingerprint, RELIST_EVERY_POLLS } from './listing-cursor.ts';
import { allIssueIds, ALL_ISSUES_JQL, approximateCount, ISSUE_PAGE, issueById, listAll, projectById, projectPage, searchPage, userById, userPage, type JiraRecord, type OffsetPage } from './reads.ts';
import { profileTimeZone, resolveJqlZone } from './jql-zone.ts';
import { nearLimitPauseMs } from './near-limit.ts';
import { jiraOAuth } from './oauth.ts';
import { floorMinute, jqlMinute, parseJiraTime } from './time.ts';
import { jiraWebhooks } from './webhooks.ts';

/** A poll stops after this many new issues (the rest is the next poll's, `hasMore`). */
const MAX_CHANGES_PER_POLL = 1_000;

const fieldsOf = (issue: JiraRecord): JiraRecord => (issue.fields && typeof issue.fields === 'object' ? (issue.fields as JiraRecord) : {});
const dateOf = (value: unknown): Date | null => {
  const ms = parseJiraTime(value);
  return ms === null ? null : new Date(ms);
};

function issueObject(data: JiraRecord, deleted = false): UpstreamObject {
  const fields = fieldsOf(data);
  return { upstreamId: String(data.id), data, upstreamCreatedAt: dateOf(fields.created), upstreamUpdatedAt: dateOf(fields.updated), deleted };
}

/** A gone object the provider can only name: the engine keeps the record's last stored data. */
function idOnlyTombstone(idKey: 'id' | 'accountId', id: string): UpstreamObject {
  return { upstreamId: id, data: { [idKey]: id }, upstreamCreatedAt: null, upstreamUpdatedAt: null, deleted: true, partialTombstone: true };
}

interface Listing {
  idKey: 'id' | 'accountId';
  read(client: JiraClient, startAt: number): Promise<OffsetPage>;
}

const LISTINGS: Record<Exclude<JiraCollectionId, 'jira:issue'>, Listing> = {
  'jira:project': { idKey: 'id', read: projectPage },
  'jira:user': { idKey: 'accountId', read: userPage },
};

class JiraSession implements ProviderSession {
  /** The account's profile time zone, in which Jira reads JQL dates (read once per session). */
  private timeZone: Promise<string> | null = null;
  /** Polls per collection since its last full listing (issue ids, projects, users). */
  private readonly polls = new Map<JiraCollectionId, number>();

  constructor(private readonly client: JiraClient) {}

  async listPage(collectionId: string, cursor: string | null): Promise<ListPage> {
    const collection = jiraCollection(collectionId);
    if (collection === 'jira:issue') {
      const page = await searchPage(this.client, ALL_ISSUES_JQL, '*all', ISSUE_PAGE, cursor);
      return { objects: page.issues.map((i) => issueObject(i)), nextCursor: page.nextPageToken, totalCount: cursor === null ? await approximateCount(this.client, ALL_ISSUES_JQL) : null };
    }
    const listing = LISTINGS[collection];
    const startAt = cursor === null ? 0 : Number(cursor);
    if (!Number.isInteger(startAt) || startAt < 0) throw new Error(`malformed Jira listing cursor ${cursor}`);
    const page = await listing.read(this.client, startAt);
    return { objects: page.items.map((item) => this.listedObject(listing, item)), nextCursor: page.next === null ? null : String(page.next), totalCount: page.total };
  }

  async initialChangesCursor(collectionId: string): Promise<string> {
    const collection = jiraCollection(collectionId);
    if (collection === 'jira:issue') {
      const now = await this.jiraNow();
      const known = await allIssueIds(this.client);
      // The zone the polls write JQL dates in, settled now: the first poll after the backfill is then one search.
      await this.userTimeZone();
      return encodeIssueCursor({ u: now, seen: {}, known });
    }
    const listing = LISTINGS[collection];
    const items = await listAll((startAt) => listing.read(this.client, startAt), (item) => String(item[listing.idKey]));
    return encodeListingCursor(Object.fromEntries(items.map((item) => [String(item[listing.idKey]), fingerprint(item)])));
  }

  async changesSince(collectionId: string, rawCursor: string): Promise<ChangesPage> {
    const collection = jiraCollection(collectionId);
    if (collection === 'jira:issue') return this.issueChanges(decodeIssueCursor(rawCursor));
    const listing = LISTINGS[collection];
    if (!this.due(collection, RELIST_EVERY_POLLS)) return { objects: [], cursor: rawCursor, hasMore: false };
    const items = await listAll((startAt) => listing.read(this.client, startAt), (item) => String(item[listing.idKey]));
    const diff = diffListing(
      decodeListingCursor(rawCursor),
      items.map((item) => ({ id: String(item[listing.idKey]), item, fingerprint: fingerprint(item) })),
    );
    const objects = [...diff.changed.map((item) => this.listedObject(listing, item)), ...diff.gone.map((id) => idOnlyTombstone(listing.idKey, id))];
    return { objects, cursor: encodeListingCursor(diff.next), hasMore: false };
  }

  async mutate(collectionId: string, kind: MutationKind, item: MutationItem): Promise<UpstreamObject> {
    if (jiraCollection(collectionId) !== 'jira:issue') throw new UpstreamRequestError(`${collectionId} is read-only`, 400, 'mutation_not_supported');
    const needId = (): string => {
      if (!item.upstreamId || !/^\d+$/.test(item.upstreamId)) throw new UpstreamRequestError(`${kind} needs the issue's numeric id`, 400, 'upstream_id_required');
      return item.upstreamId;
    };
    switch (kind) {
      case 'create': {
        const answer = await this.client.request<{ id?: unknown }>('POST', this.client.url('issue'), writeBody(item));
        const id = answer.body?.id;
        if (id === undefined) throw new Error('Jira answered an issue create without "id"');
        return this.reread(String(id));
      }
      case 'update': {
        const id = needId();
        await this.client.request<unknown>('PUT', this.client.url(`issue/${id}`), writeBody(item));
        return this.reread(id);
      }
      case 'delete': {
        const id = needId();
        // Jira answers a delete with 204 and no body: the issue is read first for the tombstone.
        const last = await issueById(this.client, id);
        if (last === null) return idOnlyTombstone('id', id);
        try {
          await this.client.request<unknown>('DELETE', this.client.url(`issue/${id}`));
        } catch (error) {
          if (!(error instanceof UpstreamRequestError && error.status === 404)) throw error;
        }
        return issueObject(last, true);
      }
    }
  }

  /**
   * One object read by id for a webhook hint, in the shape its listing answers: an issue as
   * `GET /issue/{id}` (every field, as the search), a project through `/project/search?id=` and a
   * user through `/user/bulk` (`GET /project/{id}` and `GET /user` answer more than the listings,
   * which would record a change that is none).
   */
  async fetchObject(collectionId: string, upstreamId: string): Promise<UpstreamObject | null> {
    const collection = jiraCollection(collectionId);
    if (collection === 'jira:issue') {
      const issue = await issueById(this.client, upstreamId);
      return issue === null ? null : issueObject(issue);
    }
    const listing = LISTINGS[collection];
    const item = collection === 'jira:project' ? await projectById(this.client, upstreamId) : await userById(this.client, upstreamId);
    return item === null ? null : this.listedObject(listing, item);
  }

  /** Counts a poll of `collection`: true on every `every`-th one. */
  private due(collection: JiraCollectionId, every: number): boolean {
    const polls = (this.polls.get(collection) ?? 0) + 1;
    this.polls.set(collection, polls >= every ? 0 : polls);
    return polls >= every;
  }

  private async reread(id: string): Promise<UpstreamObject> {
    const issue = await issueById(this.client, id);
    if (issue === null) throw new UpstreamRequestError(`issue ${id} was gone right after the write`, 404, 'not_found');
    return issueObject(issue);
  }

  private listedObject(listing: Listing, item: JiraRecord): UpstreamObject {
    return { upstreamId: String(item[listing.idKey]), data: item, upstreamCreatedAt: null, upstreamUpdatedAt: null, deleted: false };
  }

  private async issueChanges(cursor: IssueCursor): Promise<ChangesPage> {
    const { listed, hasMore } = await this.updatedSince(cursor);
    const updates = advanceUpdates(cursor, listed);
    const objects = new Map<string, UpstreamObject>();
    for (const l of updates.fresh) objects.set(l.id, issueObject(l.item));
    let known = cursor.known;
    for (const l of updates.fresh) known.add(l.id);
    if (!hasMore && this.due('jira:issue', RECONCILE_EVERY_POLLS)) {
      // Deletes after updates: an issue listed and then deleted ends as a tombstone.
      const current = await detectingDeletes(() => allIssueIds(this.client));
      for (const id of known) {
        if (current.has(id)) continue;
        const listedNow = objects.get(id);
        objects.delete(id);
        objects.set(id, listedNow ? { ...listedNow, deleted: true } : idOnlyTombstone('id', id));
      }
      known = current;
    }
    const next: IssueCursor = { u: updates.u, seen: updates.seen, known };
    return { objects: [...objects.values()], cursor: encodeIssueCursor(next), hasMore };
  }

  /**
   * Issues updated since the cursor's minute, following nextPageToken. When Jira lists them in
   * `updated` order the read stops after MAX_CHANGES_PER_POLL new ones; in any other order every
   * page is read, since the newest may come last.
   */
  private async updatedSince(cursor: IssueCursor): Promise<{ listed: Listed<JiraRecord>[]; hasMore: boolean }> {
    const jql = `updated >= "${jqlMinute(floorMinute(cursor.u), await this.userTimeZone())}" ORDER BY updated ASC`;
    const byId = new Map<string, Listed<JiraRecord>>();
    let token: string | null = null;
    let previous = -Infinity;
    let ordered = true;
    let fresh = 0;
    do {
      const page: Awaited<ReturnType<typeof searchPage>> = await searchPage(this.client, jql, '*all', ISSUE_PAGE, token);
      for (const issue of page.issues) {
        const at = parseJiraTime(fieldsOf(issue).updated) ?? cursor.u;
        const listed: Listed<JiraRecord> = { id: String(issue.id), at, item: issue };
        if (at < previous) ordered = false;
        previous = Math.max(previous, at);
        if (isFresh(cursor, listed)) fresh++;
        const known = byId.get(listed.id);
        if (!known || known.at <= at) byId.set(listed.id, listed);
      }
      token = page.nextPageToken;
      if (token && ordered && fresh >= MAX_CHANGES_PER_POLL) return { listed: [...byId.values()], hasMore: true };
    } while (token);
    return { listed: [...byId.values()], hasMore: false };
  }

  /** The zone Jira reads JQL dates in (jql-zone.ts): kept for the session once checked. */
  private userTimeZone(): Promise<string> {
    this.timeZone ??= (async () => {
      const { timeZone: profile } = await profileTimeZone(this.client);
      const zone = await resolveJqlZone(this.client, profile);
      if (!zone.checked) this.timeZone = null;
      return zone.timeZone;
    })().catch((error: unknown) => {
      this.timeZone = null;
      throw error;
    });
    return this.timeZone;
  }

  /** Jira's clock: the `Date` of a /myself answer (ours when the site gives none). */
  private async jiraNow(): Promise<number> {
    return (await profileTimeZone(this.client)).dateMs ?? Date.now();
  }
}

/** A write's body: Jira's `{fields, update}` as the item's data carries it. */
function writeBody(item: MutationItem): Record<string, unknown> {
  const { fields, update } = item.data;
  const isObject = (v: unknown): boolean => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(fields) && !isObject(update)) throw new UpstreamRequestError('a Jira issue write takes data {"fields": {…}} (and optionally "update")', 400, 'fields_required');
  return item.data;
}

export const jiraProvider: Provider = {
  name: 'jira',
  displayName: 'Jira',
  credentialKinds: ['jira', 'jira_oauth2'],
  collections: jiraCollections,
  // Jira Cloud's limits are cost-based and unpublished; ~10 requests/s is commonly safe: stay at half.
  defaultRateLimit: { allowedRequests: 5, intervalSeconds: 1, maxConcurrentRequests: 3 },
  quotaPauseMs: nearLimitPauseMs,
  oauth: jiraOAuth,
  webhooks: jiraWebhooks,
  connect: (context) => new JiraSession(JiraClient.connect(context)),
};
