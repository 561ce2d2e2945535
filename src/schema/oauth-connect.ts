import { authorizeInput, startOAuthConnect } from '../commands/oauth-connect.ts';
import { parseInput } from '../commands/parse-input.ts';
import { builder, requirePrincipal } from './builder.ts';
import { rawId } from './ids.ts';

type Started = Awaited<ReturnType<typeof startOAuthConnect>>;

const OAuthConnect = builder.objectRef<Started>('OAuthConnect').implement({
  description: 'Open `authorizeUrl` in a browser; the provider sends it back to `redirectUri`, which creates the credential.',
  fields: (t) => ({
    provider: t.exposeString('provider'),
    authorizeUrl: t.exposeString('authorize_url'),
    state: t.exposeString('state'),
    expiresAt: t.exposeString('expires_at'),
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
    resolve: (_root, args, ctx) => {
      const input = parseInput(
        authorizeInput,
        {
          oauth_app_id: rawId(args.oauthAppId) ?? String(args.oauthAppId),
          redirect_uri: args.redirectUri,
          ...(args.apiBaseUrl ? { api_base_url: args.apiBaseUrl } : {}),
          ...(args.scopes ? { scopes: args.scopes } : {}),
          ...(args.name ? { name: args.name } : {}),
          ...(args.returnTo ? { return_to: args.returnTo } : {}),
        },
        'input',
      );
      return startOAuthConnect(ctx.app, requirePrincipal(ctx), args.provider, input);
    },
  }),
}));
