import { defineConfig } from 'prisma/config';

// `prisma migrate` cannot run here (no schema engine download); the server applies
// prisma/migrations/*/migration.sql itself at start, then prisma/functions (src/db/migrate.ts).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
