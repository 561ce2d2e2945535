/**
 * The fetch that sends every request the product makes on a tenant's behalf (providers, OAuth
 * token endpoints, webhooks): undici's own fetch over one keep-alive Agent per egress policy,
 * whose connector checks every connection against the policy (src/net/egress-policy.ts).
 *
 * - A host name is resolved by the connection's own lookup, every address is checked, and the
 *   socket connects to the addresses that lookup answered: no second resolution happens between
 *   the check and the connect (DNS rebinding). An IP literal is checked before connecting.
 * - Redirects are followed by fetch as before, but each hop opens its connection through the
 *   same connector: a redirect to a refused address fails like a direct request.
 * - TLS keeps verifying the original host name (undici derives the server name from the URL).
 * - A refusal fails the request with EgressRefusedError itself (not fetch's "fetch failed").
 */
import type { LookupAddress, LookupOptions } from 'node:dns';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import { EgressRefusedError } from '../errors.ts';
import { egressPolicy, type EgressPolicy } from './egress-policy.ts';

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for net.connect that answers only addresses the policy allows. */
export function checkedLookup(policy: EgressPolicy) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    policy.resolve(hostname, { family: typeof options.family === 'number' ? options.family : 0, ...(options.hints ? { hints: options.hints } : {}) }).then(
      (addresses) => (options.all ? callback(null, addresses) : callback(null, addresses[0]!.address, addresses[0]!.family)),
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

function egressAgent(policy: EgressPolicy): Agent {
  const connectChecked = buildConnector({ lookup: checkedLookup(policy) } as buildConnector.BuildOptions);
  return new Agent({
    connect(options, callback) {
      // net.connect skips the lookup for an IP literal: check it here.
      try {
        policy.checkLiteral(options.hostname);
      } catch (error) {
        return callback(error as Error, null);
      }
      connectChecked(options, callback);
    },
  });
}

/** fetch wraps connect errors as `TypeError('fetch failed', {cause})`: hand on the refusal itself. */
function refusalOf(error: unknown): EgressRefusedError | null {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 4; cause = cause.cause, depth++) {
    if (cause instanceof EgressRefusedError) return cause;
  }
  return null;
}

function policyFetch(agent: Agent): typeof globalThis.fetch {
  const send = undiciFetch as unknown as (input: string | URL, init: RequestInit & { dispatcher: Agent }) => Promise<Response>;
  return async function egressFetch(input, init) {
    const url = input instanceof Request ? input.url : input;
    const fromRequest: RequestInit = input instanceof Request ? { method: input.method, headers: input.headers, signal: input.signal, ...(input.body ? { body: input.body, duplex: 'half' } : {}) } : {};
    try {
      return await send(url, { ...fromRequest, ...init, dispatcher: agent });
    } catch (error) {
      throw refusalOf(error) ?? error;
    }
  };
}

const agents = new Map<EgressPolicy, Agent>();
const fetches = new Map<EgressPolicy, typeof globalThis.fetch>();

/**
 * The Agent (connector and keep-alive pool) of the configured policy, one per process and policy,
 * for undici's `request` where fetch's overhead matters (webhook deliveries: several times the
 * cost per request). A connection refused by the policy fails with EgressRefusedError as its error
 * or its cause; `request` follows no redirect.
 */
export function egressDispatcher(config: { SYNCLINE_EGRESS_ALLOW: string }): Agent {
  const policy = egressPolicy(config);
  let agent = agents.get(policy);
  if (!agent) {
    agent = egressAgent(policy);
    agents.set(policy, agent);
  }
  return agent;
}

/** The egress fetch of the configured policy, over `egressDispatcher`'s Agent. */
export function egressFetch(config: { SYNCLINE_EGRESS_ALLOW: string }): typeof globalThis.fetch {
  const policy = egressPolicy(config);
  let fetch = fetches.get(policy);
  if (!fetch) {
    fetch = policyFetch(egressDispatcher(config));
    fetches.set(policy, fetch);
  }
  return fetch;
}
