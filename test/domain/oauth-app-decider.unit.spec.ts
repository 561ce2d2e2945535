import { DeciderSpecification } from '@event-driven-io/emmett';
import { describe, it } from 'vitest';
import { oauthAppDecider, type OAuthAppCommand } from '../../src/domain/oauth-apps/decide.ts';
import type { OAuthAppEvent } from '../../src/domain/oauth-apps/events.ts';
import { AppError, InvariantError } from '../../src/errors.ts';
import { refused } from './refused.ts';

const now = new Date('2026-01-01T00:00:00.000Z');
const metadata = { now };
const at = now.toISOString();
const ref = { oauthAppId: 'o1', accountId: 'a1' };
const app = { provider: 'hubspot', clientId: 'client-1', clientSecretSealed: 'v1.sealed', clientSecretHint: 'sec…et' };

const created: OAuthAppEvent = { type: 'OAuthAppCreated', data: { ...ref, ...app, createdAt: at } };
const deleted: OAuthAppEvent = { type: 'OAuthAppDeleted', data: { ...ref, deletedAt: at } };

describe('OAuth app decider', () => {
  const given = DeciderSpecification.for(oauthAppDecider);

  describe('CreateOAuthApp', () => {
    const create = { type: 'CreateOAuthApp' as const, data: { ...ref, ...app }, metadata };

    it('registers an OAuth app with its sealed secret', () => {
      given([]).when(create).then([created]);
    });

    it('refuses an id already used, even by a deleted app', () => {
      given([created]).when(create).thenThrows(refused(409, 'oauth_app_exists'));
      given([created, deleted]).when(create).thenThrows(refused(409, 'oauth_app_exists'));
    });
  });

  describe('DeleteOAuthApp', () => {
    const remove = { type: 'DeleteOAuthApp' as const, data: ref, metadata };

    it('deletes an OAuth app', () => {
      given([created]).when(remove).then([deleted]);
    });

    it("refuses a missing, already deleted or another account's app", () => {
      given([]).when(remove).thenThrows(refused(404, 'not_found'));
      given([created, deleted]).when(remove).thenThrows(refused(404, 'not_found'));
      given([created]).when({ ...remove, data: { ...ref, accountId: 'a2' } }).thenThrows(refused(404, 'not_found'));
    });
  });

  it('fails on a command of a type it does not know, as a bug (a logged 500), not a refusal', () => {
    const bogus = { type: 'RotateOAuthAppSecret', data: ref, metadata } as unknown as OAuthAppCommand;
    given([created]).when(bogus).thenThrows((e) => e instanceof InvariantError && !(e instanceof AppError) && e.code === 'unknown_command');
  });

  it('reads past an event type this release does not know', () => {
    const future = { type: 'OAuthAppSecretRotated', data: { ...ref, at } } as unknown as OAuthAppEvent;
    given([created, future]).when({ type: 'DeleteOAuthApp', data: ref, metadata }).then([deleted]);
  });
});
