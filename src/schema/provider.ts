import { credentialKinds } from '../domain/credentials/kinds.ts';
import { requiredFields } from '../queries/providers.ts';
import type { CollectionSpec, Provider as ProviderModel, ProviderOAuth as ProviderOAuthModel } from '../sync/providers/provider.ts';
import { providers } from '../sync/providers/registry.ts';
import { builder, requirePrincipal } from './builder.ts';

const ProviderCollection = builder.objectRef<CollectionSpec>('ProviderCollection').implement({
  fields: (t) => ({
    id: t.exposeString('id'),
    name: t.exposeString('name'),
    mutations: t.stringList({ resolve: (c) => c.mutations }),
  }),
});

/** A credential kind, by its name. */
const CredentialKind = builder.objectRef<string>('CredentialKind').implement({
  fields: (t) => ({
    kind: t.string({ resolve: (kind) => kind }),
    required: t.stringList({ resolve: (kind) => requiredFields(kind) }),
    needsOAuthApp: t.boolean({ resolve: (kind) => credentialKinds[kind]?.requiresOAuthApp ?? false }),
  }),
});

const ProviderOAuth = builder.objectRef<ProviderOAuthModel>('ProviderOAuth').implement({
  description: 'The OAuth connect flow of a provider: GET /v1/oauth/{provider}/authorize creates a credential of this kind.',
  fields: (t) => ({
    credentialKind: t.exposeString('credentialKind'),
    defaultScopes: t.exposeStringList('defaultScopes'),
  }),
});

const Provider = builder.objectRef<ProviderModel>('Provider').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    displayName: t.exposeString('displayName'),
    collections: t.field({ type: [ProviderCollection], resolve: (p) => p.collections }),
    credentialKinds: t.field({ type: [CredentialKind], resolve: (p) => p.credentialKinds }),
    oauth: t.field({ type: ProviderOAuth, nullable: true, resolve: (p) => p.oauth ?? null }),
    webhooks: t.boolean({ description: 'Sends signed webhooks a sync can take (docs/PROVIDER-WEBHOOKS.md).', resolve: (p) => p.webhooks !== undefined }),
  }),
});

builder.queryFields((t) => ({
  providers: t.field({
    type: [Provider],
    resolve: (_root, _args, ctx) => {
      requirePrincipal(ctx);
      return providers;
    },
  }),
}));
