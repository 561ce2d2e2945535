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
import { commandHandler } from './handle.ts';
import { assertQuotaRoom, createWithinQuota } from './account-quotas.ts';

const handleNatsConsumer = commandHandler('nats-consumer', natsConsumerDecider);

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

/** The seed shape (REST: `{sync_id?, stream_id?, name, subject_prefix, deliver_policy, nats:{…}}`). */
export const createNatsConsumerInput = z
  .object({
    name: consumerFields.name,
    streamId: z.string().uuid().nullish(),
    syncId: z.string().uuid().nullish(),
    subjectPrefix: consumerFields.subjectPrefix.default('sequin-records'),
    deliverPolicy: z.enum(['all', 'new']).default('all'),
    nats: natsInput,
  })
  .strict();
export type CreateNatsConsumerInput = z.infer<typeof createNatsConsumerInput>;

/** The stream, the sync and the delivery policy are fixed at creation: a new consumer changes them. */
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

/** The stream to publish: the sync's, else the one given, else the account's first stream. */
async function resolveStream(ctx: AppContext, principal: Principal, input: CreateNatsConsumerInput): Promise<string> {
  let streamId = input.streamId ?? null;
  if (input.syncId) {
    const sync = await ctx.prisma.sync.findFirst({ where: { id: input.syncId, accountId: principal.accountId } });
    if (!sync) throw new UnprocessableError('sync_not_found', `sync ${input.syncId} not found`, [{ path: 'syncId', message: 'not found' }]);
    if (streamId && streamId !== sync.streamId) {
      throw new UnprocessableError('sync_not_in_stream', 'the sync belongs to another stream', [{ path: 'streamId', message: 'not the sync\'s stream' }]);
    }
    streamId = sync.streamId;
  }
  if (!streamId) {
    const first = await ctx.prisma.stream.findFirst({ where: { accountId: principal.accountId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    if (!first) throw new UnprocessableError('stream_required', 'give stream_id (the account has no stream yet)', [{ path: 'streamId', message: 'required' }]);
    streamId = first.id;
  }
  const stream = await ctx.prisma.stream.findFirst({ where: { id: streamId, accountId: principal.accountId } });
  if (!stream) throw new UnprocessableError('stream_not_found', `stream ${streamId} not found`, [{ path: 'streamId', message: 'not found' }]);
  return streamId;
}

async function assertNameFree(ctx: AppContext, principal: Principal, name: string): Promise<void> {
  const taken = await ctx.prisma.natsConsumer.findUnique({ where: { accountId_name: { accountId: principal.accountId, name } } });
  if (taken) throw new ConflictError('consumer_name_taken', `a nats consumer named "${name}" already exists`);
}

export async function createNatsConsumer(ctx: AppContext, principal: Principal, input: CreateNatsConsumerInput): Promise<string> {
  egressPolicy(ctx.config).checkLiteral(input.nats.host); // a refused address literal: 422 now rather than an error later
  const streamId = await resolveStream(ctx, principal, input);
  await assertNameFree(ctx, principal, input.name);
  await assertQuotaRoom(ctx, principal, 'consumers');
  const settings = toSettings(ctx, { name: input.name, syncId: input.syncId ?? null, subjectPrefix: input.subjectPrefix, nats: input.nats });
  const head = input.deliverPolicy === 'new' ? await ctx.prisma.streamHead.findUnique({ where: { streamId } }) : null;
  const consumerId = ctx.newId();
  await createWithinQuota(ctx, principal, 'consumers', () =>
    handleNatsConsumer(ctx.eventStore, consumerId, {
      type: 'CreateNatsConsumer',
      data: { consumerId, accountId: principal.accountId, streamId, deliverPolicy: input.deliverPolicy, startIdx: String(head?.lastIdx ?? 0n), ...settings },
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
  await handleNatsConsumer(ctx.eventStore, current.id, {
    type: 'UpdateNatsConsumer',
    data: { consumerId: current.id, accountId: principal.accountId, ...settings },
    metadata: { now: ctx.now() },
  });
}

export async function deleteNatsConsumer(ctx: AppContext, principal: Principal, id: string): Promise<void> {
  const current = await findNatsConsumer(ctx, principal, id);
  await handleNatsConsumer(ctx.eventStore, current.id, {
    type: 'DeleteNatsConsumer',
    data: { consumerId: current.id, accountId: principal.accountId },
    metadata: { now: ctx.now() },
  });
}
