/**
 * Where a webhook consumer may deliver (DESIGN.md §7b, docs/DELIVERY.md "Webhook consumers"): an
 * absolute http(s) URL without credentials, whose host the egress policy lets the server reach
 * (docs/EGRESS.md), over https — plain http only to addresses the operator allowed (loopback,
 * private networks listed in SYNCLINE_EGRESS_ALLOW) or anywhere with SYNCLINE_WEBHOOK_ALLOW_HTTP.
 * Checked when a consumer is created or its URL changed; nothing is sent to it here.
 */
import { z } from 'zod';
import { EgressRefusedError, UnprocessableError } from '../errors.ts';
import { addressRange, egressPolicy } from '../net/egress-policy.ts';
import ipaddr from 'ipaddr.js';
import type { Config } from '../config.ts';

export const webhookUrlInput = z.string().trim().min(1).max(2048);

const refuse = (code: string, message: string) => new UnprocessableError(code, message, [{ path: 'url', message }]);

/** A lookup that takes longer than this does not hold the request: the name is judged when delivering. */
const LOOKUP_TIMEOUT_MS = 3_000;

/** The addresses `host` resolves to, each allowed by the policy; null when the name cannot be resolved now. */
async function resolvedAddresses(config: Config, host: string): Promise<string[] | null> {
  const lookup = egressPolicy(config).resolve(host);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), LOOKUP_TIMEOUT_MS)));
  try {
    const addresses = await Promise.race([lookup, timeout]);
    return addresses?.map(({ address }) => address) ?? null;
  } catch (error) {
    if (error instanceof EgressRefusedError) throw Object.assign(error, { details: [{ path: 'url', message: error.message }] });
    return null; // not found, or DNS unavailable: the name may resolve by the time of delivery
  } finally {
    clearTimeout(timer);
    lookup.catch(() => {});
  }
}

const bare = (host: string) => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);
const isLoopbackName = (host: string) => host === 'localhost' || host.endsWith('.localhost');

/** The URL as stored (normalized), or a 422 naming what is wrong with it. */
export async function checkWebhookUrl(config: Config, given: string): Promise<string> {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw refuse('invalid_url', 'url must be an absolute URL, e.g. "https://example.com/webhooks/syncline"');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse('unsupported_url_scheme', `url must be https:// (or http://), not ${url.protocol}//`);
  if (url.username !== '' || url.password !== '') {
    throw refuse('url_credentials', 'url must not carry credentials (user:password@): send them as a header, e.g. "authorization"');
  }
  if (url.hostname === '' || url.port === '0') throw refuse('invalid_url', 'url needs a host and a port other than 0');
  const host = bare(url.hostname).replace(/\.$/, '');
  // RFC 6761: names under .invalid never resolve.
  if (host === 'invalid' || host.endsWith('.invalid')) throw refuse('unresolvable_host', `${url.hostname} can never be resolved (.invalid)`);
  const policy = egressPolicy(config);
  const addresses = await resolvedAddresses(config, url.hostname);
  if (url.protocol === 'http:' && !config.SYNCLINE_WEBHOOK_ALLOW_HTTP) {
    // Plain http keeps to the operator's own networks: every address special-purpose (so allowed by SYNCLINE_EGRESS_ALLOW).
    const internal = policy.allowsName(host) || isLoopbackName(host) || (addresses !== null && addresses.every((address) => addressRange(ipaddr.parse(address.replace(/%.*$/, ''))) !== 'unicast'));
    if (!internal) {
      throw refuse('https_required', `url must be https://: plain http only to loopback or to hosts SYNCLINE_EGRESS_ALLOW allows (or with SYNCLINE_WEBHOOK_ALLOW_HTTP)`);
    }
  }
  return url.href;
}
