import { createHmac } from 'node:crypto';
import { sign } from '@octokit/webhooks-methods';
import { describe, expect, it } from 'vitest';
import { githubProvider } from '../../../../src/sync/providers/github/index.ts';
import { githubWebhookEvents } from '../../../../src/sync/providers/github/webhooks.ts';
import { WebhookMalformedError, type ProviderWebhooks, type WebhookRequest } from '../../../../src/sync/providers/provider.ts';

const webhooks = githubProvider.webhooks as ProviderWebhooks;
const SECRET = 'It’s a Secret to Everybody';
const now = new Date();

const repository = { id: 1296269, full_name: 'octocat/Hello-World', name: 'Hello-World', owner: { login: 'octocat', id: 1 } };

function request(event: string | null, body: string, headers: Record<string, string> = {}): WebhookRequest {
  const h = new Headers({ 'content-type': 'application/json', 'user-agent': 'GitHub-Hookshot/044aadd', 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958', 'x-github-hook-id': '12345', ...headers });
  if (event) h.set('x-github-event', event);
  return { method: 'POST', url: 'https://syncline.example.com/v1/webhooks/in/s1', headers: h, rawBody: Buffer.from(body) };
}

async function signed(event: string, payload: unknown, secret = SECRET): Promise<WebhookRequest> {
  const body = JSON.stringify(payload);
  return request(event, body, { 'x-hub-signature-256': await sign(secret, body) });
}

describe('GitHub webhook signatures (X-Hub-Signature-256)', () => {
  it('accepts a body signed by @octokit/webhooks-methods with the secret, and the documented test vector', async () => {
    expect(await webhooks.verify(await signed('issues', { action: 'opened', repository }), SECRET, now)).toEqual({ ok: true });
    // GitHub's documented example: secret "It's a Secret to Everybody", payload "Hello, World!".
    const docs = request('ping', 'Hello, World!', { 'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' });
    expect(await webhooks.verify(docs, "It's a Secret to Everybody", now)).toEqual({ ok: true });
  });

  it('refuses a wrong secret, a tampered body, a missing or malformed header', async () => {
    const good = await signed('issues', { action: 'opened', repository });
    expect(await webhooks.verify(good, 'another secret', now)).toEqual({ ok: false, code: 'signature_invalid' });
    const tampered = { ...good, rawBody: Buffer.from(good.rawBody.toString().replace('opened', 'closed')) };
    expect(await webhooks.verify(tampered, SECRET, now)).toEqual({ ok: false, code: 'signature_invalid' });
    const unsigned = request('issues', good.rawBody.toString());
    expect(await webhooks.verify(unsigned, SECRET, now)).toEqual({ ok: false, code: 'signature_missing' });
    // The legacy SHA-1 header alone is not enough.
    const sha1Only = request('issues', good.rawBody.toString(), { 'x-hub-signature': 'sha1=0123456789abcdef0123456789abcdef01234567' });
    expect(await webhooks.verify(sha1Only, SECRET, now)).toEqual({ ok: false, code: 'signature_missing' });
    for (const header of ['sha256=', 'sha1=abc', (good.headers.get('x-hub-signature-256') as string).slice(0, -2), 'garbage']) {
      expect(await webhooks.verify(request('issues', good.rawBody.toString(), { 'x-hub-signature-256': header }), SECRET, now)).toEqual({ ok: false, code: 'signature_invalid' });
    }
  });

  it('has no timestamp to hold against the clock: a delivery verifies whenever it arrives (GitHub signs none)', async () => {
    const good = await signed('issues', { action: 'opened', repository });
    expect(await webhooks.verify(good, SECRET, new Date(Date.now() + 86_400_000))).toEqual({ ok: true });
  });

  it('refuses a body that is not UTF-8 even when its bytes were signed (the library verifies text)', async () => {
    const raw = Buffer.concat([Buffer.from('{"action":"opened","x":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const header = `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;
    expect(await webhooks.verify({ ...request('issues', '', { 'x-hub-signature-256': header }), rawBody: raw }, SECRET, now)).toEqual({ ok: false, code: 'signature_invalid' });
  });
});

describe('GitHub webhook hints', () => {
  const parse = async (event: string, payload: unknown) => webhooks.parse(await signed(event, payload));

  it('maps issue events to `<repository id>#<number>`, deletes flagged, and the repository when its open count moves', async () => {
    const edited = await parse('issues', { action: 'edited', issue: { number: 42, title: 'x' }, repository });
    expect(edited).toEqual({ deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958', hints: [{ collectionId: 'github:issue', upstreamId: '1296269#42', deleted: false }] });
    const deleted = await parse('issues', { action: 'deleted', issue: { number: 42 }, repository });
    expect(deleted.hints).toEqual([
      { collectionId: 'github:issue', upstreamId: '1296269#42', deleted: true },
      { collectionId: 'github:repository', upstreamId: '1296269', deleted: false },
    ]);
    const transferred = await parse('issues', { action: 'transferred', issue: { number: 42 }, changes: { new_issue: { number: 7 }, new_repository: { id: 555 } }, repository });
    expect(transferred.hints).toEqual([
      { collectionId: 'github:issue', upstreamId: '1296269#42', deleted: true },
      { collectionId: 'github:issue', upstreamId: '555#7', deleted: false },
      { collectionId: 'github:repository', upstreamId: '1296269', deleted: false },
    ]);
  });

  it('maps pull request events (and comments on either) to the pull request; a deleted comment deletes nothing', async () => {
    expect((await parse('pull_request', { action: 'synchronize', number: 3, pull_request: { number: 3 }, repository })).hints).toEqual([{ collectionId: 'github:pull_request', upstreamId: '1296269#3', deleted: false }]);
    expect((await parse('pull_request', { action: 'closed', number: 3, pull_request: { number: 3 }, repository })).hints).toEqual([
      { collectionId: 'github:pull_request', upstreamId: '1296269#3', deleted: false },
      { collectionId: 'github:repository', upstreamId: '1296269', deleted: false },
    ]);
    expect((await parse('pull_request_review', { action: 'submitted', pull_request: { number: 3 }, repository })).hints).toEqual([{ collectionId: 'github:pull_request', upstreamId: '1296269#3', deleted: false }]);
    expect((await parse('issue_comment', { action: 'deleted', issue: { number: 3, pull_request: { url: 'u' } }, comment: { id: 1 }, repository })).hints).toEqual([
      { collectionId: 'github:pull_request', upstreamId: '1296269#3', deleted: false },
    ]);
    expect((await parse('issue_comment', { action: 'created', issue: { number: 4 }, comment: { id: 2 }, repository })).hints).toEqual([{ collectionId: 'github:issue', upstreamId: '1296269#4', deleted: false }]);
  });

  it('maps repository, push, star and fork events to the repository id; a deleted repository is flagged', async () => {
    expect((await parse('repository', { action: 'deleted', repository })).hints).toEqual([{ collectionId: 'github:repository', upstreamId: '1296269', deleted: true }]);
    expect((await parse('repository', { action: 'renamed', repository })).hints).toEqual([{ collectionId: 'github:repository', upstreamId: '1296269', deleted: false }]);
    for (const event of ['push', 'star', 'fork']) {
      expect((await parse(event, { ref: 'refs/heads/main', action: 'created', repository })).hints).toEqual([{ collectionId: 'github:repository', upstreamId: '1296269', deleted: false }]);
    }
  });

  it('gives no hints for ping and events no collection maps', async () => {
    expect(await parse('ping', { zen: 'Design for failure.', hook_id: 1, hook: {}, repository })).toEqual({ deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958', hints: [] });
    expect((await parse('workflow_run', { action: 'completed', repository })).hints).toEqual([]);
    expect((await parse('label', { action: 'created', repository })).hints).toEqual([]);
  });

  it('reads form-encoded deliveries (content_type form: payload=<json>)', async () => {
    const json = JSON.stringify({ action: 'opened', issue: { number: 9 }, repository });
    const parsed = webhooks.parse(request('issues', `payload=${encodeURIComponent(json)}`, { 'content-type': 'application/x-www-form-urlencoded' }));
    expect(parsed.hints[0]).toEqual({ collectionId: 'github:issue', upstreamId: '1296269#9', deleted: false });
  });

  it('refuses unreadable deliveries as malformed', async () => {
    const cases: WebhookRequest[] = [
      request(null, JSON.stringify({ action: 'opened', repository })),
      request('issues', 'not json'),
      request('issues', '[1,2]'),
      request('issues', JSON.stringify({ action: 'opened', repository })),
      request('issues', JSON.stringify({ action: 'opened', issue: { number: 'x' }, repository })),
      request('push', JSON.stringify({ ref: 'refs/heads/main' })),
      request('issues', 'a=b', { 'content-type': 'application/x-www-form-urlencoded' }),
    ];
    for (const c of cases) expect(() => webhooks.parse(c)).toThrow(WebhookMalformedError);
  });

  it('subscribes the events of the collections synced', () => {
    expect(githubWebhookEvents(['github:issue'])).toEqual(['issue_comment', 'issues']);
    expect(githubWebhookEvents(['github:repository', 'github:issue', 'github:pull_request'])).toEqual([
      'fork',
      'issue_comment',
      'issues',
      'pull_request',
      'pull_request_review',
      'pull_request_review_comment',
      'push',
      'repository',
      'star',
    ]);
  });
});
