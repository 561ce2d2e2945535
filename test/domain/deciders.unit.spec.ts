import { DeciderSpecification } from '@event-driven-io/emmett';
import { describe, it } from 'vitest';
import { accountDecider } from '../../src/domain/accounts/decide.ts';
import { credentialDecider } from '../../src/domain/credentials/decide.ts';
import { streamDecider } from '../../src/domain/streams/decide.ts';
import { ConflictError, NotFoundError } from '../../src/errors.ts';
import { refused } from './refused.ts';

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

  it('refuses a second account under the same id', () => {
    given(history)
      .when({ type: 'CreateAccount', data: { accountId: 'a1', name: 'acme', isRoot: false, firstToken: token }, metadata })
      .thenThrows(refused(409, 'account_exists'));
  });

  it('adds tokens to an existing account only', () => {
    const second = { tokenId: 't2', name: 'ci', tokenHash: 'h2', prefix: 'syn_efgh' };
    given(history)
      .when({ type: 'CreateApiToken', data: { accountId: 'a1', ...second }, metadata })
      .then([{ type: 'ApiTokenCreated', data: { accountId: 'a1', ...second, createdAt: at } }]);
    given([])
      .when({ type: 'CreateApiToken', data: { accountId: 'a1', ...second }, metadata })
      .thenThrows(refused(404, 'not_found'));
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

  it('adds a credential once', () => {
    const add = { type: 'AddCredential' as const, data: { credentialId: 'c1', accountId: 'a1', ...fields }, metadata };
    const added = { type: 'CredentialAdded' as const, data: { credentialId: 'c1', accountId: 'a1', addedAt: at, ...fields } };
    given([]).when(add).then([added]);
    given([added]).when(add).thenThrows(refused(409, 'credential_exists'));
    given([added, { type: 'CredentialDeleted', data: { credentialId: 'c1', accountId: 'a1', deletedAt: at } }])
      .when(add)
      .thenThrows(refused(409, 'credential_exists'));
  });

  it("records refreshed tokens of the owner's live credential only", () => {
    const added = { type: 'CredentialAdded' as const, data: { credentialId: 'c1', accountId: 'a1', addedAt: at, ...fields } };
    const tokens = { secretsSealed: 'v1.y', secretHints: { access_token: 'pat-…' }, metadata: { expires_at: '2026-01-01T01:00:00.000Z' } };
    given([added])
      .when({ type: 'RecordRefreshedTokens', data: { credentialId: 'c1', accountId: 'a1', ...tokens }, metadata })
      .then([{ type: 'CredentialTokensRefreshed', data: { credentialId: 'c1', accountId: 'a1', refreshedAt: at, ...tokens } }]);
    given([added, { type: 'CredentialDeleted', data: { credentialId: 'c1', accountId: 'a1', deletedAt: at } }])
      .when({ type: 'RecordRefreshedTokens', data: { credentialId: 'c1', accountId: 'a1', ...tokens }, metadata })
      .thenThrows(refused(404, 'not_found'));
  });
});
