import type { RecordedExchange } from '../../../src/emulators/kit/http-emulator.ts';
import { API_VERSION } from '../../../src/sync/providers/shopify/client.ts';
import type { GraphqlDescription } from '../../support/api-description/graphql-checker.ts';
import { officialAdminSchema } from '../../support/shopify-admin-schema.ts';

/** Each line of a bulk operation's result is one JSON object with a gid `id` (and `__parentId` for nested items). */
function checkJsonl(exchange: RecordedExchange): string[] {
  if (exchange.status !== 200) return exchange.fault || exchange.status === 429 ? [] : [`answers HTTP ${exchange.status}`];
  const problems = new Set<string>();
  for (const line of exchange.answerBody.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const object = JSON.parse(line) as Record<string, unknown>;
      if (typeof object.id !== 'string' || !object.id.startsWith('gid://shopify/')) problems.add('a line has no gid "id"');
      if ('__parentId' in object && typeof object.__parentId !== 'string') problems.add('a "__parentId" is not a gid');
    } catch {
      if (!exchange.cut) problems.add('a line is not JSON');
    }
  }
  return [...problems];
}

/**
 * Shopify's own Admin GraphQL schema of the provider's API_VERSION, as `@shopify/dev-mcp` ships
 * it: every query and mutation the provider sends is validated against it, every answer is
 * type-checked against the selection it answers.
 */
export const shopifyGraphqlDescription: GraphqlDescription = {
  schema: () => officialAdminSchema(API_VERSION),
  endpoint: new RegExp(`^/admin/api/${API_VERSION}/graphql\\.json$`),
  otherPaths: [{ path: /^\/bulk-operation-results\/\d+\.jsonl$/, operation: 'GET bulk operation result (JSONL)', check: checkJsonl }],
  allow: [],
};
