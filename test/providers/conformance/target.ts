/**
 * What a provider registers in the provider conformance suite (conformance.ts). Each provider
 * has one spec file, `test/providers/<provider>.conformance.e2e.spec.ts`, that calls
 * `describeConformance(target)`; nothing else in the suite knows the provider.
 */

import type { ProviderEmulator } from '../../../src/emulators/kit/provider-emulator.ts';
import type { EmulatorRateLimit } from '../../../src/emulators/kit/http-emulator.ts';
import type { RestClient } from '../../support/api.ts';
import type { ApiDescription } from '../../support/api-description/checker.ts';
import type { GraphqlDescription } from '../../support/api-description/graphql-checker.ts';

export interface MutationSample {
  /** e.g. `hubspot:contact`: a collection whose provider supports create, update and delete. */
  collectionId: string;
  /** `data` of one create item in POST /v1/mutations/run. */
  create: Record<string, unknown>;
  /** `data` of one update item (applied to the object just created). */
  update: Record<string, unknown>;
  /** true when `object` (as the emulator holds it) shows the update applied. */
  showsUpdate(object: Record<string, unknown>): boolean;
}

/** How the suite drives a provider's webhooks (issue 24; docs/PROVIDER-WEBHOOKS.md). */
export interface WebhookSample<Emulator extends ProviderEmulator = ProviderEmulator> {
  /** The collection the webhook part changes (one the sync holds). */
  collectionId: string;
  /** `webhooks` of POST /v1/syncs besides `enabled: true` (e.g. `signing_secret` where registration is manual). */
  settings?(emulator: Emulator): Record<string, unknown>;
  /**
   * Where the provider has no registration API (HubSpot): subscribes the emulator to `url` as a
   * person would in the provider's settings. Absent: Syncline registers through the emulator's API.
   */
  subscribe?(emulator: Emulator, url: string): void;
  /** Changes one object of `collectionId` upstream (the emulator sends its webhook) and answers its upstream id. */
  change(emulator: Emulator): string;
  /** Deletes one object of `collectionId` upstream (the emulator sends its webhook) and answers its upstream id. */
  remove(emulator: Emulator): string;
  /** The secret the emulator signs its deliveries to Syncline with (the registered endpoint's, or the app's). */
  secret(emulator: Emulator): string;
  /** A webhook for `upstreamId` exactly as the provider sends it, signed with `secret` (the suite forges with a wrong one). */
  request(emulator: Emulator, upstreamId: string, secret: string): { headers: Record<string, string>; body: string };
}

export interface ConformanceTarget<Emulator extends ProviderEmulator = ProviderEmulator> {
  /** The provider's registry name, e.g. `hubspot`. */
  provider: string;
  /** Collection ids the suite syncs, e.g. `['hubspot:contact', 'hubspot:company', 'hubspot:deal']`. */
  collections: string[];
  /** Starts the emulator seeded with about `objects` objects per collection. */
  startEmulator(options: { objects: number; randomSeed: number; rateLimit?: EmulatorRateLimit | null }): Promise<Emulator>;
  /**
   * Creates through the REST API what the credential needs (an OAuth app, a refresh token the
   * emulator issued…) and answers the body for `POST /v1/credentials`, pointing at the emulator.
   */
  credential(api: RestClient, emulator: Emulator): Promise<Record<string, unknown>>;
  /** The upstream id of an emulator object (what Syncline stores as `upstream_id`). */
  upstreamId(collectionId: string, object: Record<string, unknown>): string;
  /** For OAuth providers: makes every access token issued so far invalid, so the next request gets 401. */
  expireAccessTokens?(emulator: Emulator): void;
  /** How many refresh-token grants the emulator answered (for OAuth providers). */
  refreshGrants?(emulator: Emulator): number;
  mutation: MutationSample;
  /** For providers that send webhooks: the suite's webhook part runs. */
  webhooks?: WebhookSample<Emulator>;
  /**
   * The provider's own OpenAPI description (issue 25): every request the provider sends and every
   * answer the emulator gives during the suite is checked against it; allow-list entries say where
   * the description is wrong or incomplete.
   */
  apiDescription?: ApiDescription;
  /** The same for a GraphQL API: the provider's own schema (Shopify's Admin schema). */
  graphqlDescription?: GraphqlDescription;
  /**
   * A limit the provider's documentation gives, modelled by the emulator (issue 25): the suite
   * imposes it while upstream changes, and the sync must honour its answers and still converge.
   */
  documentedLimit?: {
    /** e.g. `GitHub's secondary rate limits`. */
    name: string;
    impose(emulator: Emulator): void;
    lift(emulator: Emulator): void;
    /** How many requests the limit has answered so far. */
    answered(emulator: Emulator): number;
  };
  /**
   * Optional: how a record's `data` compares with the emulator's object; default: equal as
   * canonical JSON. Providers whose list and change feeds return different projections of one
   * object (e.g. only requested properties) narrow the comparison here — and say why.
   */
  sameObject?(collectionId: string, recordData: Record<string, unknown>, upstream: Record<string, unknown>): boolean;
}
