/** GitHub's page-number pagination: `per_page` (default 30, at most 100), `page`, and a `Link` header. */

import type { EmulatorRequest } from '../kit/http-emulator.ts';

export interface Paged<T> {
  items: T[];
  /** The `Link` header, absent when everything fits on one page. */
  link: string | null;
}

const positiveInt = (raw: string | null, fallback: number): number => {
  const n = raw === null ? NaN : Number(raw);
  return Number.isInteger(n) && n > 0 ? n : fallback;
};

export function paginate<T>(request: EmulatorRequest, all: readonly T[]): Paged<T> {
  const perPage = Math.min(100, positiveInt(request.query.get('per_page'), 30));
  const page = positiveInt(request.query.get('page'), 1);
  const last = Math.max(1, Math.ceil(all.length / perPage));
  const items = all.slice((page - 1) * perPage, page * perPage);
  if (last === 1) return { items, link: null };
  const url = (n: number): string => {
    const query = new URLSearchParams(request.query);
    query.set('page', String(n));
    return `<${request.baseUrl}${request.path}?${query.toString()}>`;
  };
  const parts: string[] = [];
  if (page > 1) parts.push(`${url(Math.min(page - 1, last))}; rel="prev"`);
  if (page < last) parts.push(`${url(page + 1)}; rel="next"`);
  if (page < last) parts.push(`${url(last)}; rel="last"`);
  if (page > 1) parts.push(`${url(1)}; rel="first"`);
  return { items, link: parts.length > 0 ? parts.join(', ') : null };
}
