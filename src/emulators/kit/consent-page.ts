import type { EmulatorAnswer } from './http-emulator.ts';
import type { OAuthIssuer } from './oauth-issuer.ts';

export type Consent =
  | { ok: true; code: string; scopes: string[]; answer: EmulatorAnswer }
  /** Why the page cannot send the browser back; each emulator answers it in its provider's shape. */
  | { ok: false; refused: 'redirect_uri' | 'response_type' | 'client_id'; clientId: string };

/**
 * An emulator's OAuth consent page: it approves at once, answering a 302 to `redirect_uri` with
 * `code` (and `state` when given).
 */
export function approveAtOnce(
  issuer: OAuthIssuer,
  query: URLSearchParams,
  options: { requireCodeResponseType?: boolean; defaultScope?: string } = {},
): Consent {
  const clientId = query.get('client_id') ?? '';
  const redirectUri = query.get('redirect_uri') ?? '';
  let target: URL;
  try {
    target = new URL(redirectUri);
  } catch {
    return { ok: false, refused: 'redirect_uri', clientId };
  }
  if (options.requireCodeResponseType && query.get('response_type') !== 'code') return { ok: false, refused: 'response_type', clientId };
  const scopes = (query.get('scope') ?? options.defaultScope ?? '').split(/[\s+]+/).filter((s) => s !== '');
  const code = issuer.issueCode(clientId, redirectUri, scopes);
  if (!code) return { ok: false, refused: 'client_id', clientId };
  target.searchParams.set('code', code);
  const state = query.get('state');
  if (state !== null) target.searchParams.set('state', state);
  return { ok: true, code, scopes, answer: { status: 302, headers: { Location: target.toString(), 'Content-Type': 'text/plain; charset=utf-8' }, body: `Redirecting to ${target.toString()}` } };
}
