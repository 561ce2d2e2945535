import type { ApiDescription } from '../../support/api-description/checker.ts';
import { describeGeneratedClient } from '../../support/api-description/openapi-generator-client.ts';

/**
 * HubSpot's CRM objects and OAuth APIs as its official client, `@hubspot/api-client`, describes
 * them: HubSpot generates that client from its own OpenAPI documents (openapi-generator), and the
 * description is rebuilt from the generated operations and models (models are closed: a property
 * the model lacks is a violation).
 */
export const hubspotApiDescription: ApiDescription = {
  document: describeGeneratedClient('@hubspot/api-client', 'https://api.hubapi.com', [
    { module: 'crm/objects', apis: ['BasicApi', 'SearchApi'] },
    { module: 'oauth', apis: ['TokensApi'] },
  ]),
  allow: [
    {
      match: /^POST \/crm\/v3\/objects\/\{objectType\}\/search: request body \/sorts\/\* must be string$/,
      reason:
        'the model types `sorts` as strings, but HubSpot\'s CRM search guide (developers.hubspot.com/docs/api/crm/search, "Sort search results") documents the sort as an object {propertyName, direction}, the only form that sets the direction',
    },
    {
      match: /^[A-Z]+ \/crm\/v3\/\S+: answer (?:4\d\d|5\d\d) \/ must NOT have additional properties \{"additionalProperty":"status"\}$/,
      reason: 'HubSpot\'s error bodies carry "status": "error" beside message, correlationId and category (its "Error handling" guide shows them so); the generated Error model leaves it out',
    },
    {
      match: /^[A-Z]+ \/crm\/v3\/\S+: answer 429 \/ (?:must have required property 'category' \{"missingProperty":"category"\}|must NOT have additional properties \{"additionalProperty":"(?:errorType|policyName|requestId)"\})$/,
      reason:
        'a 429 is HubSpot\'s rate-limit body, {status, message, errorType: "RATE_LIMIT", correlationId, policyName, requestId} as its API usage guidelines document it, not the generic Error model (no category)',
    },
  ],
};
