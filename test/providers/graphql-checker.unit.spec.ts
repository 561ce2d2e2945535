import { describe, expect, it } from 'vitest';
import type { RecordedExchange } from '../../src/emulators/kit/http-emulator.ts';
import { checkGraphqlExchange } from '../support/api-description/graphql-checker.ts';
import { shopifyGraphqlDescription } from './api-descriptions/shopify.ts';
import { API_VERSION } from '../../src/sync/providers/shopify/client.ts';

const QUERY = 'query Q($first: Int!) { customers(first: $first) { nodes { id state tags defaultAddress { city } } pageInfo { hasNextPage endCursor } } }';

function exchange(query: string, variables: unknown, answer: unknown, status = 200): RecordedExchange {
  return {
    method: 'POST',
    path: `/admin/api/${API_VERSION}/graphql.json`,
    query: '',
    requestContentType: 'application/json',
    requestBody: JSON.stringify({ query, variables }),
    status,
    answerContentType: 'application/json',
    answerBody: JSON.stringify(answer),
  };
}

const good = { data: { customers: { nodes: [{ id: 'gid://shopify/Customer/1', state: 'ENABLED', tags: ['vip'], defaultAddress: null }], pageInfo: { hasNextPage: false, endCursor: null } } } };

describe("the GraphQL check against Shopify's official Admin schema", () => {
  it('passes a valid query and a well-typed answer, naming the operation by its root fields', () => {
    expect(checkGraphqlExchange(shopifyGraphqlDescription, exchange(QUERY, { first: 5 }, good))).toEqual({ operation: 'query customers', answerValidated: true, faultNotDescribed: false, violations: [] });
  });

  it('finds a field the schema does not have, and variables of the wrong type', () => {
    const verdict = checkGraphqlExchange(shopifyGraphqlDescription, exchange('query Q($first: Int!) { customers(first: $first) { nodes { id first_name } } }', { first: 'five' }, { data: null, errors: [{ message: 'x' }] }));
    expect(verdict.violations.some((v) => v.includes('Cannot query field "first_name"'))).toBe(true);
    expect(verdict.violations.some((v) => v.startsWith('query customers: variables'))).toBe(true);
  });

  it('finds answers of the wrong shape: an enum value, a null in a non-null field, a missing and an unselected field', () => {
    const bad = { data: { customers: { nodes: [{ id: 'gid://shopify/Customer/1', state: 'enabled', tags: null, note: 'x' }], pageInfo: { hasNextPage: false, endCursor: null } } } };
    const { violations } = checkGraphqlExchange(shopifyGraphqlDescription, exchange(QUERY, { first: 5 }, bad));
    expect(violations).toEqual([
      'query customers: answer data/customers/nodes/*/state "enabled" is not a value of CustomerState',
      'query customers: answer data/customers/nodes/*/tags is null, its type [String!]! is not',
      'query customers: answer data/customers/nodes/*/defaultAddress is missing',
      'query customers: answer data/customers/nodes/*/note was not selected',
    ]);
  });
});
