import { authorizeInput, startOAuthConnect, type OAuthConnectStart } from '../commands/oauth-connect.ts';
import { parseInput } from '../commands/parse-input.ts';
import { builder, requirePrincipal } from './builder.ts';
import { idInput } from './ids.ts';

const OAuthConnect = builder.objectRef<OAuthConnectStart>('OAuthConnect').implement({
  description: 'Open `authorizeUrl` in a browser; the provider sends it back to `redirectUri`, which creates the credential.',
  fields: (t) => ({
    provider: t.exposeString('provider'),
    authorizeUrl: t.exposeString('authorizeUrl'),
    state: t.exposeString('state'),
    expiresAt: t.string({ resolve: (start) => start.expiresAt.toISOString() }),
  }),
});

builder.mutationFields((t) => ({
  startOAuthConnect: t.field({
    type: OAuthConnect,
    description: 'Step 1 of the OAuth connect flow (REST: GET /v1/oauth/{provider}/authorize).',
    args: {
      provider: t.arg.string({ required: true }),
      oauthAppId: t.arg.id({ required: true }),
      redirectUri: t.arg.string({ required: true }),
      apiBaseUrl: t.arg.string({ required: false }),
      scopes: t.arg.string({ required: false }),
      name: t.arg.string({ required: false }),
      returnTo: t.arg.string({ required: false }),
    },
    resolve: (_root, { provider, oauthAppId, redirectUri, ...optional }, ctx) => {
      // An optional argument given empty counts as not given.
      const given = Object.fromEntries(Object.entries(optional).filter(([, value]) => value));
      const input = parseInput(authorizeInput, { ...given, oauthAppId: idInput(oauthAppId), redirectUri }, 'input');
      return startOAuthConnect(ctx.app, requirePrincipal(ctx), provider, input);
    },
  }),
}));
