import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { jiraProvider } from '../../../../src/sync/providers/jira/index.ts';
import { WebhookMalformedError, type WebhookRequest } from '../../../../src/sync/providers/provider.ts';

const webhooks = jiraProvider.webhooks!;
const NOW = new Date('2026-03-01T12:00:00Z');
const SECRET = 'G8j4166a3JcTr0ub5ZqQ';

function request(body: string, headers: Record<string, string> = {}): WebhookRequest {
  return { method: 'POST', url: 'https://syncline.example.com/v1/webhooks/in/s1', headers: new Headers(headers), rawBody: Buffer.from(body) };
}

/** Written from Jira's documentation, independently of the provider: `sha256=` + hex HMAC-SHA256 of the raw body. */
const hubSignature = (secret: string, body: string): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** An HS256 JWT as Jira signs dynamic-webhook deliveries of an OAuth 2.0 app (RFC 7519, written here). */
function jwt(secret: string, claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode(header)}.${encode(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
const issueEvent = (event: string, id: string | number = '10042') => JSON.stringify({ timestamp: NOW.getTime(), webhookEvent: event, issue: { id, key: 'ENG-42', fields: { summary: 'x' } } });

describe('Jira webhooks: verify', () => {
  const body = issueEvent('jira:issue_updated');

  it('accepts an admin webhook signed with the secret (X-Hub-Signature)', () => {
    expect(webhooks.verify(request(body, { 'x-hub-signature': hubSignature(SECRET, body) }), SECRET, NOW)).toEqual({ ok: true });
  });

  it('refuses a wrong secret, a tampered body, a malformed or other-algorithm header', () => {
    expect(webhooks.verify(request(body, { 'x-hub-signature': hubSignature('other-secret', body) }), SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
    const tampered = body.replace('10042', '10043');
    expect(webhooks.verify(request(tampered, { 'x-hub-signature': hubSignature(SECRET, body) }), SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
    expect(webhooks.verify(request(body, { 'x-hub-signature': 'sha256=abc' }), SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
    const sha1 = `sha1=${createHmac('sha1', SECRET).update(body).digest('hex')}`;
    expect(webhooks.verify(request(body, { 'x-hub-signature': sha1 }), SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
  });

  it('answers signature_missing without X-Hub-Signature or a Bearer token', () => {
    expect(webhooks.verify(request(body), SECRET, NOW)).toEqual({ ok: false, code: 'signature_missing' });
    expect(webhooks.verify(request(body, { authorization: 'Basic Zm9vOmJhcg==' }), SECRET, NOW)).toEqual({ ok: false, code: 'signature_missing' });
  });

  it('accepts a dynamic webhook whose Bearer JWT is signed with the client secret and still valid', () => {
    const token = jwt(SECRET, { iss: 'client-id', sub: '5b10ac', iat: seconds(NOW) - 5, exp: seconds(NOW) + 175, jti: 'j1', context: {} });
    expect(webhooks.verify(request(body, { authorization: `Bearer ${token}` }), SECRET, NOW)).toEqual({ ok: true });
  });

  it('refuses a JWT with a wrong secret, alg none, no exp, or outside its time (beyond the leeway)', () => {
    const claims = { iss: 'client-id', iat: seconds(NOW), exp: seconds(NOW) + 180 };
    expect(webhooks.verify(request(body, { authorization: `Bearer ${jwt('wrong', claims)}` }), SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
    const none = jwt(SECRET, claims, { alg: 'none', typ: 'JWT' }).split('.').slice(0, 2).join('.') + '.';
    expect(webhooks.verify(request(body, { authorization: `Bearer ${none}` }), SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
    expect(webhooks.verify(request(body, { authorization: `Bearer ${jwt(SECRET, { iss: 'client-id', iat: seconds(NOW) })}` }), SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
    const expired = jwt(SECRET, { iat: seconds(NOW) - 900, exp: seconds(NOW) - 600 });
    expect(webhooks.verify(request(body, { authorization: `Bearer ${expired}` }), SECRET, NOW)).toEqual({ ok: false, code: 'timestamp_outside_tolerance' });
    const future = jwt(SECRET, { iat: seconds(NOW) + 900, exp: seconds(NOW) + 1080 });
    expect(webhooks.verify(request(body, { authorization: `Bearer ${future}` }), SECRET, NOW)).toEqual({ ok: false, code: 'timestamp_outside_tolerance' });
    expect(webhooks.verify(request(body, { authorization: 'Bearer not.a-jwt' }), SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
  });

  it('never accepts with an empty secret', () => {
    expect(webhooks.verify(request(body, { 'x-hub-signature': hubSignature('', body) }), '', NOW)).toEqual({ ok: false, code: 'signature_invalid' });
  });
});

describe('Jira webhooks: parse', () => {
  const parse = (body: string, headers: Record<string, string> = {}) => webhooks.parse(request(body, headers));

  it('maps issue, comment and worklog events to the issue id, deletes flagged, with the delivery identifier', () => {
    expect(parse(issueEvent('jira:issue_created'), { 'x-atlassian-webhook-identifier': 'd-1' })).toEqual({ deliveryId: 'd-1', hints: [{ collectionId: 'jira:issue', upstreamId: '10042', deleted: false }] });
    expect(parse(issueEvent('jira:issue_updated', 10042)).hints).toEqual([{ collectionId: 'jira:issue', upstreamId: '10042', deleted: false }]);
    expect(parse(issueEvent('jira:issue_deleted'))).toEqual({ deliveryId: null, hints: [{ collectionId: 'jira:issue', upstreamId: '10042', deleted: true }] });
    expect(parse(JSON.stringify({ webhookEvent: 'comment_created', comment: { id: '1' }, issue: { id: '10007' } })).hints).toEqual([{ collectionId: 'jira:issue', upstreamId: '10007', deleted: false }]);
    expect(parse(JSON.stringify({ webhookEvent: 'worklog_deleted', worklog: { id: '5', issueId: '10008' } })).hints).toEqual([{ collectionId: 'jira:issue', upstreamId: '10008', deleted: false }]);
  });

  it('maps project events to project.id and user events to user.accountId', () => {
    expect(parse(JSON.stringify({ webhookEvent: 'project_updated', project: { id: 10000, key: 'ENG' } })).hints).toEqual([{ collectionId: 'jira:project', upstreamId: '10000', deleted: false }]);
    expect(parse(JSON.stringify({ webhookEvent: 'project_soft_deleted', project: { id: 10001 } })).hints).toEqual([{ collectionId: 'jira:project', upstreamId: '10001', deleted: true }]);
    expect(parse(JSON.stringify({ webhookEvent: 'user_deleted', user: { accountId: '5b10a2844c20165700ede21g' } })).hints).toEqual([{ collectionId: 'jira:user', upstreamId: '5b10a2844c20165700ede21g', deleted: true }]);
    expect(parse(JSON.stringify({ webhookEvent: 'user_updated', user: { accountId: 'abc' } })).hints).toEqual([{ collectionId: 'jira:user', upstreamId: 'abc', deleted: false }]);
  });

  it('gives no hints for events it does not sync', () => {
    for (const event of ['sprint_started', 'jira:version_released', 'board_created', 'issuelink_created']) {
      expect(parse(JSON.stringify({ webhookEvent: event, sprint: { id: 1 } })).hints).toEqual([]);
    }
  });

  it('throws WebhookMalformedError on bodies it cannot read', () => {
    for (const body of ['not json', '[1,2]', '{}', JSON.stringify({ webhookEvent: 'jira:issue_updated' }), JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { key: 'ENG-1' } }), JSON.stringify({ webhookEvent: 'user_updated', user: { accountId: '' } })]) {
      expect(() => parse(body), body).toThrow(WebhookMalformedError);
    }
  });
});

describe('Jira webhooks: credential secret', () => {
  const credential = (kind: string) => ({ kind, accessToken: 't', accessTokenExpiresAt: null, refreshToken: null, apiBaseUrl: null, metadata: {}, oauthApp: { clientId: 'c', clientSecret: 'app-secret' } });
  it("is the OAuth app's client secret for jira_oauth2 (it signs dynamic webhooks), none for API tokens", () => {
    expect(webhooks.credentialSecret!(credential('jira_oauth2'))).toBe('app-secret');
    expect(webhooks.credentialSecret!(credential('jira'))).toBeNull();
  });
});
