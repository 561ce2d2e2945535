/**
 * HubSpot's side of the emulator's HTTP: Bearer authentication (a private-app token or an OAuth
 * access token), the `X-HubSpot-RateLimit-*` headers, 429s in HubSpot's shape (the account's
 * 10-second window from the kit, and the search API's own per-second limit), error bodies, routing.
 */

import { randomUUID } from 'node:crypto';
import { bearerToken, EmulatorError, type EmulatorAnswer, type EmulatorRateLimit, type EmulatorRequest, type EmulatorWireFormat, type RateLimitState } from '../kit/http-emulator.ts';
import type { CrmRoutes } from './crm-routes.ts';
import { errorAnswer, unknownPath } from './errors.ts';
import type { OAuthRoutes } from './oauth-routes.ts';
import type { WebhookRoutes } from './webhook-routes.ts';

export interface HubSpotWireOptions {
  /** The private app's access token (`pat-…`). */
  privateAppToken: string;
  isValidAccessToken(token: string): boolean;
  dailyLimit: number;
  /** The search endpoints' own limit (HubSpot: 5 requests per second); null = none. */
  searchRateLimit: EmulatorRateLimit | null;
}

const isSearch = (request: EmulatorRequest): boolean => request.method === 'POST' && request.path.endsWith('/search');

const rateLimitAnswer = (policyName: 'TEN_SECONDLY_ROLLING' | 'SECONDLY' | 'DAILY', message: string, headers: Record<string, string>): EmulatorAnswer => ({
  status: 429,
  headers,
  body: { status: 'error', message, errorType: 'RATE_LIMIT', correlationId: randomUUID(), policyName, requestId: randomUUID() },
});

export class HubSpotWireFormat implements EmulatorWireFormat {
  readonly name = 'hubspot';
  private dailyUsed = 0;
  private readonly searchTimes: number[] = [];

  constructor(
    private readonly options: HubSpotWireOptions,
    private readonly crm: CrmRoutes,
    private readonly oauth: OAuthRoutes,
    private readonly webhooks: WebhookRoutes,
  ) {}

  setSearchRateLimit(limit: EmulatorRateLimit | null): void {
    this.options.searchRateLimit = limit;
    this.searchTimes.length = 0;
  }

  authenticate(request: EmulatorRequest): void {
    // The OAuth endpoints take the app's credentials; the webhooks API the developer account's API key (checked by its routes).
    if (request.path.startsWith('/oauth/') || request.path.startsWith('/webhooks/')) return;
    const token = bearerToken(request);
    if (token === null) {
      throw new EmulatorError(
        errorAnswer(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview'),
      );
    }
    if (token === this.options.privateAppToken || this.options.isValidAccessToken(token)) return;
    if (this.oauth.issuedAccessTokens.has(token)) throw new EmulatorError(errorAnswer(401, 'EXPIRED_AUTHENTICATION', 'The OAuth token used to make this call expired.'));
    throw new EmulatorError(errorAnswer(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview'));
  }

  rateLimited(_request: EmulatorRequest, state: RateLimitState): EmulatorAnswer {
    return rateLimitAnswer('TEN_SECONDLY_ROLLING', 'You have reached your ten_secondly_rolling limit.', { ...this.intervalHeaders({ ...state, remaining: 0 }), ...this.dailyHeaders() });
  }

  internalError(): EmulatorAnswer {
    return errorAnswer(500, 'INTERNAL_ERROR', 'internal error');
  }

  answerHeaders(request: EmulatorRequest, state: RateLimitState | null): Record<string, string> {
    // HubSpot leaves its rate-limit headers off the search endpoints' answers.
    if (isSearch(request) || request.path.startsWith('/oauth/')) return {};
    return { ...(state ? this.intervalHeaders(state) : {}), ...this.dailyHeaders() };
  }

  handle(request: EmulatorRequest): EmulatorAnswer {
    if (!request.path.startsWith('/oauth/')) {
      if (this.dailyUsed >= this.options.dailyLimit) return rateLimitAnswer('DAILY', 'You have reached your daily limit.', this.dailyHeaders());
      this.dailyUsed++;
      if (isSearch(request)) this.admitSearch();
    }
    const answer = this.oauth.handle(request) ?? this.webhooks.handle(request) ?? this.crm.handle(request);
    if (!answer) throw unknownPath(request.method, request.path);
    return answer;
  }

  private admitSearch(): void {
    const limit = this.options.searchRateLimit;
    if (!limit) return;
    const now = Date.now();
    while (this.searchTimes.length > 0 && (this.searchTimes[0] as number) <= now - limit.windowMs) this.searchTimes.shift();
    if (this.searchTimes.length >= limit.requests) throw new EmulatorError(rateLimitAnswer('SECONDLY', 'You have reached your secondly limit.', {}));
    this.searchTimes.push(now);
  }

  private intervalHeaders(state: RateLimitState): Record<string, string> {
    return {
      'X-HubSpot-RateLimit-Max': String(state.limit),
      'X-HubSpot-RateLimit-Remaining': String(state.remaining),
      'X-HubSpot-RateLimit-Interval-Milliseconds': String(state.windowMs),
    };
  }

  private dailyHeaders(): Record<string, string> {
    return {
      'X-HubSpot-RateLimit-Daily': String(this.options.dailyLimit),
      'X-HubSpot-RateLimit-Daily-Remaining': String(Math.max(0, this.options.dailyLimit - this.dailyUsed)),
    };
  }
}
