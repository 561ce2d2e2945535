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
  allow: [
    {
      match: /^GET \/repos\/\{owner\}\/\{repo\}\/pulls: answers 404, a status the operation does not describe$/,
      reason:
        "the description lists only 200/304/422 for a repository's pull requests (its issues list does have 404), but GitHub answers 404 with its basic-error body when the repository is gone or no longer visible to the token, as for every repository path; the suite deletes repositories while the provider walks them",
    },
    {
      match: /^GET \/repos\/\{owner\}\/\{repo\}\/(?:pulls|issues): answers (?:403|429), a status the operation does not describe$/,
      reason:
        'secondary rate limits answer 403 or 429 on any endpoint ("Rate limits for the REST API": retry-after, a message naming the limit); the description lists those statuses on some operations only. The suite imposes them (documentedLimit)',
    },
  ],
};
