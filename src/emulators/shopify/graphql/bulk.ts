/**
 * Bulk operations (`bulkOperationRunQuery`): the query runs over every item of its connections
 * (page arguments ignored), its result is written as JSONL, one object a line, each nested
 * connection's items on lines of their own after their parent's, naming it in `__parentId`.
 * The operation reads RUNNING for a while, then COMPLETED with a signed `url` to the file (on
 * the emulator's own host; no access token needed, as Shopify's storage URLs need none).
 * One query operation at a time per shop, as Shopify allows.
 */

import { createHmac, randomBytes } from 'node:crypto';
import { executeSync, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { gid } from './views.ts';

export interface BulkOperation {
  number: number;
  query: string;
  createdAt: number;
  /** When it reads COMPLETED (ms since the epoch). */
  readyAt: number;
  lines: string[];
  rootObjectCount: number;
}

export interface BulkRunResult {
  operation: BulkOperation | null;
  userErrors: Array<{ __typename: 'BulkOperationUserError'; code: 'INVALID' | 'OPERATION_IN_PROGRESS'; field: string[] | null; message: string }>;
}

/** How long an operation stays RUNNING: a base, plus a little per object. */
const RUN_BASE_MS = 200;
const RUN_MS_PER_OBJECT = 0.5;

export const BULK_RESULT_PATH = /^\/bulk-operation-results\/(\d+)\.jsonl$/;

export class BulkOperations {
  private readonly operations = new Map<number, BulkOperation>();
  private lastNumber = 4_100_000_000;
  private readonly key = randomBytes(16);

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly rootValue: object,
    private readonly clock: () => number = Date.now,
  ) {}

  run(query: string): BulkRunResult {
    const running = [...this.operations.values()].find((op) => this.clock() < op.readyAt);
    if (running) {
      return { operation: null, userErrors: [{ __typename: 'BulkOperationUserError', code: 'OPERATION_IN_PROGRESS', field: null, message: `A bulk query operation for this app and shop is already in progress: ${gid('BulkOperation', running.number)}.` }] };
    }
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      return invalid(`Invalid bulk query: ${(error as Error).message}`);
    }
    const errors = validate(this.schema, document);
    if (errors.length > 0) return invalid(`Invalid bulk query: ${errors.map((e) => e.message).join('; ')}`);
    const result = executeSync({ schema: this.schema, document, rootValue: this.rootValue, contextValue: { bulk: true } });
    if (result.errors?.length) return invalid(`Invalid bulk query: ${result.errors.map((e) => e.message).join('; ')}`);
    const roots = Object.values(result.data ?? {});
    if (roots.length !== 1 || !isConnection(roots[0])) return invalid('Bulk queries must contain exactly one top-level connection field.');
    const lines: string[] = [];
    const items = itemsOf(roots[0]);
    for (const item of items) emit(item, null, lines);
    this.lastNumber += 1 + (this.lastNumber % 7);
    const now = this.clock();
    const operation: BulkOperation = { number: this.lastNumber, query, createdAt: now, readyAt: now + RUN_BASE_MS + lines.length * RUN_MS_PER_OBJECT, lines, rootObjectCount: items.length };
    this.operations.set(operation.number, operation);
    return { operation, userErrors: [] };
  }

  find(number: number): BulkOperation | undefined {
    return this.operations.get(number);
  }

  /** The operation as the `BulkOperation` type shows it; `baseUrl` is where its file is served. */
  view(operation: BulkOperation, baseUrl: string): Record<string, unknown> {
    const done = this.clock() >= operation.readyAt;
    const body = operation.lines.join('\n') + (operation.lines.length > 0 ? '\n' : '');
    return {
      __typename: 'BulkOperation',
      id: gid('BulkOperation', operation.number),
      status: done ? 'COMPLETED' : 'RUNNING',
      errorCode: null,
      createdAt: new Date(operation.createdAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      completedAt: done ? new Date(operation.readyAt).toISOString().replace(/\.\d{3}Z$/, 'Z') : null,
      objectCount: String(done ? operation.lines.length : Math.floor(operation.lines.length / 2)),
      rootObjectCount: String(done ? operation.rootObjectCount : Math.floor(operation.rootObjectCount / 2)),
      fileSize: done && operation.lines.length > 0 ? String(Buffer.byteLength(body)) : null,
      // Shopify answers no URL for an operation that found nothing.
      url: done && operation.lines.length > 0 ? `${baseUrl}/bulk-operation-results/${operation.number}.jsonl?signature=${this.signature(operation.number)}` : null,
      partialDataUrl: null,
      query: operation.query,
      type: 'QUERY',
    };
  }

  /** The JSONL file of a completed operation, when `signature` is its URL's. */
  file(number: number, signature: string | null): string | null {
    const operation = this.operations.get(number);
    if (!operation || signature !== this.signature(number) || this.clock() < operation.readyAt) return null;
    return operation.lines.join('\n') + (operation.lines.length > 0 ? '\n' : '');
  }

  private signature(number: number): string {
    return createHmac('sha256', this.key).update(String(number)).digest('base64url');
  }
}

function invalid(message: string): BulkRunResult {
  return { operation: null, userErrors: [{ __typename: 'BulkOperationUserError', code: 'INVALID', field: ['query'], message }] };
}

function isConnection(value: unknown): value is { edges?: Array<{ node: unknown }>; nodes?: unknown[] } {
  return !!value && typeof value === 'object' && (Array.isArray((value as { edges?: unknown }).edges) || Array.isArray((value as { nodes?: unknown }).nodes));
}

function itemsOf(connection: { edges?: Array<{ node: unknown }>; nodes?: unknown[] }): Record<string, unknown>[] {
  const items = connection.nodes ?? connection.edges?.map((edge) => edge.node) ?? [];
  return items.filter((item): item is Record<string, unknown> => !!item && typeof item === 'object');
}

/** One item's line (its nested connections left out), then its nested connections' items. */
function emit(item: Record<string, unknown>, parentId: string | null, lines: string[]): void {
  const own: Record<string, unknown> = {};
  const nested: Record<string, unknown>[] = [];
  for (const [key, value] of Object.entries(item)) {
    if (isConnection(value)) nested.push(...itemsOf(value));
    else own[key] = value;
  }
  if (parentId !== null) own.__parentId = parentId;
  lines.push(JSON.stringify(own));
  const id = typeof item.id === 'string' ? item.id : null;
  for (const child of nested) emit(child, id, lines);
}
