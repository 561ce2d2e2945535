/**
 * Jira webhook bodies → hints: `{timestamp, webhookEvent, issue | project | user | comment | worklog, …}`.
 * Each event names the object the listings answer (`issue.id`, `project.id`, `user.accountId`);
 * comments and worklogs are part of an issue's `fields`, so they hint their issue.
 */

import { WebhookMalformedError, type ParsedWebhook, type WebhookHint, type WebhookRequest } from '../provider.ts';
import type { JiraCollectionId } from './collections.ts';

export const ISSUE_EVENTS = ['jira:issue_created', 'jira:issue_updated', 'jira:issue_deleted'] as const;
export const PROJECT_EVENTS = ['project_created', 'project_updated', 'project_deleted', 'project_soft_deleted', 'project_restored_deleted', 'project_archived', 'project_restored_archived'] as const;
export const USER_EVENTS = ['user_created', 'user_updated', 'user_deleted'] as const;

/** Events whose object is gone (a fetch confirms it). */
const DELETES = new Set(['jira:issue_deleted', 'project_deleted', 'project_soft_deleted', 'user_deleted']);

type Body = Record<string, unknown>;

/** Where an event's object id sits: its collection, the object's key in the body and its id field. */
function locate(event: string): { collectionId: JiraCollectionId; object: string; idKey: string } | null {
  if ((ISSUE_EVENTS as readonly string[]).includes(event)) return { collectionId: 'jira:issue', object: 'issue', idKey: 'id' };
  if (/^comment_(created|updated|deleted)$/.test(event)) return { collectionId: 'jira:issue', object: 'issue', idKey: 'id' };
  if (/^worklog_(created|updated|deleted)$/.test(event)) return { collectionId: 'jira:issue', object: 'worklog', idKey: 'issueId' };
  if ((PROJECT_EVENTS as readonly string[]).includes(event)) return { collectionId: 'jira:project', object: 'project', idKey: 'id' };
  if ((USER_EVENTS as readonly string[]).includes(event)) return { collectionId: 'jira:user', object: 'user', idKey: 'accountId' };
  return null;
}

export function parseJiraWebhook(request: WebhookRequest): ParsedWebhook {
  const deliveryId = request.headers.get('x-atlassian-webhook-identifier')?.trim() || null;
  const body = readBody(request.rawBody);
  const event = body.webhookEvent;
  if (typeof event !== 'string' || event === '') throw new WebhookMalformedError('a Jira webhook body carries "webhookEvent"');
  const where = locate(event);
  if (!where) return { deliveryId, hints: [] };
  const object = body[where.object];
  const id = object !== null && typeof object === 'object' ? (object as Body)[where.idKey] : undefined;
  if (!(typeof id === 'string' && id !== '') && !(typeof id === 'number' && Number.isFinite(id))) {
    throw new WebhookMalformedError(`a Jira ${event} webhook carries "${where.object}.${where.idKey}"`);
  }
  const hint: WebhookHint = { collectionId: where.collectionId, upstreamId: String(id), deleted: DELETES.has(event) };
  return { deliveryId, hints: [hint] };
}

function readBody(raw: Buffer): Body {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new WebhookMalformedError('a Jira webhook body is JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new WebhookMalformedError('a Jira webhook body is a JSON object');
  return parsed as Body;
}
