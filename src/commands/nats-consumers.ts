import { nkeys } from 'nats';
import { z } from 'zod';
import { secretHint } from '../crypto/secret-box.ts';
import { natsConsumerDecider } from '../domain/nats-consumers/decide.ts';
import type { NatsConsumerSettings, NatsSecrets, NatsServerSettings } from '../domain/nats-consumers/events.ts';
import { ConflictError, NotFoundError, UnprocessableError, type ErrorDetail } from '../errors.ts';
import type { NatsConsumer } from '../generated/prisma/client.ts';
import { SUBJECT_PREFIX_PATTERN } from '../consumers/nats/subject.ts';
import { egressPolicy } from '../net/egress-policy.ts';
import type { AppContext, Principal } from '../app-context.ts';
import { sinkConsumerCommandHandler } from './handle.ts';
import { assertQuotaRoom, createWithinQuota } from './account-quotas.ts';
import { startOptions } from '../domain/consumer-selection.ts';
import {
  messageInputFields,
  messageShapeOfInput,
  resolveSelection,
  resolveStartIdx,
  selectionInputFields,
  startPositionInputFields,
  startPositionOf,
  type ResetInput,
} from './consumer-selection.ts';

const handleNatsConsumer = sinkConsumerCommandHandler('nats-consumer', natsConsumerDecider);

const secretValue = z.string().min(1).max(10_000);
const natsServerFields = {
  /** A host name or IP address: no scheme, no port (`port` is separate). */
  host: z
    .string()
    .trim()
    .min(1)
    .max(255)
    .regex(/^(?:[A-Za-z0-9_.-]+|\[?[0-9A-Fa-f:.]+\]?)$/, 'a host name or IP address, without scheme or port'),
  port: z.number().int().min(1).max(65_535),
  tls: z.boolean(),
  user: z.string().min(1).max(1000),
  jwt: secretValue,
  nkeySeed: secretValue,
  password: secretValue,
  token: secretValue,
};

const natsInput = z
  .object({
    host: natsServerFields.host,
    port: natsServerFields.port.default(4222),
    tls: natsServerFields.tls.default(false),
    user: natsServerFields.user.nullish(),
    jwt: natsServerFields.jwt.nullish(),
    nkeySeed: natsServerFields.nkeySeed.nullish(),
    password: natsServerFields.password.nullish(),
    token: natsServerFields.token.nullish(),
  })
  .strict();

/** PATCH: the fields given replace the stored ones (`null` removes a secret or the user), others are kept. */
const natsPatchInput = z
  .object({
    host: natsServerFields.host,
    port: natsServerFields.port,
    tls: natsServerFields.tls,
    user: natsServerFields.user.nullable(),
    jwt: natsServerFields.jwt.nullable(),
    nkeySeed: natsServerFields.nkeySeed.nullable(),
    password: natsServerFields.password.nullable(),
    token: natsServerFields.token.nullable(),
  })
  .partial()
  .strict();

const consumerFields = {
  name: z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9 _.:-]*$/, 'letters, digits, spaces, "_", "-", ":" and "." only'),
  subjectPrefix: z
    .string()
    .min(1)
    .max(200)
    .regex(SUBJECT_PREFIX_PATTERN, 'NATS subject tokens (letters, digits, "_", "-") separated by "." (no wildcards)'),
};

/**
 * The seed shape (REST: `{sync_id?, stream_id?, name, subject_prefix, deliver_policy, nats:{…}}`),
 * with the filter and start position every consumer kind takes (DESIGN.md §7b).
 */
export const createNatsConsumerInput = z
  .object({
    name: consumerFields.name,
    ...selectionInputFields,
    /** Default `sequin-records`, or `syncline-events` for change events. */
    subjectPrefix: consumerFields.subjectPrefix.nullish(),
    ...startPositionInputFields,
    ...messageInputFields,
    nats: natsInput,
  })
  .strict();
export type CreateNatsConsumerInput = z.infer<typeof createNatsConsumerInput>;

