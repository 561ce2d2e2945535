import { z } from 'zod';
import { resetInput } from '../commands/consumer-selection.ts';
import { parseInput } from '../commands/parse-input.ts';
import {
  createWebhookConsumer,
  createWebhookConsumerInput,
  deleteWebhookConsumer,
  resetWebhookConsumer,
  rotateWebhookConsumerSecret,
  rotateWebhookSecretInput,
  updateWebhookConsumer,
  updateWebhookConsumerInput,
} from '../commands/webhook-consumers.ts';
import { redeliverDeadLettersInput, redeliverWebhookDeadLetters } from '../commands/webhook-redelivery.ts';
import { pageInput } from '../queries/pagination.ts';
import { getWebhookConsumer, getWebhookConsumerWithSecret, listWebhookConsumers, listWebhookDeadLetters, listWebhookDeliveries } from '../queries/webhook-consumers.ts';
import { redeliveryView } from './openapi/sink-responses.ts';
import {
  webhookConsumerPage,
  webhookConsumerView,
  webhookConsumerWithSecretView,
  webhookDeadLetterPage,
  webhookDeliveryPage,
} from './openapi/webhook-consumer-responses.ts';
import { restCommand, restSchema } from './rest-input.ts';
import { noContent, ok, queryObject, type RestRoutes, type RouteSpec } from './rest.ts';

const byId = z.object({ id: z.string().meta({ description: "the consumer's id or name" }) });
const createBody = restSchema(createWebhookConsumerInput);
const updateBody = restSchema(updateWebhookConsumerInput);
const rotateBody = restSchema(rotateWebhookSecretInput);
const resetBody = restSchema(resetInput);
const redeliverBody = restSchema(redeliverDeadLettersInput);
const badUrl = '`invalid_url`, `unsupported_url_scheme`, `url_credentials`, `https_required`, `unresolvable_host`, `egress_refused`';
const badHeaders = '`reserved_header`, `duplicate_header`, `headers_too_large`';
const badTargets = '`stream_required`, `stream_not_found`, `sync_not_found`, `sync_not_in_stream`, `unknown_collection`, `unknown_provider`, `collection_not_of_provider`';

