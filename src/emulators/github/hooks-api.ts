/**
 * Repository webhooks as GitHub's REST API manages them: `GET|POST /repos/{owner}/{repo}/hooks`,
 * `GET|PATCH|DELETE …/hooks/{hook_id}`, `POST …/hooks/{hook_id}/pings`. A new hook gets a `ping`
 * at once. GitHub's rules: `name` is `web`; `config.url` is required; `content_type` `json` or
 * `form` (default `form`); `events` default `["push"]`; two hooks with the same URL may not
 * share an event (422 "Hook already exists on this repository"); a secret is answered as `********`.
 */

import type { EmulatorAnswer, EmulatorRequest } from '../kit/http-emulator.ts';
import { route, type Route } from './routes.ts';
import { fail, notFound, validationFailed } from './errors.ts';
import { paginate } from './paging.ts';
import { isoSeconds, type Json } from './render.ts';
import { fullName, type GitHubStore, type HookRow, type RepoRow } from './store.ts';
import type { GitHubWebhooks } from './webhooks.ts';

/** The events GitHub's repository hooks accept (a subset is enough for an emulator that refuses typos). */
const KNOWN_EVENTS = new Set([
  '*', 'branch_protection_rule', 'check_run', 'check_suite', 'code_scanning_alert', 'commit_comment', 'create', 'delete', 'dependabot_alert',
  'deploy_key', 'deployment', 'deployment_status', 'discussion', 'discussion_comment', 'fork', 'gollum', 'issue_comment', 'issues', 'label',
  'member', 'meta', 'milestone', 'package', 'page_build', 'ping', 'project', 'project_card', 'project_column', 'public', 'pull_request',
  'pull_request_review', 'pull_request_review_comment', 'pull_request_review_thread', 'push', 'registry_package', 'release', 'repository',
  'repository_import', 'repository_vulnerability_alert', 'secret_scanning_alert', 'security_and_analysis', 'star', 'status', 'team_add', 'watch',
  'workflow_job', 'workflow_run',
]);

export class GitHubHooksApi {
  constructor(
    private readonly store: GitHubStore,
    private readonly apiBase: () => string,
    private readonly webhooks: GitHubWebhooks,
    private readonly repo: (owner: string | undefined, name: string | undefined) => RepoRow,
    private readonly body: (request: EmulatorRequest) => Json,
  ) {}

  routes(): Route[] {
    return [
      route('GET', '/repos/{owner}/{repo}/hooks', (q, [o, n]) => {
        const repo = this.repo(o, n);
        const { items, link } = paginate(q, repo.hooks);
        return { status: 200, body: items.map((h) => this.render(repo, h)), ...(link ? { headers: { Link: link } } : {}) };
      }),
      route('POST', '/repos/{owner}/{repo}/hooks', (q, [o, n]) => this.create(q, this.repo(o, n))),
      route('GET', '/repos/{owner}/{repo}/hooks/{hook_id}', (_q, [o, n, id]) => {
        const repo = this.repo(o, n);
        return { status: 200, body: this.render(repo, this.hook(repo, id)) };
      }),
      route('PATCH', '/repos/{owner}/{repo}/hooks/{hook_id}', (q, [o, n, id]) => {
        const repo = this.repo(o, n);
        return this.update(q, repo, this.hook(repo, id));
      }),
      route('DELETE', '/repos/{owner}/{repo}/hooks/{hook_id}', (_q, [o, n, id]) => {
        const repo = this.repo(o, n);
        const hook = this.hook(repo, id);
        repo.hooks = repo.hooks.filter((h) => h !== hook);
        return { status: 204 };
      }),
      route('POST', '/repos/{owner}/{repo}/hooks/{hook_id}/pings', (_q, [o, n, id]) => {
        const repo = this.repo(o, n);
        this.webhooks.ping(repo, this.hook(repo, id), (h) => this.render(repo, h));
        return { status: 204 };
      }),
    ];
  }

  /** A hook as the API answers it. */
  render(repo: RepoRow, hook: HookRow): Json {
    const url = `${this.apiBase()}/repos/${fullName(repo)}/hooks/${hook.id}`;
    const { secret, ...config } = hook.config;
    return {
      type: 'Repository',
      id: hook.id,
      name: 'web',
      active: hook.active,
      events: [...hook.events],
      config: { ...config, ...(secret ? { secret: '********' } : {}) },
      updated_at: isoSeconds(hook.updatedAt),
      created_at: isoSeconds(hook.createdAt),
      url,
      test_url: `${url}/test`,
      ping_url: `${url}/pings`,
      deliveries_url: `${url}/deliveries`,
      last_response: { code: null, status: 'unused', message: null },
    };
  }

