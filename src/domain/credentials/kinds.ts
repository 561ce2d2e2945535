/** Credential kinds and what each needs (DESIGN.md §8, "Credential kinds"). */
export type CredentialSecretField = 'access_token' | 'refresh_token';

export interface CredentialKindSpec {
  provider: string;
  /** The field the seed's inline `secret` maps to. */
  mainSecret: CredentialSecretField;
  requiredSecrets: CredentialSecretField[];
  /** At least one of these (e.g. an OAuth access token, or a refresh token to obtain one). */
  requiredOneOf: CredentialSecretField[];
  requiresOAuthApp: boolean;
  requiredMetadata: string[];
  requiresApiBaseUrl: boolean;
}

const spec = (provider: string, overrides: Partial<CredentialKindSpec> = {}): CredentialKindSpec => ({
  provider,
  mainSecret: 'access_token',
  requiredSecrets: ['access_token'],
  requiredOneOf: [],
  requiresOAuthApp: false,
  requiredMetadata: [],
  requiresApiBaseUrl: false,
  ...overrides,
});

export const credentialKinds: Record<string, CredentialKindSpec> = {
  stripe: spec('stripe'),
  stripe_oauth2: spec('stripe'),
  hubspot: spec('hubspot'),
  hubspot_oauth2: spec('hubspot', { mainSecret: 'refresh_token', requiredSecrets: ['refresh_token'], requiresOAuthApp: true }),
  salesforce_oauth2: spec('salesforce', { mainSecret: 'refresh_token', requiredSecrets: ['refresh_token'], requiresOAuthApp: true }),
  shopify: spec('shopify', { requiredMetadata: ['shop'] }),
  github: spec('github'),
  jira: spec('jira', { requiredMetadata: ['email'], requiresApiBaseUrl: true }),
  /** Atlassian OAuth 2.0 (3LO): the site's cloud id comes from the token's accessible resources; api_base_url overrides auth.atlassian.com and api.atlassian.com. */
  jira_oauth2: spec('jira', { mainSecret: 'refresh_token', requiredSecrets: ['refresh_token'], requiresOAuthApp: true }),
  zendesk: spec('zendesk', { requiredMetadata: ['email'], requiresApiBaseUrl: true }),
  /** A Zendesk OAuth access token (Bearer); refresh token + oauth app when the token expires. */
  zendesk_oauth2: spec('zendesk', { requiredSecrets: [], requiredOneOf: ['access_token', 'refresh_token'], requiresApiBaseUrl: true }),
};

export function credentialKindNames(): string[] {
  return Object.keys(credentialKinds);
}

/** Problems with a credential's shape for its kind, as `{path, message}`; empty when valid. */
export function credentialShapeProblems(input: {
  kind: string;
  secrets: Partial<Record<CredentialSecretField, string>>;
  oauthAppId: string | null;
  metadata: Record<string, unknown>;
  apiBaseUrl: string | null;
}): { path: string; message: string }[] {
  const kind = credentialKinds[input.kind];
  if (!kind) return [{ path: 'kind', message: `unknown credential kind "${input.kind}"` }];
  const problems: { path: string; message: string }[] = [];
  for (const field of kind.requiredSecrets) {
    if (!input.secrets[field]) problems.push({ path: field, message: `${input.kind} credentials need ${field}` });
  }
  if (kind.requiredOneOf.length > 0 && !kind.requiredOneOf.some((field) => input.secrets[field])) {
    problems.push({ path: kind.requiredOneOf.join('|'), message: `${input.kind} credentials need one of ${kind.requiredOneOf.join(', ')}` });
  }
  if (kind.requiresOAuthApp && !input.oauthAppId) problems.push({ path: 'oauth_app_id', message: `${input.kind} credentials need oauth_app_id` });
  for (const key of kind.requiredMetadata) {
    if (typeof input.metadata[key] !== 'string' || input.metadata[key] === '') {
      problems.push({ path: `metadata.${key}`, message: `${input.kind} credentials need metadata.${key}` });
    }
  }
  if (kind.requiresApiBaseUrl && !input.apiBaseUrl) problems.push({ path: 'api_base_url', message: `${input.kind} credentials need api_base_url` });
  return problems;
}
