/**
 * `POST /admin/api/<version>/graphql.json`: Shopify's Admin GraphQL API over the emulator's store.
 * Queries are parsed and validated against the emulator's schema (a subset of Shopify's official
 * Admin schema, src/emulators/shopify/admin-schema.ts), costed as Shopify costs them, refused with
 * `MAX_COST_EXCEEDED` or `THROTTLED` (HTTP 200, as Shopify answers) when over the limits, then run;
 * every answer carries `extensions.cost` with the bucket's `throttleStatus`.
 */

import { buildSchema, executeSync, getOperationAST, GraphQLError, Kind, parse, validate, type DocumentNode, type FragmentDefinitionNode, type GraphQLSchema } from 'graphql';
import { EmulatorError, type EmulatorAnswer, type EmulatorRequest } from '../../kit/http-emulator.ts';
import { ADMIN_SCHEMA_SDL } from '../admin-schema.ts';
import type { ShopifyStore } from '../store.ts';
import { EMULATED_TOPICS, type WebhookSubscriptions } from '../webhook-subscriptions.ts';
import { BulkOperations } from './bulk.ts';
import { CostBucket, MAX_QUERY_COST, queryCost, STANDARD_COST_LIMIT, type CostLimit } from './cost.ts';
import { rootResolvers, topicEnum, type RequestScope } from './resolvers.ts';

let built: GraphQLSchema | null = null;

/** The emulator's executable schema (built once). */
export function emulatorSchema(): GraphQLSchema {
  built ??= buildSchema(ADMIN_SCHEMA_SDL);
  return built;
}

export interface AdminGraphqlOptions {
  store: ShopifyStore;
  subscriptions: WebhookSubscriptions;
  /** The shop's cost bucket; null: no cost limit. */
  costLimit: CostLimit | null;
}

interface GraphqlBody {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

export class AdminGraphql {
  readonly schema = emulatorSchema();
  readonly bulk: BulkOperations;
  private readonly rootValue: Record<string, unknown>;
  private readonly bucket: CostBucket | null;
  private scope: RequestScope = { version: '', baseUrl: '' };

  constructor(options: AdminGraphqlOptions) {
    this.bucket = options.costLimit ? new CostBucket(options.costLimit) : null;
    const topics = new Map(EMULATED_TOPICS.map((topic) => [topicEnum(topic), topic]));
    this.rootValue = rootResolvers({ store: options.store, subscriptions: options.subscriptions, bulk: () => this.bulk, topics }, () => this.scope);
    this.bulk = new BulkOperations(this.schema, this.rootValue);
  }

  handle(request: EmulatorRequest, version: string): EmulatorAnswer {
    if (request.method !== 'POST') throw new EmulatorError({ status: 405, body: { errors: 'Method Not Allowed' } });
    const body = readBody(request);
    if (typeof body.query !== 'string' || body.query.trim() === '') return errorAnswer([{ message: 'No query string was present' }], 400);
    let document: DocumentNode;
    try {
      document = parse(body.query);
    } catch (error) {
      return errorAnswer([(error as GraphQLError).toJSON()]);
    }
    const invalid = validate(this.schema, document);
    if (invalid.length > 0) return errorAnswer(invalid.map((e) => e.toJSON()));
    const operationName = typeof body.operationName === 'string' ? body.operationName : null;
    const operation = getOperationAST(document, operationName);
    if (!operation) return errorAnswer([{ message: operationName ? `No operation named "${operationName}"` : 'An operation name is required when the document has several operations' }]);
    const variables = body.variables && typeof body.variables === 'object' && !Array.isArray(body.variables) ? (body.variables as Record<string, unknown>) : {};
    const fragments = Object.fromEntries(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
    const cost = queryCost(this.schema, operation, fragments, variables);
    if (cost.requested > MAX_QUERY_COST) {
      return errorAnswer([
        {
          message: `Query cost is ${cost.requested}, which exceeds the single query max cost limit (${MAX_QUERY_COST}).`,
          extensions: { code: 'MAX_COST_EXCEEDED', cost: cost.requested, maxCost: MAX_QUERY_COST },
        },
      ]);
    }
    if (this.bucket && !this.bucket.take(cost.requested)) {
      return {
        status: 200,
        body: {
          errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/limits' } }],
          extensions: { cost: { requestedQueryCost: cost.requested, actualQueryCost: null, throttleStatus: this.bucket.status() } },
        },
      };
    }
    this.scope = { version, baseUrl: request.baseUrl };
    const result = executeSync({ schema: this.schema, document, rootValue: this.rootValue, contextValue: { bulk: false }, variableValues: variables, operationName });
    const actual = Math.min(cost.requested, cost.actual(result.data));
    this.bucket?.refund(cost.requested - actual);
    // Without a limit the bucket reads full.
    const throttleStatus = this.bucket?.status() ?? { ...STANDARD_COST_LIMIT, currentlyAvailable: STANDARD_COST_LIMIT.maximumAvailable };
    return {
      status: 200,
      body: {
        ...(result.errors ? { errors: result.errors.map((e) => e.toJSON()) } : {}),
        data: result.data ?? null,
        extensions: { cost: { requestedQueryCost: cost.requested, actualQueryCost: actual, throttleStatus } },
      },
    };
  }

  /** Runs a query directly (no HTTP, no cost): tests read objects through it as the API shows them. */
  run(query: string, variables: Record<string, unknown> = {}): { data?: Record<string, unknown> | null; errors?: readonly GraphQLError[] } {
    const document = parse(query);
    const invalid = validate(this.schema, document);
    if (invalid.length > 0) return { errors: invalid };
    return executeSync({ schema: this.schema, document, rootValue: this.rootValue, contextValue: { bulk: false }, variableValues: variables });
  }

  /** The JSONL file behind a bulk operation's `url`. */
  bulkFile(number: number, request: EmulatorRequest): EmulatorAnswer {
    const file = this.bulk.file(number, request.query.get('signature'));
    if (file === null) throw new EmulatorError({ status: 403, body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access denied.</Message></Error>', headers: { 'Content-Type': 'application/xml' } });
    return { status: 200, body: file, headers: { 'Content-Type': 'application/jsonl' } };
  }
}

function readBody(request: EmulatorRequest): GraphqlBody {
  const type = (request.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/graphql') return { query: request.body };
  try {
    const parsed = JSON.parse(request.body) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as GraphqlBody;
  } catch {
    // answered below
  }
  throw new EmulatorError({ status: 400, body: { errors: [{ message: 'Invalid JSON in request body' }] } });
}

function errorAnswer(errors: unknown[], status = 200): EmulatorAnswer {
  return { status, body: { errors } };
}
