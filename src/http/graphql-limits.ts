import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { DocumentNode, GraphQLError, GraphQLSchema } from 'graphql';
// yoga's createGraphQLError makes errors of the graphql build yoga and graphql-ws load (under
// vitest, this module's own `graphql` import can be the other build, which graphql-ws refuses).
import { createGraphQLError, createLRUCache, type Plugin } from 'graphql-yoga';
import type { Config } from '../config.ts';

/** The codes a refused document answers with (HTTP 400; over graphql-ws, an error message). */
export const GRAPHQL_LIMIT_CODES = {
  tokens: 'query_too_large',
  aliases: 'too_many_aliases',
  depth: 'query_too_deep',
  cost: 'query_too_costly',
  directives: 'too_many_directives',
} as const;

type Limit = keyof typeof GRAPHQL_LIMIT_CODES;

/**
 * Armor reports a refusal as a bare "Syntax Error" without a code; throwing from its reject hook
 * replaces that error with ours (code, status, the setting that raises the limit). The throw
 * leaves the parser or the validation at once, so a huge document costs no more work than needed.
 */
function refuse(limit: Limit, what: string, setting: string) {
  return [
    (_context: unknown, armorError: Error) => {
      const found = /found (\d+)/.exec(armorError.message)?.[1];
      throw createGraphQLError(`${what}${found ? ` (found ${found})` : ''}; the limit is set by ${setting}`, {
        extensions: { code: GRAPHQL_LIMIT_CODES[limit], status: 400, details: [], http: { status: 400 } },
      });
    },
  ];
}

/**
 * GraphQL Armor's limits for every caller, on HTTP and graphql-ws alike (both run through yoga's
 * envelop). The token limit applies while parsing, the others before execution.
 */
export function graphqlLimitPlugins(config: Config): Plugin[] {
  const common = { exposeLimits: true, propagateOnRejection: true } as const;
  return [
    maxTokensPlugin({ ...common, n: config.SYNCLINE_GRAPHQL_MAX_TOKENS, onReject: refuse('tokens', `the document has more than ${config.SYNCLINE_GRAPHQL_MAX_TOKENS} tokens`, 'SYNCLINE_GRAPHQL_MAX_TOKENS') }),
    maxAliasesPlugin({ ...common, n: config.SYNCLINE_GRAPHQL_MAX_ALIASES, onReject: refuse('aliases', `an operation has more than ${config.SYNCLINE_GRAPHQL_MAX_ALIASES} aliases`, 'SYNCLINE_GRAPHQL_MAX_ALIASES') }),
    maxDepthPlugin({ ...common, n: config.SYNCLINE_GRAPHQL_MAX_DEPTH, onReject: refuse('depth', `an operation is nested deeper than ${config.SYNCLINE_GRAPHQL_MAX_DEPTH} levels`, 'SYNCLINE_GRAPHQL_MAX_DEPTH') }),
    costLimitPlugin({ ...common, maxCost: config.SYNCLINE_GRAPHQL_MAX_COST, onReject: refuse('cost', `an operation costs more than ${config.SYNCLINE_GRAPHQL_MAX_COST}`, 'SYNCLINE_GRAPHQL_MAX_COST') }),
    maxDirectivesPlugin({ ...common, n: config.SYNCLINE_GRAPHQL_MAX_DIRECTIVES, onReject: refuse('directives', `an operation has more than ${config.SYNCLINE_GRAPHQL_MAX_DIRECTIVES} directives`, 'SYNCLINE_GRAPHQL_MAX_DIRECTIVES') }),
    blockFieldSuggestionsPlugin(),
    answerLimitsWith400,
  ] as Plugin[];
}

const LIMIT_CODES: ReadonlySet<unknown> = new Set(Object.values(GRAPHQL_LIMIT_CODES));

/**
 * Yoga marks every parse error as a GraphQL-over-HTTP "spec" error, which `application/json`
 * callers get with 200; a refused document is the caller's fault whatever it accepts: 400.
 */
const answerLimitsWith400: Plugin = {
  onResultProcess: ({ result }) => {
    for (const single of Array.isArray(result) ? result : [result]) {
      const errors = (single as { errors?: readonly { extensions?: { code?: unknown; http?: { spec?: boolean } } }[] }).errors ?? [];
      for (const error of errors) if (LIMIT_CODES.has(error.extensions?.code) && error.extensions?.http) error.extensions.http.spec = false;
    }
  },
};

/** Documents longer than this are parsed every time instead of being kept in yoga's caches. */
const CACHEABLE_DOCUMENT_CHARS = 16 * 1024;

/**
 * Yoga's parse and validation caches keep up to 1,024 documents, keyed by their whole text: 1,024
 * distinct documents of ~1 MB (whitespace and comments are not tokens) would pin a gigabyte. Only
 * documents up to 16 KB are kept (at most 16 MiB of keys per cache); longer ones, rare and
 * suspicious, are parsed each time.
 */
export function boundedParserCache() {
  const bounded = <T extends {}>() => {
    const lru = createLRUCache<T>();
    return {
      get: (key: string) => lru.get(key),
      set: (key: string, value: T) => {
        if (key.length <= CACHEABLE_DOCUMENT_CHARS) lru.set(key, value);
      },
    };
  };
  return { documentCache: bounded<DocumentNode>(), errorCache: bounded<{}>() };
}

interface DocumentChecks {
  schema: GraphQLSchema;
  parse: (source: string) => DocumentNode;
  validate: (schema: GraphQLSchema, document: DocumentNode) => readonly GraphQLError[];
}

/**
 * Parses and validates a graphql-ws operation through yoga's envelop (so the limits above apply).
 * A refused document (syntax, a limit) becomes that operation's error: thrown, it would close the
 * whole socket with 4500.
 */
export function parseAndValidate(checks: DocumentChecks, query: string): { document: DocumentNode } | { errors: readonly GraphQLError[] } {
  try {
    const document = checks.parse(query);
    const errors = checks.validate(checks.schema, document);
    return errors.length > 0 ? { errors } : { document };
  } catch (error) {
    if (!(error instanceof Error && 'extensions' in error)) throw error;
    const { http: _http, ...extensions } = (error as GraphQLError).extensions;
    return { errors: [createGraphQLError(error.message, { extensions })] };
  }
}
