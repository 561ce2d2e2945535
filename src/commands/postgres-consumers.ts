import { z } from 'zod';
import { prepareTarget } from '../consumers/postgres/prepare-target.ts';
import { DEFAULT_EVENT_TABLE, DEFAULT_TABLE, parseTableName, SQL_IDENTIFIER } from '../consumers/postgres/table-name.ts';
import { secretHint } from '../crypto/secret-box.ts';
import { postgresConsumerDecider } from '../domain/postgres-consumers/decide.ts';
import type { PostgresConnectionSettings, PostgresConsumerSettings, PostgresDeletes, PostgresSslMode, PostgresTableName, StartAt } from '../domain/postgres-consumers/events.ts';
import { ConflictError, InvariantError, NotFoundError, UnprocessableError } from '../errors.ts';
import type { PostgresConsumer } from '../generated/prisma/client.ts';
import { isUuid } from '../ids.ts';
import { isStorableText } from '../storable-text.ts';
import { egressPolicy } from '../net/egress-policy.ts';
import type { AppContext, Principal } from '../app-context.ts';
import { assertQuotaRoom, createWithinQuota } from './account-quotas.ts';
import type { MessageKind } from '../domain/change-events.ts';
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
import { sinkConsumerCommandHandler } from './handle.ts';
import { connectionInput, connectionOf, patchedConnectionOf, type ParsedConnection } from './postgres-connection.ts';

const handlePostgresConsumer = sinkConsumerCommandHandler('postgres-consumer', postgresConsumerDecider);

const part = SQL_IDENTIFIER.source.slice(1, -1);
const consumerFields = {
  name: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, "_", "-" and "." only')
    .refine((name) => !isUuid(name), 'a name cannot have the form of an id'),
  table: z
    .string()
    .max(127)
    .regex(new RegExp(`^(?:${part}\\.)?${part}$`), '`schema.table` or `table` (schema public), each a plain SQL identifier: a letter or "_", then letters, digits or "_", at most 63')
    .meta({ description: '`schema.table` or `table` (schema `public`); folded to lower case as PostgreSQL folds unquoted names' }),
  createTable: z.boolean().meta({ description: 'create the table when it is missing' }),
  deletes: z.enum(['mark', 'delete']).meta({ description: '`mark`: a deleted record stays as a row with `deleted = true`; `delete`: its row is removed' }),
  batchSize: z.number().int().min(1).max(5_000).meta({ description: 'records per transaction' }),
};

export const createPostgresConsumerInput = z
  .object({
    name: consumerFields.name,
    ...selectionInputFields,
    ...startPositionInputFields,
    ...messageInputFields,
    connection: connectionInput,
    /** Default `public.syncline_records`, or `public.syncline_events` for change events. */
    table: consumerFields.table.nullish(),
    createTable: consumerFields.createTable.default(true),
    deletes: consumerFields.deletes.default('mark'),
    batchSize: consumerFields.batchSize.default(500),
  })
  .strict();
export type CreatePostgresConsumerInput = z.infer<typeof createPostgresConsumerInput>;

/** The selection and start position are fixed at creation (a reset moves the start); the rest may change. */
export const updatePostgresConsumerInput = z
  .object({
    name: consumerFields.name,
    connection: connectionInput,
    table: consumerFields.table,
    createTable: consumerFields.createTable,
    deletes: consumerFields.deletes,
    batchSize: consumerFields.batchSize,
  })
  .partial()
  .strict();
export type UpdatePostgresConsumerInput = z.infer<typeof updatePostgresConsumerInput>;

function tableOf(text: string): PostgresTableName {
  const table = parseTableName(text);
  // The schema's pattern let it through: parseTableName takes the same.
  if (!table) throw new InvariantError('table_name_unparsed', 'a table name passed the input pattern but not the parser');
  return table;
}

