import { z } from 'zod';
import { parseInput } from '../commands/parse-input.ts';
import { authorizeInput, callbackInput, completeOAuthConnect, startOAuthConnect, type OAuthConnectStart } from '../commands/oauth-connect.ts';
import { getCredential } from '../queries/credentials.ts';
import { credentialView, oauthConnectStartView } from './openapi/responses.ts';
import { restCommand, restSchema } from './rest-input.ts';
import { ok, queryObject, type RestRoutes } from './rest.ts';

const presentStart = (start: OAuthConnectStart): z.output<typeof oauthConnectStartView> => ({
  provider: start.provider,
  authorize_url: start.authorizeUrl,
  state: start.state,
  expires_at: start.expiresAt.toISOString(),
});

const providerParam = z.object({ provider: z.string().meta({ description: 'a provider with an OAuth connect flow (`GET /v1/providers`: `oauth`)' }) });
const authorizeQuery = restSchema(authorizeInput);

/** The OAuth connect flow: consent URL for a person to open, then the provider's redirect back. */
export function oauthConnectRoutes(routes: RestRoutes): void {
  routes.on(
    'GET',
    '/v1/oauth/:provider/authorize',
    {
      summary: 'Start the OAuth connect flow',
      description: "Answers the provider's consent URL; the provider then sends the browser to `redirect_uri` (this server's callback) with a code.",
      params: providerParam,
      query: authorizeQuery,
      answers: { 200: { description: 'the consent URL to open and its sealed state', body: oauthConnectStartView } },
      errors: { 422: '`unknown_provider`, `oauth_not_supported`, `invalid_oauth_app`' },
    },
    async (req) =>
      ok(presentStart(await restCommand(authorizeInput, queryObject(req.query), (input) => startOAuthConnect(req.ctx, req.principal, req.params.provider ?? '', input), 'query'))),
  );
  // The provider's redirect: its parameters are OAuth's (`error_description`), not this API's.
  routes.onPublic(
    'GET',
    '/v1/oauth/:provider/callback',
    {
      summary: "The provider's redirect back (no API token: the sealed state authenticates it)",
      description: 'Exchanges the code for tokens and creates the credential. States are single-use.',
      params: providerParam,
      query: callbackInput,
      answers: {
        201: { description: 'the credential created', body: credentialView },
        302: {
          description: 'with `return_to`: the browser is sent there, `?credential_id=…` appended',
          headers: z.object({ location: z.url() }),
        },
      },
      errors: {
        400: '`invalid_oauth_state`, `oauth_state_used`, `oauth_state_expired`, `oauth_denied`, `oauth_code_missing`',
        422: '`unknown_provider`, `oauth_not_supported`, `invalid_oauth_app`, `oauth_exchange_failed`, `egress_refused`',
      },
    },
    async (req) => {
      const done = await completeOAuthConnect(req.ctx, req.params.provider ?? '', parseInput(callbackInput, queryObject(req.query), 'query'));
      if (done.returnTo) {
        const target = new URL(done.returnTo);
        target.searchParams.set('credential_id', done.credentialId);
        return { status: 302, headers: { location: target.href } };
      }
      return ok(await getCredential(req.ctx, done.principal, done.credentialId), 201);
    },
  );
}
