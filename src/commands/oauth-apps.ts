import { z } from 'zod';
import { secretHint } from '../crypto/secret-box.ts';
import { oauthAppDecider } from '../domain/oauth-apps/decide.ts';
import type { AppContext, Principal } from '../app-context.ts';
import { commandHandler } from './handle.ts';

const handleOAuthApp = commandHandler('oauthapp', oauthAppDecider);

export const createOAuthAppInput = z
  .object({
    provider: z.string().trim().min(1).max(50),
    clientId: z.string().min(1).max(500),
    clientSecret: z.string().min(1).max(2000),
  })
  .strict();

export async function createOAuthApp(ctx: AppContext, principal: Principal, input: z.infer<typeof createOAuthAppInput>): Promise<string> {
  const oauthAppId = ctx.newId();
  await handleOAuthApp(ctx.eventStore, oauthAppId, {
    type: 'CreateOAuthApp',
    data: {
      oauthAppId,
      accountId: principal.accountId,
      provider: input.provider,
      clientId: input.clientId,
      clientSecretSealed: ctx.secretBox.seal(input.clientSecret),
      clientSecretHint: secretHint(input.clientSecret),
    },
    metadata: { now: ctx.now() },
  });
  return oauthAppId;
}

export async function deleteOAuthApp(ctx: AppContext, principal: Principal, oauthAppId: string): Promise<void> {
  await handleOAuthApp(ctx.eventStore, oauthAppId, {
    type: 'DeleteOAuthApp',
    data: { oauthAppId, accountId: principal.accountId },
    metadata: { now: ctx.now() },
  });
}
