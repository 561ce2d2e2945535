import { parseInput } from '../commands/parse-input.ts';
import { authorizeInput, callbackInput, completeOAuthConnect, startOAuthConnect, type OAuthConnectStart } from '../commands/oauth-connect.ts';
import { getCredential } from '../queries/credentials.ts';
import { restCommand } from './rest-input.ts';
import { ok, queryObject, type RestRoutes } from './rest.ts';

const presentStart = (start: OAuthConnectStart) => ({
  provider: start.provider,
  authorize_url: start.authorizeUrl,
  state: start.state,
  expires_at: start.expiresAt.toISOString(),
});

/** The OAuth connect flow: consent URL for a person to open, then the provider's redirect back. */
export function oauthConnectRoutes(routes: RestRoutes): void {
  routes.on('GET', '/v1/oauth/:provider/authorize', async (req) =>
    ok(presentStart(await restCommand(authorizeInput, queryObject(req.query), (input) => startOAuthConnect(req.ctx, req.principal, req.params.provider ?? '', input), 'query'))),
  );
  // The provider's redirect: its parameters are OAuth's (`error_description`), not this API's.
  routes.onPublic('GET', '/v1/oauth/:provider/callback', async (req) => {
    const done = await completeOAuthConnect(req.ctx, req.params.provider ?? '', parseInput(callbackInput, queryObject(req.query), 'query'));
    if (done.returnTo) {
      const target = new URL(done.returnTo);
      target.searchParams.set('credential_id', done.credentialId);
      return { status: 302, headers: { location: target.href } };
    }
    return ok(await getCredential(req.ctx, done.principal, done.credentialId), 201);
  });
}