/** `/v1/webhook-consumers` and `/v1/webhook_consumers` are the same routes (DESIGN.md §7b); `{id}` is the consumer's id or name. */
export function webhookConsumerRoutes(routes: RestRoutes): void {
  for (const [base, alias] of [['/v1/webhook-consumers', ''], ['/v1/webhook_consumers', 'Alias']] as const) {
    const named = (operationId: string, spec: RouteSpec): RouteSpec => ({
      ...spec,
      operationId: operationId + alias,
      ...(alias ? { description: `${spec.description ?? ''} Same as \`/v1/webhook-consumers\`.`.trim() } : {}),
    });
    routes.on(
      'POST',
      base,
      named('createWebhookConsumer', {
        summary: 'Create a webhook consumer',
        description:
          'POSTs the stream\'s records (`{"data":[record, …]}`) to `url`, signed as Standard Webhooks says. The answer holds the signing secret (`secret`), shown this once.',
        body: createBody,
        answers: { 201: { description: 'the consumer and its signing secret', body: webhookConsumerWithSecretView } },
        errors: { 409: '`consumer_name_taken`', 422: `${badUrl}, ${badHeaders}, ${badTargets}, \`invalid_start_position\`, \`quota_exceeded\`` },
      }),
      async (req) => {
        const issued = await restCommand(createWebhookConsumerInput, req.body, (input) => createWebhookConsumer(req.ctx, req.principal, input));
        return ok(await getWebhookConsumerWithSecret(req.ctx, req.principal, issued), 201);
      },
    );
    routes.on(
      'GET',
      base,
      named('listWebhookConsumers', { summary: 'List webhook consumers', query: pageInput, answers: { 200: { description: 'a page of consumers', body: webhookConsumerPage } } }),
      async (req) => ok(await listWebhookConsumers(req.ctx, req.principal, parseInput(pageInput, queryObject(req.query), 'query'))),
    );
    routes.on(
      'GET',
      `${base}/:id`,
      named('getWebhookConsumer', { summary: 'Get a webhook consumer', params: byId, answers: { 200: { description: 'the consumer', body: webhookConsumerView } } }),
      async (req) => ok(await getWebhookConsumer(req.ctx, req.principal, req.params.id ?? '')),
    );
    routes.on(
      'PATCH',
      `${base}/:id`,
      named('updateWebhookConsumer', {
        summary: 'Change a webhook consumer',
        description: 'Fields given replace the stored ones; `headers` are merged by name (`null` removes one header, `"headers": null` all). Stream, filters and start position are fixed (reset moves the start).',
        params: byId,
        body: updateBody,
        answers: { 200: { description: 'the consumer', body: webhookConsumerView } },
        errors: { 409: '`consumer_name_taken`', 422: `${badUrl}, ${badHeaders}` },
      }),
      async (req) => {
        const id = await restCommand(updateWebhookConsumerInput, req.body, (patch) => updateWebhookConsumer(req.ctx, req.principal, req.params.id ?? '', patch));
        return ok(await getWebhookConsumer(req.ctx, req.principal, id));
      },
    );
    routes.on(
      'DELETE',
      `${base}/:id`,
      named('deleteWebhookConsumer', { summary: 'Delete a webhook consumer', params: byId, answers: { 204: { description: 'deleted' } } }),
      async (req) => {
        await deleteWebhookConsumer(req.ctx, req.principal, req.params.id ?? '');
        return noContent();
      },
    );
    routes.on(
      'POST',
      `${base}/:id/rotate-secret`,
      named('rotateWebhookConsumerSecret', {
        summary: "Rotate a webhook consumer's signing secret",
        description:
          'A new secret, shown this once. The replaced one keeps signing beside it (a second `v1,` signature) for `previous_secret_valid_ms` (default 24 hours; 0 for a leaked secret).',
        params: byId,
        body: rotateBody,
        bodyOptional: true,
        answers: { 200: { description: 'the consumer and its new signing secret', body: webhookConsumerWithSecretView } },
      }),
      async (req) => {
        const issued = await restCommand(rotateWebhookSecretInput, req.body, (input) => rotateWebhookConsumerSecret(req.ctx, req.principal, req.params.id ?? '', input));
        return ok(await getWebhookConsumerWithSecret(req.ctx, req.principal, issued));
      },
    );
    routes.on(
      'POST',
      `${base}/:id/reset`,
      named('resetWebhookConsumer', {
        summary: 'Rewind or skip a webhook consumer',
        description: 'Delivery starts again at the position given (`deliver_policy` as at creation): back to replay, ahead to skip. The reset is an event in the consumer\'s history.',
        params: byId,
        body: resetBody,
        answers: { 200: { description: 'the consumer', body: webhookConsumerView } },
        errors: { 422: '`invalid_start_position`' },
      }),
      async (req) => {
        const id = await restCommand(resetInput, req.body, (input) => resetWebhookConsumer(req.ctx, req.principal, req.params.id ?? '', input));
        return ok(await getWebhookConsumer(req.ctx, req.principal, id));
      },
    );
    routes.on(
      'GET',
      `${base}/:id/deliveries`,
      named('listWebhookDeliveries', {
        summary: "A webhook consumer's delivery log",
        description: 'Its last 1,000 attempts, newest first: each POST of a batch, with the answer status, latency, error and the first 2 KB of the answer.',
        params: byId,
        query: pageInput,
        answers: { 200: { description: 'a page of attempts', body: webhookDeliveryPage } },
      }),
      async (req) => ok(await listWebhookDeliveries(req.ctx, req.principal, req.params.id ?? '', parseInput(pageInput, queryObject(req.query), 'query'))),
    );
    routes.on(
      'GET',
      `${base}/:id/dead-letters`,
      named('listWebhookDeadLetters', {
        summary: "A webhook consumer's dead letters",
        description: 'Records whose batch ran out of attempts (`max_deliver`) or of its retry window, newest first; delivery went on behind them.',
        params: byId,
        query: pageInput,
        answers: { 200: { description: 'a page of dead letters', body: webhookDeadLetterPage } },
      }),
      async (req) => ok(await listWebhookDeadLetters(req.ctx, req.principal, req.params.id ?? '', parseInput(pageInput, queryObject(req.query), 'query'))),
    );
    routes.on(
      'POST',
      `${base}/:id/dead-letters/redeliver`,
      named('redeliverWebhookDeadLetters', {
        summary: 'Deliver dead letters again',
        description:
          'Exactly one of `upstream_ids` (1–1000) and `all: true`. The records are delivered again at their current versions, before the next batch; a record changed since is not (its newer version was or will be delivered). Delivered ones leave the dead letters.',
        params: byId,
        body: redeliverBody,
        answers: { 200: { description: 'how many dead letters were asked for', body: redeliveryView } },
        errors: { 400: '`validation_failed`: neither or both of `upstream_ids` and `all`' },
      }),
      async (req) => ok(await restCommand(redeliverDeadLettersInput, req.body, (input) => redeliverWebhookDeadLetters(req.ctx, req.principal, req.params.id ?? '', input))),
    );
  }
}
