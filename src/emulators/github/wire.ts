/**
 * GitHub's wire format around the routes: token authentication (`Authorization: token …` or
 * `Bearer …`), `X-RateLimit-*` headers on every answer, the primary rate limit answered as GitHub
 * does (403 — or 429 — with `x-ratelimit-remaining: 0`) and, when configured, secondary rate
 * limits (403 with `retry-after` and a message saying so).
 */

import { randomUUID } from 'node:crypto';
import { EmulatorError, type EmulatorAnswer, type EmulatorRequest, type EmulatorWireFormat, type RateLimitState } from '../kit/http-emulator.ts';
import { Random } from '../kit/random.ts';
import { errorAnswer, fail, RATE_LIMIT_DOCS, SECONDARY_RATE_LIMIT_DOCS } from './errors.ts';

export interface SecondaryRateLimit {
  /** Probability 0..1 per admitted request of a secondary rate limit answer. */
  rate: number;
  /** `retry-after` seconds sent with it (GitHub: "wait at least one minute" when absent). */
  retryAfterSeconds: number;
  /** 403 (default) or 429: GitHub documents both. */
  status?: 403 | 429;
}

export interface GitHubWireSettings {
  token: string;
  userId: number;
  /** Status of a primary rate limit answer: GitHub documents 403 or 429. */
  primaryStatus: 403 | 429;
  secondary: SecondaryRateLimit | null;
}

/**
 * The REST API versions GitHub serves (docs: "API Versions"): a request names one in
 * `X-GitHub-Api-Version` (none: 2022-11-28); another is answered 400.
 */
export const GITHUB_API_VERSIONS = ['2022-11-28', '2026-03-10'] as const;
const DEFAULT_API_VERSION = '2022-11-28';

/** Headers when the emulator runs without a rate limit: a fresh, far from exhausted hourly window. */
const UNLIMITED = { limit: 5000, remaining: 5000, windowMs: 3_600_000, resetInMs: 3_600_000 } satisfies RateLimitState;

export class GitHubWire implements Pick<EmulatorWireFormat, 'name' | 'authenticate' | 'rateLimited' | 'internalError' | 'answerHeaders'> {
  readonly name = 'github';
  private readonly secondaryRandom: Random;
  /** Requests answered with a secondary rate limit. */
  secondaryLimitAnswers = 0;

  constructor(
    readonly settings: GitHubWireSettings,
    seed: number,
  ) {
    this.secondaryRandom = new Random(seed);
  }

  authenticate(request: EmulatorRequest): void {
    const header = request.header('authorization')?.trim();
    if (!header) throw fail(401, 'Requires authentication');
    const match = /^(?:token|bearer)\s+(.+)$/i.exec(header);
    if (!match || (match[1] as string).trim() !== this.settings.token) throw fail(401, 'Bad credentials');
    const version = request.header('x-github-api-version');
    if (version !== undefined && !(GITHUB_API_VERSIONS as readonly string[]).includes(version)) {
      throw fail(400, `Unsupported API version: '${version}'. Supported versions are ${GITHUB_API_VERSIONS.join(', ')}.`);
    }
  }

  rateLimited(_request: EmulatorRequest, state: RateLimitState): EmulatorAnswer {
    return errorAnswer(this.settings.primaryStatus, `API rate limit exceeded for user ID ${this.settings.userId}. If you reach out to GitHub Support for help, please include the request ID ${requestId()}.`, {
      documentationUrl: RATE_LIMIT_DOCS,
      headers: rateLimitHeaders({ ...state, remaining: 0 }),
    });
  }

  internalError(_request: EmulatorRequest): EmulatorAnswer {
    return errorAnswer(500, 'Server Error');
  }

  answerHeaders(request: EmulatorRequest, state: RateLimitState | null): Record<string, string> {
    return {
      ...rateLimitHeaders(state ?? UNLIMITED),
      'X-GitHub-Media-Type': 'github.v3; format=json',
      'X-GitHub-Api-Version-Selected': request.header('x-github-api-version') ?? DEFAULT_API_VERSION,
      'X-GitHub-Request-Id': requestId(),
    };
  }

  /** Throws the secondary rate limit answer for this request when the configured draw says so. */
  checkSecondaryLimit(): void {
    const secondary = this.settings.secondary;
    if (!secondary || !(secondary.rate > 0) || !this.secondaryRandom.chance(secondary.rate)) return;
    this.secondaryLimitAnswers++;
    throw new EmulatorError(
      errorAnswer(secondary.status ?? 403, `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${requestId()}.`, {
        documentationUrl: SECONDARY_RATE_LIMIT_DOCS,
        headers: { 'Retry-After': String(secondary.retryAfterSeconds) },
      }),
    );
  }
}

function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(state.limit),
    'X-RateLimit-Remaining': String(state.remaining),
    'X-RateLimit-Reset': String(Math.ceil((Date.now() + Math.max(state.resetInMs, state.remaining === 0 ? 1000 : 0)) / 1000)),
    'X-RateLimit-Used': String(state.limit - state.remaining),
    'X-RateLimit-Resource': 'core',
  };
}

const requestId = (): string => randomUUID().slice(0, 18).toUpperCase().replace(/-/g, ':');
