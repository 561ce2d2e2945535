import { z } from 'zod';
import { validateEgressAllow } from './net/egress-policy.ts';

/** `true`/`1`/`yes` and `false`/`0`/`no`/empty, as environment variables spell booleans. */
const booleanEnv = z
  .string()
  .transform((value, context) => {
    const normalized = value.trim().toLowerCase();
    if (['true', '1', 'yes'].includes(normalized)) return true;
    if (['false', '0', 'no', ''].includes(normalized)) return false;
    context.addIssue({ code: 'custom', message: 'expected true or false' });
    return z.NEVER;
  })
  .or(z.boolean());

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(7376),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z.string().min(1).optional(),
  SYNCLINE_DATA_DIR: z.string().min(1).default('./.syncline'),
  SYNCLINE_API_TOKEN: z.string().min(16).optional(),
  SYNCLINE_SECRET_KEY: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Largest accepted request body, in bytes. */
  SYNCLINE_MAX_BODY_BYTES: z.coerce.number().int().positive().default(1_048_576),
  /** This process among those sharing one PostgreSQL (sync leases, rate-limit slots); default `<hostname>:<port>`. */
  SYNCLINE_INSTANCE_ID: z.string().min(1).max(200).optional(),
  /** A sync lease not renewed for this long is taken over by another instance (docs/DEPLOY.md). */
  SYNCLINE_LEASE_TTL_MS: z.coerce.number().int().min(1_000).max(600_000).default(10_000),

  // Hardening (docs/SECURITY.md): every limit below has a default an operator can change.
  /** CIDRs and host names that outbound connections may reach although loopback, private, link-local or unique-local. */
  SYNCLINE_EGRESS_ALLOW: z
    .string()
    .default('')
    .superRefine((value, context) => {
      try {
        validateEgressAllow(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
  /** Webhook consumers may deliver over plain http to any host, not only to loopback and the hosts SYNCLINE_EGRESS_ALLOW allows. */
  SYNCLINE_WEBHOOK_ALLOW_HTTP: booleanEnv.default(false),
  /** Notifications (docs/OPERATIONS.md "Notifications"): per subject, at most one POST per this many ms; the changes between are coalesced. */
  SYNCLINE_NOTIFY_INTERVAL_MS: z.coerce.number().int().min(100).max(86_400_000).default(60_000),
  /** `/metrics` without a token; refused by default when the server listens beyond loopback. */
  SYNCLINE_METRICS_PUBLIC: booleanEnv.default(false),
  /** `/metrics` labels sync and consumer series by `sync_id` / `consumer_id`; false adds them up by state and kind (very many syncs). */
  SYNCLINE_METRICS_PER_SYNC: booleanEnv.default(true),
  /** Largest upstream answer body read, in bytes (streamed; a larger answer fails the sync step). */
  SYNCLINE_MAX_UPSTREAM_BODY_BYTES: z.coerce.number().int().min(1024).default(16 * 1024 * 1024),
  /** Byte budget of one answer page (records over REST and GraphQL): a page ends early when it reaches it. */
  SYNCLINE_MAX_ANSWER_BYTES: z.coerce.number().int().min(1024).default(4 * 1024 * 1024),
  /** GraphQL document limits (GraphQL Armor), for every caller. */
  SYNCLINE_GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(100).default(5_000),
  SYNCLINE_GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(1).default(30),
  SYNCLINE_GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(2).default(12),
  SYNCLINE_GRAPHQL_MAX_COST: z.coerce.number().int().min(100).default(20_000),
  /** Per-account quotas. */
  SYNCLINE_MAX_SYNCS_PER_ACCOUNT: z.coerce.number().int().min(0).default(100),
  SYNCLINE_MAX_CONSUMERS_PER_ACCOUNT: z.coerce.number().int().min(0).default(100),
  SYNCLINE_MIN_POLL_INTERVAL_MS: z.coerce.number().int().min(0).default(1_000),
  /**
   * API requests per second per account (token bucket; burst = 2 s worth), per instance; over it:
   * 429 with Retry-After. The root token is not limited. 2,000: the consume bench's loop (4
   * workers, `/next` batch 100 + `/ack`) makes 2 requests per 100 messages, ~400 requests/s at its
   * ~20,000 messages/s; a tenant consuming as hard has 5× headroom (docs/API.md).
   */
  SYNCLINE_API_REQUESTS_PER_SECOND: z.coerce.number().positive().default(2_000),
  /** Failed authentications per minute per client address before 429. */
  SYNCLINE_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  /** A sync whose step crashed the process this many times in a row is put in `error` instead of restarted. */
  SYNCLINE_SYNC_CRASH_LIMIT: z.coerce.number().int().min(1).default(3),
  /** Directives per GraphQL operation (GraphQL Armor, with the other document limits above). */
  SYNCLINE_GRAPHQL_MAX_DIRECTIVES: z.coerce.number().int().min(1).default(50),
  /** Largest total of upstream answer bodies one sync step (one provider call) reads, in bytes: providers that gather a listing in memory stop there. */
  SYNCLINE_MAX_UPSTREAM_STEP_BYTES: z.coerce.number().int().min(1024).default(64 * 1024 * 1024),
  /**
   * The address providers reach this server at (`https://syncline.example.com`): provider webhook
   * URLs are built from it, and Syncline registers webhooks upstream only when it is set
   * (docs/PROVIDER-WEBHOOKS.md).
   */
  SYNCLINE_PUBLIC_URL: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z
      .url({ protocol: /^https?$/ })
      .transform((url) => url.replace(/\/+$/, ''))
      .optional(),
  ),
  /** Largest provider webhook body accepted, in bytes (413 over it). */
  SYNCLINE_MAX_WEBHOOK_BODY_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
});

export type Config = z.infer<typeof envSchema>;

export class ConfigError extends Error {}

/** Parses and validates the environment once, at start. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  if (parsed.data.DATABASE_URL && !parsed.data.SYNCLINE_SECRET_KEY) {
    throw new ConfigError('SYNCLINE_SECRET_KEY is required when DATABASE_URL is set');
  }
  return parsed.data;
}
