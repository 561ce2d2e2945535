import { getOperationAST, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { queryCost, MAX_QUERY_COST } from '../../../../src/emulators/shopify/graphql/cost.ts';
import { bulkQuery, countQuery, DESTROY_EVENTS_QUERY, nestedPageQuery, nodeQuery, QUERIES, updatedSinceQuery } from '../../../../src/sync/providers/shopify/queries.ts';
import { officialAdminSchema } from '../../../support/shopify-admin-schema.ts';

const schema = officialAdminSchema();

function requestedCost(document: string, variables: Record<string, unknown>): number {
  const parsed = parse(document);
  return queryCost(schema, getOperationAST(parsed)!, {}, variables).requested;
}

describe("the Shopify provider's queries", () => {
  for (const [collectionId, queries] of Object.entries(QUERIES)) {
    it(`${collectionId}: every document is valid against Shopify's official Admin schema`, () => {
      const documents = [updatedSinceQuery(queries), nodeQuery(queries), countQuery(queries), bulkQuery(queries, null), bulkQuery(queries, '123'), ...queries.nested.map((n) => nestedPageQuery(queries, n))];
      for (const document of documents) expect(validate(schema, parse(document)).map((e) => e.message), document).toEqual([]);
    });

    it(`${collectionId}: a page of changes requests at most Shopify's 1,000 points per query, and not far below`, () => {
      const cost = requestedCost(updatedSinceQuery(queries), { first: queries.pageSize });
      expect(cost).toBeLessThanOrEqual(MAX_QUERY_COST);
      // One more object a page would still fit: the page is not needlessly small.
      expect(requestedCost(updatedSinceQuery(queries), { first: queries.pageSize + 1 }), 'page size could grow').toBeGreaterThan(MAX_QUERY_COST * 0.75);
    });
  }

  it('destroy events: a page fits the per-query limit', () => {
    expect(validate(schema, parse(DESTROY_EVENTS_QUERY))).toEqual([]);
    expect(requestedCost(DESTROY_EVENTS_QUERY, { first: 250 })).toBeLessThanOrEqual(MAX_QUERY_COST);
  });
});
