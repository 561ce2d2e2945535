/**
 * A collection's backfill through a bulk operation (`bulkOperationRunQuery`): the operation is
 * started, polled through `bulkOperation(id)` until it completes, and its JSONL result is read
 * in pages of objects, each object's nested lists put back under it (`__parentId` lines). The
 * backfill cursor names the operation, the position in its result, and the last object id
 * delivered: when the result is gone (expired after 7 days, or the operation failed), a new
 * operation resumes after that id. Shopify runs one bulk query per app and shop at a time: a
 * collection whose operation cannot start yet waits for the one running.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { UpstreamRequestError } from '../provider.ts';
import type { ShopifyClient } from './client.ts';
import { throwUserErrors } from './client.ts';
import { BULK_OPERATION_QUERY, bulkQuery, RUN_BULK_MUTATION, type CollectionQueries } from './queries.ts';

export type ShopifyRecord = Record<string, unknown> & { id?: unknown };

/** Objects per backfill page read from a result. */
export const BULK_PAGE_SIZE = 500;
/** How long one listPage call waits for an operation before handing back an empty page (the engine calls again). */
const MAX_WAIT_PER_CALL_MS = 20_000;
const FIRST_POLL_MS = 250;
const MAX_POLL_MS = 3_000;

export interface BulkCursor {
  /** The bulk operation's gid; null until one could start. */
  b: string | null;
  /** Objects of its result already delivered. */
  o: number;
  /** The numeric id of the last object delivered before this operation (it lists ids after it). */
  a: string | null;
}

export function decodeBulkCursor(raw: string | null): BulkCursor {
  if (raw === null) return { b: null, o: 0, a: null };
  const parsed = JSON.parse(raw) as Partial<BulkCursor>;
  if ((parsed.b !== null && typeof parsed.b !== 'string') || typeof parsed.o !== 'number' || (parsed.a !== null && typeof parsed.a !== 'string')) throw new Error(`malformed Shopify backfill cursor: ${raw}`);
  return { b: parsed.b, o: parsed.o, a: parsed.a };
}

interface BulkOperationView {
  id: string;
  status: string;
  errorCode: string | null;
  url: string | null;
}

export interface BulkPage {
  objects: ShopifyRecord[];
  next: BulkCursor | null;
}

export class BulkBackfill {
  /** Parsed results by operation id, kept while this session reads them page by page. */
  private readonly results = new Map<string, ShopifyRecord[]>();
  /** The last object id delivered of each operation read page by page. */
  private readonly lastDelivered = new Map<string, string>();

  constructor(private readonly client: ShopifyClient) {}

  async page(queries: CollectionQueries, cursor: BulkCursor): Promise<BulkPage> {
    const started = Date.now();
    let current = cursor;
    let pollMs = FIRST_POLL_MS;
    for (;;) {
      if (current.b === null) {
        const id = await this.start(queries, current.a);
        if (id !== null) current = { ...current, b: id, o: 0 };
      } else {
        const operation = await this.operation(current.b);
        if (operation === null || ['FAILED', 'CANCELED', 'EXPIRED'].includes(operation.status)) {
          if (operation?.errorCode === 'ACCESS_DENIED') throw new UpstreamRequestError(`Shopify's bulk operation was denied access (check the app's scopes)`, 403, 'bulk_access_denied');
          // Resume after what was delivered with a new operation.
          current = { b: null, o: 0, a: this.lastIdBefore(current) };
          continue;
        }
        if (operation.status === 'COMPLETED') return this.read(queries, current, operation.url);
      }
      if (Date.now() - started > MAX_WAIT_PER_CALL_MS) return { objects: [], next: current };
      await sleep(pollMs);
      pollMs = Math.min(MAX_POLL_MS, pollMs * 2);
    }
  }

  /** Starts the operation: its gid, or null while another bulk query of the app runs. */
  private async start(queries: CollectionQueries, afterId: string | null): Promise<string | null> {
    const { data } = await this.client.mutate<{ bulkOperationRunQuery: { bulkOperation: { id: string } | null; userErrors: Array<{ field: string[] | null; message: string; code: string | null }> } }>(RUN_BULK_MUTATION, {
      query: bulkQuery(queries, afterId),
    });
    const { bulkOperation, userErrors } = data.bulkOperationRunQuery;
    if (userErrors.some((e) => e.code === 'OPERATION_IN_PROGRESS')) return null;
    throwUserErrors(userErrors);
    if (!bulkOperation) throw new Error('Shopify started no bulk operation and gave no reason');
    return bulkOperation.id;
  }

  private async operation(id: string): Promise<BulkOperationView | null> {
    const { data } = await this.client.query<{ bulkOperation: BulkOperationView | null }>(BULK_OPERATION_QUERY, { id });
    return data.bulkOperation;
  }

  private async read(queries: CollectionQueries, cursor: BulkCursor, url: string | null): Promise<BulkPage> {
    const id = cursor.b!;
    let objects = this.results.get(id);
    if (!objects) {
      let text: string;
      try {
        text = url === null ? '' : await this.client.download(url);
      } catch (error) {
        // The file's URL lapsed (it is valid for a week): a new operation resumes after what was delivered.
        if (error instanceof UpstreamRequestError && (error.status === 403 || error.status === 404)) return { objects: [], next: { b: null, o: 0, a: this.lastIdBefore(cursor) } };
        throw error;
      }
      objects = assemble(text, queries);
      this.results.set(id, objects);
    }
    const page = objects.slice(cursor.o, cursor.o + BULK_PAGE_SIZE);
    const end = cursor.o + page.length;
    if (end >= objects.length) {
      this.results.delete(id);
      return { objects: page, next: null };
    }
    this.lastDelivered.set(id, String(page.at(-1)?.legacyResourceId ?? cursor.a ?? ''));
    return { objects: page, next: { b: id, o: end, a: cursor.a } };
  }

  /** The last object id delivered of `cursor`'s operation (when this session read it), else the cursor's own. */
  private lastIdBefore(cursor: BulkCursor): string | null {
    if (cursor.b === null || cursor.o === 0) return cursor.a;
    const objects = this.results.get(cursor.b);
    const last = objects?.[cursor.o - 1]?.legacyResourceId ?? this.lastDelivered.get(cursor.b);
    return typeof last === 'string' && last !== '' ? last : cursor.a;
  }
}

/** A JSONL result as objects: each line with a `__parentId` goes into its parent's nested list named by its type. */
export function assemble(jsonl: string, queries: CollectionQueries): ShopifyRecord[] {
  const roots: ShopifyRecord[] = [];
  const byId = new Map<string, ShopifyRecord>();
  const fieldOfType = new Map(queries.nested.map((n) => [n.itemType, n.field]));
  for (const line of jsonl.split('\n')) {
    if (line.trim() === '') continue;
    const object = JSON.parse(line) as ShopifyRecord & { __parentId?: string };
    const parentId = object.__parentId;
    if (parentId === undefined) {
      for (const nested of queries.nested) object[nested.field] = { nodes: [] };
      roots.push(object);
      if (typeof object.id === 'string') byId.set(object.id, object);
      continue;
    }
    delete object.__parentId;
    const parent = byId.get(parentId);
    const type = typeof object.id === 'string' ? /^gid:\/\/shopify\/([A-Za-z]+)\//.exec(object.id)?.[1] : undefined;
    const field = type ? fieldOfType.get(type) : undefined;
    if (!parent || !field) throw new Error(`a line of the bulk result names parent ${parentId} or type ${String(type)} the query did not read`);
    ((parent[field] as { nodes: unknown[] }).nodes ??= []).push(object);
  }
  return roots;
}