/** The consumer by id, or by name, within the caller's account. */
export async function findPostgresConsumer(ctx: AppContext, principal: Principal, idOrName: string): Promise<PostgresConsumer> {
  if (!isStorableText(idOrName)) throw new NotFoundError('postgres consumer', '…'); // no name holds U+0000
  const where = isUuid(idOrName) ? { id: idOrName.toLowerCase() } : { name: idOrName };
  const consumer = await ctx.prisma.postgresConsumer.findFirst({ where: { ...where, accountId: principal.accountId } });
  if (!consumer) throw new NotFoundError('postgres consumer', idOrName);
  return consumer;
}

async function assertNameFree(ctx: AppContext, principal: Principal, name: string): Promise<void> {
  const taken = await ctx.prisma.postgresConsumer.findUnique({ where: { accountId_name: { accountId: principal.accountId, name } } });
  if (taken) throw new ConflictError('consumer_name_taken', `a postgres consumer named "${name}" already exists`);
}

interface TargetSettings {
  connection: PostgresConnectionSettings;
  password: string | null;
  table: PostgresTableName;
  createTable: boolean;
  deletes: PostgresDeletes;
  messageKind: MessageKind;
}

/**
 * Change events go to an append-only table, one row per version: a deleted record is the row of
 * its `deleted` event, and nothing is ever removed. `deletes: "delete"` is refused rather than ignored.
 */
function assertDeletesFit(kind: MessageKind, deletes: PostgresDeletes): void {
  if (kind === 'event' && deletes === 'delete') {
    throw new UnprocessableError('deletes_without_records', 'deletes: "delete" removes the rows of deleted records; a table of change events keeps every version (its deleted event included)', [
      { path: 'deletes', message: 'only with message_kind "record"' },
    ]);
  }
}

/** A host that is an address literal the egress policy refuses: 422 `egress_refused` before anything else is done. */
function checkHostLiteral(ctx: AppContext, host: string): void {
  try {
    egressPolicy(ctx.config).checkLiteral(host);
  } catch (error) {
    if (error instanceof UnprocessableError) throw new UnprocessableError(error.code, error.message, [{ path: 'connection.host', message: error.message }]);
    throw error;
  }
}

/** Connects to the target (a name is checked by the egress policy as it resolves) and checks, or creates, the table. */
async function checkTarget(ctx: AppContext, target: TargetSettings): Promise<void> {
  await prepareTarget(egressPolicy(ctx.config), { connection: target.connection, password: target.password, table: target.table }, {
    createTable: target.createTable,
    deletes: target.deletes,
    messageKind: target.messageKind,
  });
}

function settingsOf(ctx: AppContext, name: string, target: TargetSettings, batchSize: number): PostgresConsumerSettings {
  return {
    name,
    connection: target.connection,
    passwordSealed: target.password === null ? null : ctx.secretBox.seal(target.password),
    passwordHint: target.password === null ? null : secretHint(target.password),
    table: target.table,
    createTable: target.createTable,
    deletes: target.deletes,
    batchSize,
  };
}

export async function createPostgresConsumer(ctx: AppContext, principal: Principal, input: CreatePostgresConsumerInput): Promise<string> {
  const { connection, password }: ParsedConnection = connectionOf(input.connection);
  checkHostLiteral(ctx, connection.host);
  const start = startPositionOf(input);
  const shape = messageShapeOfInput(input);
  assertDeletesFit(shape.messageKind, input.deletes);
  const selection = await resolveSelection(ctx, principal, input);
  await assertNameFree(ctx, principal, input.name);
  await assertQuotaRoom(ctx, principal, 'consumers');
  const table = tableOf(input.table ?? (shape.messageKind === 'event' ? DEFAULT_EVENT_TABLE : DEFAULT_TABLE));
  const target: TargetSettings = { connection, password, table, createTable: input.createTable, deletes: input.deletes, messageKind: shape.messageKind };
  await checkTarget(ctx, target);
  const startAt: StartAt = { ...start, startIdx: String(await resolveStartIdx(ctx, selection.streamId, start)) };
  const consumerId = ctx.newId();
  await createWithinQuota(ctx, principal, 'consumers', () =>
    handlePostgresConsumer(ctx, consumerId, {
      type: 'CreatePostgresConsumer',
      data: { consumerId, accountId: principal.accountId, selection, start: startAt, ...shape, ...settingsOf(ctx, input.name, target, input.batchSize) },
      metadata: { now: ctx.now() },
    }),
  );
  return consumerId;
}

