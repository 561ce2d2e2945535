import { Octokit } from '@octokit/rest';
import { UpstreamAuthError, UpstreamRequestError, type ProviderContext } from '../provider.ts';
import { boundedUpstreamText, nextLink } from '../http-json.ts';

export const DEFAULT_API_BASE_URL = 'https://api.github.com';

/**
 * The REST API version every request names (`X-GitHub-Api-Version`): the one GitHub's own
 * description (`@octokit/openapi`, checked by the conformance suite) describes. 2026-03-10 exists
 * but that description does not cover it yet (it still has what 2026-03-10 removed, e.g.
 * `rate` of GET /rate_limit); docs/providers/github.md says how a bump is checked.
 */
export const GITHUB_API_VERSION = '2022-11-28';

export type GitHubObject = Record<string, unknown>;

export interface GitHubPage {
  items: GitHubObject[];
  /** The `rel="next"` URL of the `Link` header, null on the last page. */
  next: string | null;
  /** The answer's `Date` (epoch seconds): GitHub's clock, for changes cursors. */
  serverTime: number | null;
}

/** Answers of a repository's listings that mean "nothing to list here" rather than a failure. */
export class RepositoryUnavailable extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'RepositoryUnavailable';
  }
}

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The official SDK over the engine's rate-limited fetch. `@octokit/rest` carries no retry or
 * throttling plugin (those are separate packages, not loaded): waits and retries belong to the
 * engine's fetch.
 */
export function createOctokit({ credential, fetch }: ProviderContext): Octokit {
  if (!credential.accessToken) throw new UpstreamAuthError('the credential has no GitHub access token', 401);
  return new Octokit({
    auth: credential.accessToken,
    baseUrl: (credential.apiBaseUrl ?? DEFAULT_API_BASE_URL).replace(/\/+$/, ''),
    userAgent: 'Syncline',
    request: { fetch },
    headers: { 'x-github-api-version': GITHUB_API_VERSION },
    log: silent,
  });
}

/**
 * One GitHub call with the SDK's errors mapped onto the engine's: 401 → UpstreamAuthError,
 * other answers → UpstreamRequestError (a 403 reaching here is a permission refusal: the engine's
 * fetch already waited out rate limit 403s, see rate-limit.ts).
 */
export async function callGitHub<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!isRequestError(error)) throw error;
    // Network failures come back as a RequestError without an answer: the original error says more.
    if (!error.response) throw error.cause instanceof Error ? error.cause : error;
    // GitHub's own `message` field only: Octokit's error message is the whole body when it is not JSON.
    const body = error.response.data;
    const message = body && typeof body === 'object' && typeof (body as GitHubObject).message === 'string' ? boundedUpstreamText((body as GitHubObject).message as string) : `HTTP ${error.status}`;
    if (error.status === 401) throw new UpstreamAuthError(message, 401);
    throw new UpstreamRequestError(message, error.status, `http_${error.status}`);
  }
}

/**
 * Octokit's RequestError (`@octokit/request-error`, a dependency of the SDK rather than of
 * Syncline), recognised by its shape.
 */
interface RequestErrorShape extends Error {
  status: number;
  response?: { status: number; data: unknown };
}

function isRequestError(error: unknown): error is RequestErrorShape {
  return error instanceof Error && error.name === 'HttpError' && typeof (error as Partial<RequestErrorShape>).status === 'number';
}

/** Octokit hands back a body that is not whole JSON as a string: refuse it (the runner retries the step). */
function objectOf(data: unknown, what: string): GitHubObject {
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new Error(`${what}: GitHub answered a body that is not a JSON object`);
  return data as GitHubObject;
}

function arrayOf(data: unknown, what: string): GitHubObject[] {
  if (!Array.isArray(data) || data.some((item) => !item || typeof item !== 'object')) throw new Error(`${what}: GitHub answered a body that is not a JSON array of objects`);
  return data as GitHubObject[];
}

export class GitHubClient {
  constructor(readonly octokit: Octokit) {}

  /** One page of a listing: `route` with `params`, or a `Link` URL from an earlier page. */
  async page(route: string | { url: string }, params: Record<string, string | number> = {}): Promise<GitHubPage> {
    const response = await callGitHub(() => (typeof route === 'string' ? this.octokit.request(route, params) : this.octokit.request({ method: 'GET', url: route.url })));
    const headers = new Headers();
    for (const [name, value] of Object.entries(response.headers)) if (typeof value === 'string') headers.set(name, value);
    const date = Date.parse(headers.get('date') ?? '');
    return {
      items: arrayOf(response.data, typeof route === 'string' ? route : 'GET next page'),
      next: nextLink(headers),
      serverTime: Number.isFinite(date) ? Math.floor(date / 1000) : null,
    };
  }

  /**
   * A repository-scoped listing page. 404 (repository gone), 410 (issues disabled) and 403
   * (e.g. an organization's SAML or IP allow list) mean the repository has nothing to list now.
   */
  async repoPage(route: string | { url: string }, params: Record<string, string | number> = {}): Promise<GitHubPage> {
    try {
      return await this.page(route, params);
    } catch (error) {
      if (error instanceof UpstreamRequestError && [403, 404, 410].includes(error.status)) throw new RepositoryUnavailable(error.status, error.message);
      throw error;
    }
  }

  /**
   * One object: `params` fill the route's path, `body` (the caller's JSON) is sent as `data`, so
   * none of its keys can reach the SDK's own options (`baseUrl`, `headers`, `request`…).
   */
  async object(route: string, params: Record<string, string | number>, body?: GitHubObject): Promise<GitHubObject> {
    const response = await callGitHub(() => this.octokit.request(route, { ...params, ...(body === undefined ? {} : { data: body }) }));
    return objectOf(response.data, route);
  }

  /** A write answered 204 (no body). */
  async noContent(route: string, params: Record<string, string | number>): Promise<void> {
    await callGitHub(() => this.octokit.request(route, params));
  }
}
