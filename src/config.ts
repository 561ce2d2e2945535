import { z } from 'zod';

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
