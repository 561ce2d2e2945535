import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { HttpMethod, RestRoutes } from '../../../src/http/rest.ts';

export interface RouteSpec {
  method: HttpMethod;
  path: string;
  /** `:id`, `:ref`, `:upstreamId`… in the order they appear. */
  params: string[];
  /** Served without an API token (the OAuth callback). */
  public?: boolean;
}

const HTTP_DIR = path.resolve(import.meta.dirname, '..', '..', '..', 'src', 'http');

/**
 * Every REST route the server registers, read from the route modules themselves: each module of
 * src/http exports `<resource>Routes(routes)` functions, called here with a collector. A route
 * added later is fuzzed and isolation-checked without touching this suite.
 */
export async function restRoutes(): Promise<RouteSpec[]> {
  const found: RouteSpec[] = [];
  const collector: RestRoutes = {
    on(method, routePath) {
      for (const m of Array.isArray(method) ? method : [method]) {
        found.push({ method: m, path: routePath, params: [...routePath.matchAll(/:([A-Za-z]+)/g)].map((match) => match[1]!) });
      }
    },
    onPublic(method, routePath) {
      found.push({ method, path: routePath, params: [...routePath.matchAll(/:([A-Za-z]+)/g)].map((match) => match[1]!), public: true });
    },
  };
  for (const file of readdirSync(HTTP_DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts')).sort()) {
    const module = (await import(path.join(HTTP_DIR, file))) as Record<string, unknown>;
    for (const [name, value] of Object.entries(module)) {
      if (name.endsWith('Routes') && typeof value === 'function' && value.length === 1) (value as (routes: RestRoutes) => void)(collector);
    }
  }
  const unique = new Map(found.map((r) => [`${r.method} ${r.path}`, r]));
  return [...unique.values()].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}

/** `/v1/syncs/:id/records` with `{id: 'x'}` → `/v1/syncs/x/records` (values URL-encoded). */
export function fillPath(route: RouteSpec, values: Record<string, string>): string {
  return route.path.replace(/:([A-Za-z]+)/g, (_, name: string) => encodeURIComponent(values[name] ?? ''));
}