const storedConnection = (c: PostgresConsumer): PostgresConnectionSettings => ({
  host: c.host,
  port: c.port,
  database: c.database,
  user: c.dbUser,
  sslMode: c.sslMode as PostgresSslMode,
  url: c.connectionUrl,
});

/**
 * PATCH: the fields given replace the stored ones. A changed connection, table or delete mode is
 * checked on the target again (as at creation). The stored password is never sent to another
 * host or port: one that changes them gives the password again (or `password: null`).
 */
export async function updatePostgresConsumer(ctx: AppContext, principal: Principal, idOrName: string, patch: UpdatePostgresConsumerInput): Promise<string> {
  const current = await findPostgresConsumer(ctx, principal, idOrName);
  if (patch.name && patch.name !== current.name) await assertNameFree(ctx, principal, patch.name);
  const stored = storedConnection(current);
  const given = patch.connection ? patchedConnectionOf(stored, patch.connection) : { connection: stored, password: null, passwordRemoved: false };
  checkHostLiteral(ctx, given.connection.host);
  const moved = given.connection.host !== stored.host || given.connection.port !== stored.port;
  const keepsPassword = given.password === null && !given.passwordRemoved && current.passwordEncrypted !== null;
  if (keepsPassword && moved) {
    throw new UnprocessableError('password_required', 'the connection goes to another host or port: give its password again (or password: null for none)', [
      { path: 'connection.password', message: 'required when host or port change' },
    ]);
  }
  const password = given.password ?? (keepsPassword ? ctx.secretBox.open(current.passwordEncrypted!) : null);
  const target: TargetSettings = {
    connection: given.connection,
    password,
    table: patch.table !== undefined ? tableOf(patch.table) : { schema: current.tableSchema, name: current.tableName },
    createTable: patch.createTable ?? current.createTable,
    deletes: patch.deletes ?? (current.deletes as PostgresDeletes),
    messageKind: current.messageKind === 'event' ? 'event' : 'record',
  };
  assertDeletesFit(target.messageKind, target.deletes);
  const targetChanged = patch.connection !== undefined || patch.table !== undefined || patch.createTable !== undefined || patch.deletes !== undefined;
  if (targetChanged) await checkTarget(ctx, target);
  const settings = settingsOf(ctx, patch.name ?? current.name, target, patch.batchSize ?? current.batchSize);
  if (keepsPassword) {
    // Unchanged: keep its ciphertext and hint as they are.
    settings.passwordSealed = current.passwordEncrypted;
    settings.passwordHint = current.passwordHint;
  }
  await handlePostgresConsumer(ctx, current.id, {
    type: 'UpdatePostgresConsumer',
    data: { consumerId: current.id, accountId: principal.accountId, ...settings },
    metadata: { now: ctx.now() },
  });
  return current.id;
}

/** `POST /v1/postgres-consumers/{id}/reset`: delivery starts again at the position given (back or ahead); the runner moves it. */
export async function resetPostgresConsumer(ctx: AppContext, principal: Principal, idOrName: string, input: ResetInput): Promise<string> {
  const current = await findPostgresConsumer(ctx, principal, idOrName);
  const start = startPositionOf(input);
  const startAt: StartAt = { ...start, startIdx: String(await resolveStartIdx(ctx, current.streamId, start)) };
  await handlePostgresConsumer(ctx, current.id, {
    type: 'ResetPostgresConsumer',
    data: { consumerId: current.id, accountId: principal.accountId, start: startAt },
    metadata: { now: ctx.now() },
  });
  return current.id;
}

export async function deletePostgresConsumer(ctx: AppContext, principal: Principal, idOrName: string): Promise<string> {
  const current = await findPostgresConsumer(ctx, principal, idOrName);
  await handlePostgresConsumer(ctx, current.id, {
    type: 'DeletePostgresConsumer',
    data: { consumerId: current.id, accountId: principal.accountId },
    metadata: { now: ctx.now() },
  });
  return current.id;
}
