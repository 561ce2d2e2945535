/**
 * What Jira Cloud posts to a webhook: the body of each event (`{timestamp, webhookEvent, user,
 * issue, changelog}`, `{…, project}`, `{…, user}`), the headers of a delivery
 * (`X-Atlassian-Webhook-Identifier`, `-Flow`, `-Retry` on retries) and its authentication:
 * `X-Hub-Signature: sha256=<hex HMAC of the body>` for admin webhooks with a secret,
 * `Authorization: Bearer <JWT HS256 with the OAuth app's client secret>` for dynamic webhooks.
 */

import { createHmac, randomUUID } from 'node:crypto';
import type { Json, StoredIssue, StoredProject, StoredUser } from './objects.ts';
import { PRIORITIES, STATUSES } from './objects.ts';
import type { JiraChange, JiraStore } from './store.ts';

/** How long the JWT of a dynamic delivery is valid. */
const JWT_LIFETIME_SECONDS = 180;

export type Signing = { kind: 'hub'; secret: string | null } | { kind: 'jwt'; clientId: string; secret: string; accountId: string };

export const eventName = (change: JiraChange): string => (change.kind === 'issue' ? `jira:issue_${change.event}` : `${change.kind}_${change.event}`);

/** The body of `change` as Jira sends it; `actor` is the user who made it; `extra` adds e.g. `matchedWebhookIds`. */
export function webhookBody(store: JiraStore, change: JiraChange, actor: StoredUser, extra: Json = {}): Json {
  const base: Json = { timestamp: Date.now(), webhookEvent: eventName(change) };
  switch (change.kind) {
    case 'issue': {
      const body: Json = { ...base, issue_event_type_name: `issue_${change.event}`, user: actorRef(store, actor), issue: store.renderIssue(change.issue) };
      if (change.before) body.changelog = { id: String(change.issue.updatedMs % 1_000_000_000), items: changelogItems(change.before, change.issue) };
      return { ...body, ...extra };
    }
    case 'project':
      return { ...base, project: projectRef(store, change.project, actor), ...extra };
    case 'user':
      return { ...base, user: store.renderUser(change.user), ...extra };
  }
}

/** The headers of one attempt (1-based) of a delivery. */
export function deliveryHeaders(deliveryId: string, attempt: number, body: string, signing: Signing): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=UTF-8',
    'user-agent': 'Atlassian Webhook HTTP Client',
    'x-atlassian-webhook-identifier': deliveryId,
    'x-atlassian-webhook-flow': 'Primary',
  };
  if (attempt > 1) headers['x-atlassian-webhook-retry'] = String(attempt - 1);
  if (signing.kind === 'hub') {
    if (signing.secret) headers['x-hub-signature'] = `sha256=${createHmac('sha256', signing.secret).update(body).digest('hex')}`;
  } else {
    headers.authorization = `Bearer ${appJwt(signing)}`;
  }
  return headers;
}

/** A fresh HS256 JWT per attempt, as Jira signs deliveries of an OAuth 2.0 app's dynamic webhooks. */
function appJwt(signing: Extract<Signing, { kind: 'jwt' }>): string {
  const iat = Math.floor(Date.now() / 1000);
  const encode = (value: Json): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ iss: signing.clientId, sub: signing.accountId, iat, exp: iat + JWT_LIFETIME_SECONDS, jti: randomUUID(), context: {} })}`;
  return `${unsigned}.${createHmac('sha256', signing.secret).update(unsigned).digest('base64url')}`;
}

function actorRef(store: JiraStore, user: StoredUser): Json {
  const { self, accountId, avatarUrls, displayName, active, timeZone, accountType } = store.renderUser(user);
  return { self, accountId, avatarUrls, displayName, active, timeZone, accountType };
}

function projectRef(store: JiraStore, project: StoredProject, lead: StoredUser): Json {
  const { self, key, name, avatarUrls } = store.renderProject(project);
  // Project events carry the id as a number.
  return { self, id: Number(project.id), key, name, avatarUrls, projectLead: actorRef(store, lead), assigneeType: 'UNASSIGNED' };
}

/** The changelog items of an edit (the fields the emulator changes). */
function changelogItems(before: StoredIssue, after: StoredIssue): Json[] {
  const items: Json[] = [];
  const item = (field: string, from: string | null, fromString: string | null, to: string | null, toString: string | null): void => {
    if (from !== to || fromString !== toString) items.push({ field, fieldtype: 'jira', fieldId: field, from, fromString, to, toString });
  };
  item('summary', null, before.summary, null, after.summary);
  item('labels', null, before.labels.join(' '), null, after.labels.join(' '));
  item('priority', before.priorityId, PRIORITIES.find((p) => p.id === before.priorityId)?.name ?? null, after.priorityId, PRIORITIES.find((p) => p.id === after.priorityId)?.name ?? null);
  item('status', before.statusId, STATUSES.find((s) => s.id === before.statusId)?.name ?? null, after.statusId, STATUSES.find((s) => s.id === after.statusId)?.name ?? null);
  item('assignee', before.assigneeId, null, after.assigneeId, null);
  item('duedate', before.duedate, before.duedate, after.duedate, after.duedate);
  if (JSON.stringify(before.description) !== JSON.stringify(after.description)) items.push({ field: 'description', fieldtype: 'jira', fieldId: 'description', from: null, fromString: null, to: null, toString: null });
  return items;
}
