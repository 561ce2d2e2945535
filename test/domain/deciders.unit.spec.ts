import { DeciderSpecification } from '@event-driven-io/emmett';
import { describe, it } from 'vitest';
import { accountDecider } from '../../src/domain/accounts/decide.ts';
import { credentialDecider } from '../../src/domain/credentials/decide.ts';
import { streamDecider } from '../../src/domain/streams/decide.ts';
import { ConflictError, NotFoundError } from '../../src/errors.ts';

const now = new Date('2026-01-01T00:00:00.000Z');
const metadata = { now };
const at = now.toISOString();

describe('stream decider', () => {
  const given = DeciderSpecification.for(streamDecider);
  const created = { type: 'StreamCreated' as const, data: { streamId: 's1', accountId: 'a1', name: 'dev', createdAt: at } };

  it('creates a stream once', () => {
    given([])
      .when({ type: 'CreateStream', data: { streamId: 's1', accountId: 'a1', name: 'dev' }, metadata })
      .then([created]);
    given([created])
      .when({ type: 'CreateStream', data: { streamId: 's1', accountId: 'a1', name: 'dev' }, metadata })
      .thenThrows((e) => e instanceof ConflictError);
  });

  it("deletes only the owner's stream", () => {
    given([created])
      .when({ type: 'DeleteStream', data: { streamId: 's1', accountId: 'a2' }, metadata })
      .thenThrows((e) => e instanceof NotFoundError);
    given([created])
      .when({ type: 'DeleteStream', data: { streamId: 's1', accountId: 'a1' }, metadata })
      .then([{ type: 'StreamDeleted', data: { streamId: 's1', accountId: 'a1', deletedAt: at } }]);
  });
});

describe('account decider', () => {
  const given = DeciderSpecification.for(accountDecider);
  const token = { tokenId: 't1', name: 'first', tokenHash: 'h', prefix: 'syn_abcd' };
  const history = [
    { type: 'AccountCreated' as const, data: { accountId: 'a1', name: 'acme', isRoot: false, createdAt: at } },
    { type: 'ApiTokenCreated' as const, data: { accountId: 'a1', ...token, createdAt: at } },
  ];

  it('creates the account with its first token', () => {
    given([])
      .when({ type: 'CreateAccount', data: { accountId: 'a1', name: 'acme', isRoot: false, firstToken: token }, metadata })
      .then(history);
  });

  it('revokes a token once and ignores a second revoke', () => {
    const revoked = { type: 'ApiTokenRevoked' as const, data: { accountId: 'a1', tokenId: 't1', revokedAt: at } };
    given(history).when({ type: 'RevokeApiToken', data: { accountId: 'a1', tokenId: 't1' }, metadata }).then([revoked]);
    given([...history, revoked]).when({ type: 'RevokeApiToken', data: { accountId: 'a1', tokenId: 't1' }, metadata }).then([]);
    given(history)
      .when({ type: 'RevokeApiToken', data: { accountId: 'a1', tokenId: 'other' }, metadata })
      .thenThrows((e) => e instanceof NotFoundError);
  });

  it('records the root token\'s limit overrides of an existing account', () => {
    const limits = { maxSyncs: 500, maxConsumers: 20 }; // (null, the default, is beyond the spec's subset check)
    given(history)
      .when({ type: 'SetAccountLimits', data: { accountId: 'a1', limits }, metadata })
      .then([{ type: 'AccountLimitsSet', data: { accountId: 'a1', limits, setAt: at } }]);
    given([])
      .when({ type: 'SetAccountLimits', data: { accountId: 'a1', limits }, metadata })
      .thenThrows((e) => e instanceof NotFoundError);
  });
});

describe('credential decider', () => {
  const given = DeciderSpecification.for(credentialDecider);
  // Non-null values: Emmett's subset assertion does not descend into nulls.
  const fields = { kind: 'stripe', name: 'c', oauthAppId: 'o1', apiBaseUrl: 'http://x', metadata: { a: 1 }, secretsSealed: 'v1.x', secretHints: { access_token: 'sk_…' } };

  it("updates and deletes only the owner's credential", () => {
    const added = { type: 'CredentialAdded' as const, data: { credentialId: 'c1', accountId: 'a1', addedAt: at, ...fields } };
    given([added])
      .when({ type: 'UpdateCredential', data: { credentialId: 'c1', accountId: 'a1', ...fields, name: 'n' }, metadata })
      .then([{ type: 'CredentialUpdated', data: { credentialId: 'c1', accountId: 'a1', updatedAt: at, ...fields, name: 'n' } }]);
    given([added])
      .when({ type: 'DeleteCredential', data: { credentialId: 'c1', accountId: 'other' }, metadata })
      .thenThrows((e) => e instanceof NotFoundError);
  });
});
