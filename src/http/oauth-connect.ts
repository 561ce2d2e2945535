import { parseInput } from '../commands/parse-input.ts';
import { authorizeInput, callbackInput, completeOAuthConnect, startOAuthConnect } from '../commands/oauth-connect.ts';
import { getCredential } from '../queries/credentials.ts';
import { ok, queryObject, type RestRoutes } from './rest.ts';

/** The OAuth connect flow: consent URL for a person to open, then the provider's redirect back. */
export function oauthConnectRoutes(routes: RestRoutes): void {
  routes.on('GET', '/v1/oauth/:provider/authorize', async (req) =>
    ok(await startOAuthConnect(req.ctx, req.principal, req.params.provider ?? '', parseInput(authorizeInput, queryObject(req.query), 'query'))),
  );
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
