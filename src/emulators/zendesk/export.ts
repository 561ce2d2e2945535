/**
 * Zendesk's incremental exports over the store's change sequence:
 * - cursor-based (tickets, users): `?start_time=<unix>` first, then `?cursor=<after_cursor>`;
 *   answers `{<plural>, after_url, after_cursor, before_url, before_cursor, end_of_stream}`. The
 *   cursor is opaque (a position in the change sequence); the last page's `after_cursor` is where
 *   the next export resumes.
 * - time-based (organizations): `?start_time=<unix>`, answers `{<plural>, next_page, end_time,
 *   end_of_stream, count}`; the next page starts at `end_time` (inclusive), so the objects of the
 *   last second come again (Zendesk documents the duplicates). A page is extended to the end of
 *   its last second, so that a second with more objects than `per_page` cannot stall the export.
 * Items changed within the last `lagSeconds` are left out (Zendesk: one minute), and a
 * `start_time` later than that is refused.
 */

import { EmulatorError } from '../kit/http-emulator.ts';
import type { ZendeskObject } from './objects.ts';
import type { Stored } from './store.ts';
import { secondsOf } from './time.ts';

export const MAX_PER_PAGE = 1000;

export interface ExportRequest {
  query: URLSearchParams;
  /** The export's URL without query, for after_url / next_page. */
  pageUrl: string;
  now: number;
  lagSeconds: number;
}

export function invalid(description: string, error = 'InvalidValue'): EmulatorError {
  return new EmulatorError({ status: 422, body: { error, description } });
}

function badCursor(): EmulatorError {
  return new EmulatorError({ status: 400, body: { error: 'InvalidPaginationParameter', description: 'cursor is invalid' } });
}

function perPage(query: URLSearchParams): number {
  const raw = query.get('per_page');
  if (raw === null) return MAX_PER_PAGE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw invalid('per_page must be a positive integer');
  return Math.min(n, MAX_PER_PAGE);
}

function startTime(request: ExportRequest): number {
  const raw = request.query.get('start_time');
  if (raw === null || raw.trim() === '') throw invalid('start_time is required');
  const start = Number(raw);
  if (!Number.isInteger(start) || start < 0) throw invalid('start_time must be a unix epoch time in seconds');
  if (start > request.now - request.lagSeconds) {
    throw invalid(request.lagSeconds > 0 ? `Too recent start_time. Use a start_time older than ${Math.ceil(request.lagSeconds / 60)} minute` : 'start_time is in the future');
  }
  return start;
}

export const encodeCursor = (seq: number): string => Buffer.from(`${seq}.0||${seq.toString(36)}|`).toString('base64');

function decodeCursor(raw: string): number {
  const match = /^(\d+)\.0\|\|([0-9a-z]+)\|$/.exec(Buffer.from(raw, 'base64').toString('utf8'));
  if (!match || Number(match[1]).toString(36) !== match[2]) throw badCursor();
  return Number(match[1]);
}

/** Time of an item's change as the export filters on it (tickets: generated_timestamp). */
const changedAt = (object: ZendeskObject): number => (typeof object.generated_timestamp === 'number' ? object.generated_timestamp : secondsOf(object.updated_at));

export function cursorExport(plural: string, changes: Stored[], request: ExportRequest): Record<string, unknown> {
  const size = perPage(request.query);
  const cursorRaw = request.query.get('cursor');
  const visible = changes.filter((s) => changedAt(s.object) <= request.now - request.lagSeconds);
  let after: Stored[];
  let from: number;
  if (cursorRaw !== null) {
    from = decodeCursor(cursorRaw);
    after = visible.filter((s) => s.seq > from);
  } else {
    const start = startTime(request);
    after = visible.filter((s) => changedAt(s.object) >= start);
    // Nothing since start_time: resume after everything older (which is all that is visible now).
    from = visible.reduce((max, s) => Math.max(max, s.seq), 0);
  }
  const page = after.slice(0, size);
  const last = page[page.length - 1];
  const afterCursor = encodeCursor(last ? last.seq : from);
  const beforeCursor = cursorRaw !== null && page[0] ? encodeCursor(page[0].seq - 1) : null;
  const link = (cursor: string | null) => (cursor === null ? null : `${request.pageUrl}?${new URLSearchParams({ ...(request.query.get('per_page') ? { per_page: String(size) } : {}), cursor })}`);
  return {
    [plural]: page.map((s) => s.object),
    after_url: link(afterCursor),
    after_cursor: afterCursor,
    before_url: link(beforeCursor),
    before_cursor: beforeCursor,
    end_of_stream: after.length <= size,
  };
}

export function timeExport(plural: string, changes: Stored[], request: ExportRequest): Record<string, unknown> {
  const size = perPage(request.query);
  const start = startTime(request);
  const due = changes
    .filter((s) => changedAt(s.object) >= start && changedAt(s.object) <= request.now - request.lagSeconds)
    .sort((a, b) => changedAt(a.object) - changedAt(b.object) || a.seq - b.seq);
  let end = Math.min(size, due.length);
  const lastAt = end > 0 ? changedAt((due[end - 1] as Stored).object) : start;
  while (end < due.length && changedAt((due[end] as Stored).object) === lastAt) end++;
  const page = due.slice(0, end);
  const params = new URLSearchParams({ ...(request.query.get('per_page') ? { per_page: String(size) } : {}), start_time: String(lastAt) });
  return {
    [plural]: page.map((s) => s.object),
    next_page: `${request.pageUrl}?${params}`,
    count: page.length,
    end_of_stream: end >= due.length,
    end_time: lastAt,
  };
}