/** The stream, the filter and the start are fixed at creation (a reset moves the start): a new consumer changes them. */
export const updateNatsConsumerInput = z
  .object({ name: consumerFields.name, subjectPrefix: consumerFields.subjectPrefix, nats: natsPatchInput })
  .partial()
  .strict();
export type UpdateNatsConsumerInput = z.infer<typeof updateNatsConsumerInput>;

type NatsConnectionInput = z.infer<typeof natsInput>;

function isNkeySeed(seed: string): boolean {
  try {
    (nkeys as { fromSeed(seed: Uint8Array): unknown }).fromSeed(new TextEncoder().encode(seed));
    return true;
  } catch {
    return false;
  }
}

/** One way to authenticate, complete: a token, a user and password, or an nkey seed (with a JWT for decentralized auth). */
function authProblems(nats: NatsConnectionInput): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const methods = [nats.token ? 'token' : null, nats.user || nats.password ? 'user/password' : null, nats.jwt || nats.nkeySeed ? 'jwt/nkey_seed' : null];
  const given = methods.filter((m) => m !== null);
  if (given.length > 1) problems.push({ path: 'nats', message: `give one way to authenticate, not ${given.join(' and ')}` });
  if (nats.jwt && !nats.nkeySeed) problems.push({ path: 'nats.nkeySeed', message: 'jwt needs the nkey_seed of the same user to sign the server nonce' });
  if (nats.nkeySeed && !isNkeySeed(nats.nkeySeed)) problems.push({ path: 'nats.nkeySeed', message: 'not a NATS nkey seed (the "SU…" line of a .creds file)' });
  if (nats.password && !nats.user) problems.push({ path: 'nats.user', message: 'password needs user' });
  if (nats.user && !nats.password) problems.push({ path: 'nats.password', message: 'user needs password' });
  return problems;
}

function toSettings(ctx: AppContext, input: { name: string; syncId: string | null; subjectPrefix: string; nats: NatsConnectionInput }): NatsConsumerSettings {
  const problems = authProblems(input.nats);
  if (problems.length > 0) throw new UnprocessableError('invalid_nats_config', 'the nats connection settings are incomplete or inconsistent', problems);
  // Sealed under their stored names (`nkey_seed`): the publisher opens them as the event holds them.
  const given = { jwt: input.nats.jwt, nkey_seed: input.nats.nkeySeed, password: input.nats.password, token: input.nats.token };
  const secrets: NatsSecrets = {};
  for (const field of ['jwt', 'nkey_seed', 'password', 'token'] as const) {
    const value = given[field];
    if (value) secrets[field] = value;
  }
  const nats: NatsServerSettings = { host: input.nats.host, port: input.nats.port, tls: input.nats.tls, user: input.nats.user ?? null };
  return {
    name: input.name,
    syncId: input.syncId,
    subjectPrefix: input.subjectPrefix,
    nats,
    secretsSealed: ctx.secretBox.sealJson(secrets),
    secretHints: Object.fromEntries(Object.entries(secrets).map(([field, value]) => [field, secretHint(value)])),
  };
}

/** The secrets of a consumer, in clear: for its publisher only, never for an answer or a log. */
export function openNatsSecrets(ctx: AppContext, consumer: Pick<NatsConsumer, 'secretsEncrypted'>): NatsSecrets {
  return ctx.secretBox.openJson(consumer.secretsEncrypted) as NatsSecrets;
}

export async function findNatsConsumer(ctx: AppContext, principal: Principal, id: string): Promise<NatsConsumer> {
  const consumer = await ctx.prisma.natsConsumer.findFirst({ where: { id, accountId: principal.accountId } });
  if (!consumer) throw new NotFoundError('nats consumer', id);
  return consumer;
}

async function assertNameFree(ctx: AppContext, principal: Principal, name: string): Promise<void> {
  const taken = await ctx.prisma.natsConsumer.findUnique({ where: { accountId_name: { accountId: principal.accountId, name } } });
  if (taken) throw new ConflictError('consumer_name_taken', `a nats consumer named "${name}" already exists`);
}

