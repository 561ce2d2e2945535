import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ADMIN_SCHEMA_SDL } from '../../src/emulators/shopify/admin-schema.ts';
import { API_VERSION } from '../../src/sync/providers/shopify/client.ts';
import { officialAdminSchema, shippedAdminVersions, subsetSdl } from '../support/shopify-admin-schema.ts';

const FILE = new URL('../../src/emulators/shopify/admin-schema.ts', import.meta.url);

describe("the Shopify emulator's Admin GraphQL schema", () => {
  it('is the subset of the official schema of API_VERSION that test/support/shopify-admin-schema.ts names', () => {
    const expected = subsetSdl(officialAdminSchema(API_VERSION));
    // SHOPIFY_SCHEMA_WRITE=1 rewrites it (after a version bump or a change of the subset).
    if (process.env.SHOPIFY_SCHEMA_WRITE === '1') {
      const header = `/**\n * The part of Shopify's Admin GraphQL schema (${API_VERSION}) the emulator serves, printed from the official\n * schema by test/support/shopify-admin-schema.ts (regenerate: SHOPIFY_SCHEMA_WRITE=1 npx vitest run\n * test/emulators/shopify-admin-schema.unit.spec.ts). Do not edit by hand.\n */\n\n`;
      writeFileSync(FILE, `${header}export const ADMIN_SCHEMA_VERSION = '${API_VERSION}';\n\nexport const ADMIN_SCHEMA_SDL = ${JSON.stringify(expected)};\n`);
      return;
    }
    expect(ADMIN_SCHEMA_SDL).toBe(expected);
  });

  it('speaks the newest stable version the official schemas cover', () => {
    const stable = shippedAdminVersions().filter((v) => /^\d{4}-\d{2}$/.test(v)).sort();
    expect(stable.at(-1)).toBe(API_VERSION);
  });
});
