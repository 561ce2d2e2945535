import { listProviders } from '../queries/providers.ts';
import { builder, requirePrincipal } from './builder.ts';

type ProviderView = ReturnType<typeof listProviders>[number];

const ProviderCollection = builder.objectRef<ProviderView['collections'][number]>('ProviderCollection').implement({
  fields: (t) => ({
    id: t.exposeString('id'),
    name: t.exposeString('name'),
    mutations: t.exposeStringList('mutations'),
  }),
});

const CredentialKind = builder.objectRef<ProviderView['credential_kinds'][number]>('CredentialKind').implement({
  fields: (t) => ({
    kind: t.exposeString('kind'),
    required: t.exposeStringList('required'),
    needsOAuthApp: t.exposeBoolean('needs_oauth_app'),
  }),
});

const ProviderOAuth = builder.objectRef<NonNullable<ProviderView['oauth']>>('ProviderOAuth').implement({
  description: 'The OAuth connect flow of a provider: GET /v1/oauth/{provider}/authorize creates a credential of this kind.',
  fields: (t) => ({
    credentialKind: t.exposeString('credential_kind'),
    defaultScopes: t.exposeStringList('default_scopes'),
  }),
});

const Provider = builder.objectRef<ProviderView>('Provider').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    displayName: t.exposeString('display_name'),
    collections: t.field({ type: [ProviderCollection], resolve: (p) => p.collections }),
    credentialKinds: t.field({ type: [CredentialKind], resolve: (p) => p.credential_kinds }),
    oauth: t.field({ type: ProviderOAuth, nullable: true, resolve: (p) => p.oauth }),
  }),
});

builder.queryFields((t) => ({
  providers: t.field({
    type: [Provider],
    resolve: (_root, _args, ctx) => {
      requirePrincipal(ctx);
      return listProviders();
    },
  }),
}));