export async function createNatsConsumer(ctx: AppContext, principal: Principal, input: CreateNatsConsumerInput): Promise<string> {
  egressPolicy(ctx.config).checkLiteral(input.nats.host); // a refused address literal: 422 now rather than an error later
  const start = startPositionOf(input);
  const shape = messageShapeOfInput(input);
  const selection = await resolveSelection(ctx, principal, input);
  await assertNameFree(ctx, principal, input.name);
  await assertQuotaRoom(ctx, principal, 'consumers');
  const subjectPrefix = input.subjectPrefix ?? (shape.messageKind === 'event' ? 'syncline-events' : 'sequin-records');
  const settings = toSettings(ctx, { name: input.name, syncId: selection.syncId, subjectPrefix, nats: input.nats });
  const startIdx = await resolveStartIdx(ctx, selection.streamId, start);
  const consumerId = ctx.newId();
  await createWithinQuota(ctx, principal, 'consumers', () =>
    handleNatsConsumer(ctx, consumerId, {
      type: 'CreateNatsConsumer',
      data: {
        consumerId,
        accountId: principal.accountId,
        streamId: selection.streamId,
        collectionIds: selection.collectionIds,
        provider: selection.provider,
        deliverPolicy: start.deliverPolicy,
        ...startOptions(start),
        ...shape,
        startIdx: String(startIdx),
        ...settings,
      },
      metadata: { now: ctx.now() },
    }),
  );
  return consumerId;
}

/** `undefined` keeps the stored value; `null` removes it. */
const keepUnlessGiven = <T>(given: T | null | undefined, stored: T | null): T | null => (given !== undefined ? given : stored);

export async function updateNatsConsumer(ctx: AppContext, principal: Principal, id: string, patch: UpdateNatsConsumerInput): Promise<void> {
  const current = await findNatsConsumer(ctx, principal, id);
  if (patch.name && patch.name !== current.name) await assertNameFree(ctx, principal, patch.name);
  const stored = openNatsSecrets(ctx, current);
  const given = patch.nats ?? {};
  if (given.host !== undefined) egressPolicy(ctx.config).checkLiteral(given.host);
  const nats: NatsConnectionInput = {
    host: given.host ?? current.natsHost,
    port: given.port ?? current.natsPort,
    tls: given.tls ?? current.natsTls,
    user: keepUnlessGiven(given.user, current.natsUser),
    jwt: keepUnlessGiven(given.jwt, stored.jwt ?? null),
    nkeySeed: keepUnlessGiven(given.nkeySeed, stored.nkey_seed ?? null),
    password: keepUnlessGiven(given.password, stored.password ?? null),
    token: keepUnlessGiven(given.token, stored.token ?? null),
  };
  const settings = toSettings(ctx, {
    name: patch.name ?? current.name,
    syncId: current.syncId,
    subjectPrefix: patch.subjectPrefix ?? current.subjectPrefix,
    nats,
  });
  await handleNatsConsumer(ctx, current.id, {
    type: 'UpdateNatsConsumer',
    data: { consumerId: current.id, accountId: principal.accountId, ...settings },
    metadata: { now: ctx.now() },
  });
}

export async function deleteNatsConsumer(ctx: AppContext, principal: Principal, id: string): Promise<void> {
  const current = await findNatsConsumer(ctx, principal, id);
  await handleNatsConsumer(ctx, current.id, {
    type: 'DeleteNatsConsumer',
    data: { consumerId: current.id, accountId: principal.accountId },
    metadata: { now: ctx.now() },
  });
}

/**
 * `POST /v1/nats-consumers/{id}/reset`: publishing starts again at the position the start names,
 * back (records published again) or ahead (skipped). The read model records it; the sink runner
 * moves its position.
 */
export async function resetNatsConsumer(ctx: AppContext, principal: Principal, id: string, input: ResetInput): Promise<void> {
  const start = startPositionOf(input);
  const current = await findNatsConsumer(ctx, principal, id);
  const startIdx = await resolveStartIdx(ctx, current.streamId, start);
  await handleNatsConsumer(ctx, current.id, {
    type: 'ResetNatsConsumer',
    data: { consumerId: current.id, accountId: principal.accountId, ...start, startIdx: String(startIdx) },
    metadata: { now: ctx.now() },
  });
}
