import type { ApiDescription } from '../../support/api-description/checker.ts';
import { descriptionFile } from './description-file.ts';

/**
 * GitHub's own OpenAPI description of api.github.com (github/rest-api-description), as
 * `@octokit/openapi` ships it. GitHub serves `GET /repositories/{id}` (a repository by its
 * immutable id, which survives renames and transfers; Octokit and GitHub Apps use it) but leaves
 * it out of its reference: it is added here with the answer it gives, the full-repository of
 * `GET /repos/{owner}/{repo}`, so the provider's use of it is checked too.
 */
export const githubApiDescription: ApiDescription = {
  document: descriptionFile('@octokit/openapi/generated/api.github.com.json'),
  supplement: {
    paths: {
      '/repositories/{repository_id}': {
        get: {
          parameters: [{ $ref: '#/components/parameters/repository-id' }],
          responses: {
            '200': { description: 'Response', content: { 'application/json': { schema: { $ref: '#/components/schemas/full-repository' } } } },
            '301': { $ref: '#/components/responses/moved_permanently' },
            '403': { $ref: '#/components/responses/forbidden' },
            '404': { $ref: '#/components/responses/not_found' },
          },
        },
      },
    },
  },
  allow: [],
};
