/**
 * The boundaries docs/ARCHITECTURE.md describes ("Boundaries"), checked by `npm run
 * lint:boundaries` (part of `npm test`). A rule here and a line there say the same thing: change
 * both or neither. Type-only imports count: a layer that needs another's types depends on it.
 */

/** Packages with no I/O that deciders may use: Emmett's types (type-only, see below) and the canonical JSON. */
const PURE_PACKAGES = '(^|/)node_modules/(@event-driven-io/emmett|safe-stable-stringify)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles, type-only ones included: a cycle makes load order and layering depend on chance.',
      from: {},
      to: { circular: true },
    },

    // Deciders: decide(command, state) → events, evolve(state, event) → state, no I/O.
    {
      name: 'domain-imports-only-domain-and-errors',
      severity: 'error',
      comment: 'src/domain depends on nothing of the app but itself and the typed errors (src/errors.ts).',
      from: { path: '^src/domain/' },
      to: { path: '^(src|test|bench|web)/', pathNot: ['^src/domain/', '^src/errors\\.ts$'] },
    },
    {
      name: 'domain-no-node-builtins',
      severity: 'error',
      comment: 'src/domain does no I/O: no node: builtins (fs, net, http, crypto, timers, …).',
      from: { path: '^src/domain/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'domain-no-io-packages',
      severity: 'error',
      comment: `src/domain does no I/O: of npm packages only the pure ones (${PURE_PACKAGES}); no pg, prisma, nats, undici, ….`,
      from: { path: '^src/domain/' },
      to: { path: '(^|/)node_modules/', pathNot: PURE_PACKAGES },
    },
    {
      name: 'domain-uses-emmett-types-only',
      severity: 'error',
      comment: "src/domain takes Emmett's types (Event, Command), none of its runtime.",
      from: { path: '^src/domain/' },
      to: { path: '(^|/)node_modules/@event-driven-io/', dependencyTypesNot: ['type-only'] },
    },

    // The two APIs are peers over the same command handlers and queries.
    {
      name: 'schema-not-http',
      severity: 'error',
      comment: 'GraphQL (src/schema) never imports the REST layer (src/http).',
      from: { path: '^src/schema/' },
      to: { path: '^src/http/' },
    },
    {
      name: 'http-not-schema',
      severity: 'error',
      comment: 'REST (src/http) never imports GraphQL (src/schema); src/http/server.ts, which mounts both, is the one exception.',
      from: { path: '^src/http/', pathNot: '^src/http/server\\.ts$' },
      to: { path: '^src/schema/' },
    },
    {
      name: 'transports-at-the-edge',
      severity: 'error',
      comment:
        'Only the transports themselves and the app that starts them (src/app.ts) import src/http and src/schema: commands, queries, delivery, syncs and read models serve both, and know neither.',
      from: { path: '^src/', pathNot: ['^src/(http|schema)/', '^src/app\\.ts$'] },
      to: { path: '^src/(http|schema)/' },
    },

    // Read models and storage.
    {
      name: 'projections-are-read-models',
      severity: 'error',
      comment:
        'src/projections builds read models from events: it never imports the sync engine, the transports, the write side (commands), queries or delivery.',
      from: { path: '^src/projections/' },
      to: { path: '^src/(sync|http|schema|commands|queries|consumers|live|emulators)/' },
    },
    {
      name: 'db-knows-no-layer',
      severity: 'error',
      comment:
        'src/db is storage (pools, the event store, raw appends, migrations): the read models it projects inline are handed in (src/app.ts), so it imports no layer above it.',
      from: { path: '^src/db/' },
      to: { path: '^src/(projections|domain|commands|queries|consumers|sync|http|schema|live|emulators)/' },
    },

    // Providers and their emulators.
    {
      name: 'providers-not-emulators',
      severity: 'error',
      comment: 'A provider (src/sync/providers) never imports an emulator: it must work against the real API.',
      from: { path: '^src/sync/providers/' },
      to: { path: '^src/emulators/' },
    },
    {
      name: 'emulators-not-providers',
      severity: 'error',
      comment: "An emulator never imports a provider: each side is written from the vendor's documentation, so a shared mistake cannot pass unseen.",
      from: { path: '^src/emulators/' },
      to: { path: '^src/sync/' },
    },
    {
      name: 'emulators-only-from-emulators',
      severity: 'error',
      comment: 'The server never imports src/emulators (tests and `npm run emulate` do).',
      from: { path: '^src/', pathNot: '^src/emulators/' },
      to: { path: '^src/emulators/' },
    },

    // Tests, benchmarks and the console stay out of the server.
    {
      name: 'src-not-tests',
      severity: 'error',
      comment: 'src/ never imports test/ or bench/: nothing of them reaches dist/.',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'specs-live-in-test',
      severity: 'error',
      comment: 'Tests live in test/ (mirroring src/ where it helps); a spec in src/ is neither run by vitest nor built.',
      from: { path: '^src/.*\\.spec\\.tsx?$' },
      to: {},
    },
    {
      name: 'console-apart',
      severity: 'error',
      comment: 'The console (web/) talks to the server over HTTP only; the server serves its build (dist/console) and imports none of it.',
      from: { path: '^web/' },
      to: { path: '^(src|test|bench)/' },
    },
    {
      name: 'server-not-console',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^web/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // The generated Prisma client and Pothos types: imported, not checked.
    exclude: { path: '^src/generated/' },
    // node_modules is a symlink in some checkouts; keep its paths as imported.
    preserveSymlinks: true,
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.d.ts'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