  private create(request: EmulatorRequest, repo: RepoRow): EmulatorAnswer {
    const body = this.body(request);
    if (body.name !== undefined && body.name !== 'web') throw validationFailed([{ resource: 'Hook', field: 'name', code: 'custom', message: 'Name must be "web"' }]);
    const now = this.store.now();
    const hook: HookRow = {
      id: this.store.hookId(),
      active: body.active === undefined ? true : flag(body.active, 'active'),
      events: body.events === undefined ? ['push'] : events(body.events),
      config: config(body.config),
      createdAt: now,
      updatedAt: now,
    };
    this.refuseOverlap(repo, hook);
    repo.hooks.push(hook);
    const rendered = this.render(repo, hook);
    this.webhooks.ping(repo, hook, (h) => this.render(repo, h));
    return { status: 201, body: rendered, headers: { Location: rendered.url as string } };
  }

  private update(request: EmulatorRequest, repo: RepoRow, hook: HookRow): EmulatorAnswer {
    const body = this.body(request);
    const next: HookRow = { ...hook, events: [...hook.events], config: { ...hook.config } };
    if (body.config !== undefined) next.config = config(body.config);
    if (body.events !== undefined) next.events = events(body.events);
    if (body.add_events !== undefined) next.events = [...new Set([...next.events, ...events(body.add_events)])];
    if (body.remove_events !== undefined) {
      const removed = events(body.remove_events);
      next.events = next.events.filter((e) => !removed.includes(e));
    }
    if (body.active !== undefined) next.active = flag(body.active, 'active');
    this.refuseOverlap(repo, next);
    Object.assign(hook, next, { updatedAt: this.store.now() });
    return { status: 200, body: this.render(repo, hook) };
  }

  private refuseOverlap(repo: RepoRow, hook: HookRow): void {
    const overlaps = (a: string[], b: string[]): boolean => a.includes('*') || b.includes('*') || a.some((e) => b.includes(e));
    if (repo.hooks.some((h) => h.id !== hook.id && h.config.url === hook.config.url && overlaps(h.events, hook.events))) {
      throw validationFailed([{ resource: 'Hook', field: 'config', code: 'custom', message: 'Hook already exists on this repository' }]);
    }
  }

  private hook(repo: RepoRow, raw: string | undefined): HookRow {
    const hook = raw && /^\d+$/.test(raw) ? repo.hooks.find((h) => h.id === Number(raw)) : undefined;
    if (!hook) throw notFound();
    return hook;
  }
}

function flag(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw validationFailed([{ resource: 'Hook', field, code: 'invalid' }]);
  return value;
}

function events(value: unknown): string[] {
  if (!Array.isArray(value) || value.some((e) => typeof e !== 'string')) throw validationFailed([{ resource: 'Hook', field: 'events', code: 'invalid' }]);
  const unknown = (value as string[]).find((e) => !KNOWN_EVENTS.has(e));
  if (unknown !== undefined) throw validationFailed([{ resource: 'Hook', field: 'events', code: 'custom', message: `Invalid event: "${unknown}"` }]);
  return [...new Set(value as string[])];
}

/** A hook's `config`: `url` required; PATCH replaces the whole config, as on GitHub. */
function config(value: unknown): HookRow['config'] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw validationFailed([{ resource: 'Hook', field: 'config', code: 'custom', message: 'Config must contain URL for webhooks' }]);
  const c = value as Json;
  if (typeof c.url !== 'string' || !URL.canParse(c.url)) throw validationFailed([{ resource: 'Hook', field: 'config', code: 'custom', message: 'Config must contain URL for webhooks' }]);
  const contentType = c.content_type ?? 'form';
  if (contentType !== 'json' && contentType !== 'form') throw validationFailed([{ resource: 'Hook', field: 'content_type', code: 'invalid' }]);
  if (c.secret !== undefined && c.secret !== null && typeof c.secret !== 'string') throw validationFailed([{ resource: 'Hook', field: 'secret', code: 'invalid' }]);
  const insecure = c.insecure_ssl ?? '0';
  if (!['0', '1', 0, 1].includes(insecure as string | number)) throw fail(422, 'Invalid request.\n\n"insecure_ssl" must be "0" or "1".');
  return { url: c.url, content_type: contentType, secret: typeof c.secret === 'string' && c.secret !== '' ? c.secret : null, insecure_ssl: String(insecure) };
}
