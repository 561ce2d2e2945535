import { z } from 'zod';
import { resetInput } from '../commands/consumer-selection.ts';
import {
  createPostgresConsumer,
  createPostgresConsumerInput,
  deletePostgresConsumer,
  resetPostgresConsumer,
  updatePostgresConsumer,
  updatePostgresConsumerInput,
} from '../commands/postgres-consumers.ts';
import { parseInput } from '../commands/parse-input.ts';
import { pageInput } from '../queries/pagination.ts';
import { getPostgresConsumer, listPostgresConsumers, listPostgresDeliveries } from '../queries/postgres-consumers.ts';
import { postgresConsumerPage, postgresConsumerView, postgresDeliveryPage } from './openapi/postgres-consumer-responses.ts';
import { restCommand, restSchema } from './rest-input.ts';
import { noContent, ok, queryObject, type RestRequest, type RestRoutes, type RouteSpec } from './rest.ts';

const createBody = restSchema(createPostgresConsumerInput);
const updateBody = restSchema(updatePostgresConsumerInput);
const resetBody = restSchema(resetInput);
const byRef = z.object({ id: z.string().meta({ description: "the consumer's id or name" }) });
const ref = (req: RestRequest) => req.params.id ?? '';

const targetCodes =
  '`invalid_connection`, `egress_refused`, `target_unreachable`, `target_tls_failed`, `target_auth_failed`, `target_database_not_found`, `target_unavailable`, `schema_not_found`, `table_not_found`, `table_mismatch`, `permission_denied`';
const selectionCodes = '`stream_required`, `stream_not_found`, `sync_not_found`, `sync_not_in_stream`, `unknown_collection`, `unknown_provider`, `collection_not_of_provider`, `invalid_start_position`';

/** `/v1/postgres-consumers` and its alias `/v1/postgres_consumers` (the underscore spelling of the NATS consumers' seed path). */
export function postgresConsumerRoutes(routes: RestRoutes): void {
  for (const [base, alias] of [['/v1/postgres-consumers', ''], ['/v1/postgres_consumers', 'Alias']] as const) {
    const named = (operationId: string, spec: RouteSpec): RouteSpec => ({
      ...spec,
      operationId: operationId + alias,
      ...(alias ? { description: `${spec.description ?? ''} Same as \`/v1/postgres-consumers\`.`.trim() } : {}),
    });
    routes.on(
      'POST',
      base,
      named('createPostgresConsumer', {
        summary: 'Create a PostgreSQL consumer',
        description:
          'Upserts the stream (or a sync, collections, a provider of it) into a table of your PostgreSQL database. The target is checked now: it must be reachable, the login accepted, and the table fit (created when missing with `create_table`). The password is sealed and answered as a hint.',
        body: createBody,
        answers: { 201: { description: 'the consumer', body: postgresConsumerView } },
        errors: { 409: '`consumer_name_taken`', 422: `${selectionCodes}, \`quota_exceeded\`, ${targetCodes}` },
      }),
      async (req) => {
        const id = await restCommand(createPostgresConsumerInput, req.body, (input) => createPostgresConsumer(req.ctx, req.principal, input));
        return ok(await getPostgresConsumer(req.ctx, req.principal, id), 201);
      },
    );
    routes.on(
      'GET',
      base,
      named('listPostgresConsumers', { summary: 'List PostgreSQL consumers', query: pageInput, answers: { 200: { description: 'a page of consumers', body: postgresConsumerPage } } }),
      async (req) => ok(await listPostgresConsumers(req.ctx, req.principal, parseInput(pageInput, queryObject(req.query), 'query'))),
    );
    routes.on(
      'GET',
      `${base}/:id`,
      named('getPostgresConsumer', { summary: 'Get a PostgreSQL consumer', params: byRef, answers: { 200: { description: 'the consumer', body: postgresConsumerView } } }),
      async (req) => ok(await getPostgresConsumer(req.ctx, req.principal, ref(req))),
    );
    routes.on(
      'PATCH',
      `${base}/:id`,
      named('updatePostgresConsumer', {
        summary: 'Change a PostgreSQL consumer',
        description:
          'The fields given replace the stored ones; under `connection`, a `url` replaces the connection, fields replace those given. A changed connection, table or delete mode is checked on the target again. Another host or port needs the password again. The selection is fixed at creation; `/reset` moves the start.',
        params: byRef,
        body: updateBody,
        answers: { 200: { description: 'the consumer', body: postgresConsumerView } },
        errors: { 409: '`consumer_name_taken`', 422: `\`password_required\`, ${targetCodes}` },
      }),
      async (req) => {
        const id = await restCommand(updatePostgresConsumerInput, req.body, (patch) => updatePostgresConsumer(req.ctx, req.principal, ref(req), patch));
        return ok(await getPostgresConsumer(req.ctx, req.principal, id));
      },
    );
    routes.on(
      'POST',
      `${base}/:id/reset`,
      named('resetPostgresConsumer', {
        summary: 'Start a PostgreSQL consumer again from another position',
        description: 'Rewinds (replays into the table: the idx guard keeps newer rows) or skips ahead; the reset is an event in the consumer\'s history.',
        params: byRef,
        body: resetBody,
        bodyOptional: true,
        answers: { 200: { description: 'the consumer with its new start position', body: postgresConsumerView } },
        errors: { 422: '`invalid_start_position`' },
      }),
      async (req) => {
        const id = await restCommand(resetInput, req.body, (input) => resetPostgresConsumer(req.ctx, req.principal, ref(req), input));
        return ok(await getPostgresConsumer(req.ctx, req.principal, id));
      },
    );
    routes.on(
      'GET',
      `${base}/:id/deliveries`,
      named('listPostgresDeliveries', {
        summary: "A PostgreSQL consumer's delivery log",
        description:
          'Its last 1,000 attempts, newest first: each batch (one transaction in the target), with its outcome (`N written, M deleted, K unchanged`) or its error. PostgreSQL consumers never dead-letter: a failed batch is retried until the target takes it.',
        params: byRef,
        query: pageInput,
        answers: { 200: { description: 'a page of attempts', body: postgresDeliveryPage } },
      }),
      async (req) => ok(await listPostgresDeliveries(req.ctx, req.principal, ref(req), parseInput(pageInput, queryObject(req.query), 'query'))),
    );
    routes.on(
      'DELETE',
      `${base}/:id`,
      named('deletePostgresConsumer', { summary: 'Delete a PostgreSQL consumer', description: 'Writing stops; the table and its rows stay.', params: byRef, answers: { 204: { description: 'deleted' } } }),
      async (req) => {
        await deletePostgresConsumer(req.ctx, req.principal, ref(req));
        return noContent();
      },
    );
  }
}
