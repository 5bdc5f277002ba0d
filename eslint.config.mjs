// `npm run lint` (= `eslint .`): the boundaries of "How it is built" in the README, checked on every
// file, and a few general rules. Syntax only (typescript-eslint's parser, no type information), so
// it takes seconds; `npm run typecheck` does the type checking. test/lint-rules.spec.ts shows each
// boundary rule firing.
import { builtinModules } from 'node:module';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

const ROOT = dirname(fileURLToPath(import.meta.url));

const SOURCES = ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.cjs'];
/** Tests and their support (a lib's testing/ folder or testing-*.ts) may reach anything they exercise: the framework, SQLite files, the store. */
const TESTS = ['**/*.spec.ts', 'test/**', 'libs/*/src/testing/**', 'libs/*/src/testing-*.ts'];
/** The benchmarks measure the parts from outside, like tests (a peer Fastify server, raw appends). */
const BENCH = ['bench/**'];

// --- the HTTP framework lives in the edge

/** The one folder that knows the HTTP framework: request context, reply writer, uploads, problem+json. */
const EDGE = ['apps/ledger-api/src/edge/**'];
const HTTP_FRAMEWORK = {
  paths: ['fastify', '@nestjs/platform-fastify', '@nestjs/platform-express', 'express', 'multer', 'helmet', 'light-my-request'],
  patterns: ['fastify/*', 'fastify-*', '@fastify/*', 'express/*'],
  message: 'Only apps/ledger-api/src/edge/ knows the HTTP framework: take typed input and return a value, and let the edge write the reply',
};

// --- SQLite stays with the code that owns a database

/**
 * Where a SQLite database is opened, and why that code owns it. Elsewhere a handle is taken from its
 * owner: a type-only import (`import type Database from 'better-sqlite3'`, to name the handle's
 * type) is allowed, opening a database is not.
 */
const SQLITE_OWNERS = [
  'libs/event-store/src/sqlite/**', // the event log (ledger.sqlite) and its WAL checkpointer
  'libs/projections/src/**', // the read models (read-models.sqlite): projected, replayed and queried there
  'libs/application/src/data-dir-lock.ts', // the data directory's lock: a SQLite file held EXCLUSIVE by the one writing process
  'apps/ledger-cli/src/backup.commands.ts', // backup and restore: writes and checks copies of the event log
  'libs/personal-data/src/**', // the student key store (student-keys.sqlite): wrapped data keys, tombstones, the identity index
];
const SQLITE = {
  name: 'better-sqlite3',
  allowTypeImports: true,
  message: 'Only the code that owns a SQLite database opens one (see SQLITE_OWNERS in eslint.config.mjs); take the handle from its owner',
};

// --- layer order

/** What each lib may import of the others (README, "How it is built"). Apps may import every lib. */
const LIB_MAY_IMPORT = {
  domain: [], // plain TypeScript: every business rule, no framework, no I/O
  'event-store': [], // knows events, not aid
  integrity: ['event-store'],
  'personal-data': ['domain'], // keys, seals and the identity index: node:crypto and its own SQLite file
  projections: ['domain', 'event-store', 'integrity'],
  application: ['domain', 'event-store', 'integrity', 'personal-data', 'projections'],
};
const PURE_DOMAIN = {
  paths: [...builtinModules.filter((name) => !name.startsWith('_')), 'reflect-metadata', 'class-validator', 'class-transformer', 'rxjs'],
  patterns: ['node:*', '@nestjs/*'],
  message: 'libs/domain is plain TypeScript: no framework, no I/O (the caller reads files and passes their content)',
};

const repoPath = (file) => relative(ROOT, file).split(sep).join('/');
/** The lib or app a repository path belongs to, e.g. { kind: 'lib', name: 'domain', root: 'libs/domain/' }. */
function areaOf(path) {
  const match = /^(libs|apps)\/([^/]+)\//.exec(path);
  return match && { kind: match[1] === 'libs' ? 'lib' : 'app', name: match[2], root: `${match[1]}/${match[2]}/` };
}

/**
 * Layer order between our own modules, which no-restricted-imports cannot see (it does not resolve a
 * relative path): a lib imports only the libs below it, by their @ledger/* alias, and nothing of
 * apps/, test/ or another lib by a relative path; an app imports libs by their alias only.
 */
const layerOrder = {
  meta: {
    type: 'problem',
    docs: { description: 'libs import only the libs below them, by alias; nothing imports a lib by its path' },
    schema: [],
    messages: {
      notBelow: '{{ from }} may not import @ledger/{{ to }}: {{ from }} imports {{ allowed }} (layer order, README "How it is built")',
      self: '{{ from }} imports itself through @ledger/{{ to }}: import the file by its relative path',
      outsideLib: '{{ from }} reaches outside itself ({{ target }}): a lib imports other libs by their @ledger/* alias, and nothing of apps/, test/ or bench/',
      libByPath: '{{ from }} imports {{ target }} by its path: import the lib through its @ledger/* alias',
      outsideApp: '{{ from }} reaches outside itself ({{ target }}): an app imports libs by their @ledger/* alias, and nothing of another app, test/ or bench/',
    },
  },
  create(context) {
    const file = repoPath(context.filename);
    const home = areaOf(file);
    if (!home) return {};
    const from = `${home.kind === 'lib' ? 'libs' : 'apps'}/${home.name}`;
    const check = (source) => {
      if (source?.type !== 'Literal' || typeof source.value !== 'string') return;
      const specifier = source.value;
      const report = (messageId, data) => context.report({ node: source, messageId, data: { from, ...data } });
      const alias = /^@ledger\/([^/]+)/.exec(specifier);
      if (alias) {
        const to = alias[1];
        if (home.kind !== 'lib' || !(to in LIB_MAY_IMPORT)) return;
        if (to === home.name) return report('self', { to });
        const allowed = LIB_MAY_IMPORT[home.name] ?? [];
        if (!allowed.includes(to)) report('notBelow', { to, allowed: allowed.length ? allowed.map((lib) => `@ledger/${lib}`).join(', ') : 'no other lib' });
        return;
      }
      // A relative path, or one from the repository root (tsconfig's baseUrl is the root).
      const base = specifier.startsWith('.') ? dirname(context.filename) : /^(libs|apps|test|bench|config)\//.test(specifier) ? ROOT : undefined;
      if (!base) return;
      const target = repoPath(resolve(base, specifier));
      if (target.startsWith(home.root)) return;
      const there = areaOf(target);
      if (home.kind === 'lib') report('outsideLib', { target });
      else report(there?.kind === 'lib' ? 'libByPath' : 'outsideApp', { target });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      TSImportType: (node) => check(node.source ?? node.argument?.literal),
      TSExternalModuleReference: (node) => check(node.expression),
      'CallExpression[callee.type="Identifier"][callee.name="require"]': (node) => check(node.arguments[0]),
    };
  },
};

// --- one door for every write

const APPEND_METHODS = '/^(appendToStream|appendAtomically|appendAtomicallyInParts)$/';
/** The store's own layers (decorators delegate to the adapter), the chain decorator, and the one write pipeline. */
const MAY_APPEND = ['libs/event-store/**', 'libs/integrity/src/chained-event-store.ts', 'libs/application/src/write-pipeline/**'];
const APPEND_MESSAGE = 'Only the write pipeline (libs/application/src/write-pipeline/) appends to the store: send a command on the CommandBus';

export default defineConfig(
  globalIgnores([
    '**/dist/**',
    'coverage/**',
    'bench/peer-*/**', // the peers install their own dependencies (npm run bench:http, bench:emmett)
    'apps/dashboard/dist/**',
    'data/**',
    'data-demo/**',
    'test-artifacts/**',
  ]),
  {
    files: SOURCES,
    languageOptions: { parser: tseslint.parser, sourceType: 'module', ecmaVersion: 'latest' },
    plugins: { '@typescript-eslint': tseslint.plugin, ledger: { rules: { 'layer-order': layerOrder } } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      eqeqeq: ['error', 'always', { null: 'ignore' }], // `x == null` is the one loose comparison used, on purpose
      'prefer-const': ['error', { destructuring: 'all' }],
      'no-var': 'error',
      'no-debugger': 'error',
      'no-console': 'error', // the service logs through pino, which redacts personal data
    },
  },
  { files: ['**/*.js', '**/*.cjs'], languageOptions: { sourceType: 'commonjs' } },
  {
    // A command-line tool prints; so do benchmarks and tests (their counts); and the service's entry
    // point, when it fails before its logger exists.
    files: ['apps/ledger-cli/**', 'apps/ledger-api/src/main.ts', ...BENCH, ...TESTS],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['apps/**', 'libs/**'],
    ignores: TESTS,
    rules: {
      // require() would slip past the import rules below.
      '@typescript-eslint/no-require-imports': 'error',
      'ledger/layer-order': 'error',
      '@typescript-eslint/no-restricted-imports': ['error', { paths: [SQLITE] }],
    },
  },
  {
    files: SQLITE_OWNERS,
    ignores: TESTS,
    rules: { '@typescript-eslint/no-restricted-imports': 'off' },
  },
  {
    files: ['apps/**', 'libs/**'],
    ignores: [...EDGE, ...TESTS],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: HTTP_FRAMEWORK.paths.map((name) => ({ name, message: HTTP_FRAMEWORK.message })), patterns: [{ group: HTTP_FRAMEWORK.patterns, message: HTTP_FRAMEWORK.message }] },
      ],
    },
  },
  {
    // Replaces the options above for libs/domain (a rule's options are not merged): the framework ban, and purity.
    files: ['libs/domain/**'],
    ignores: TESTS,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...HTTP_FRAMEWORK.paths.map((name) => ({ name, message: HTTP_FRAMEWORK.message })),
            ...PURE_DOMAIN.paths.map((name) => ({ name, message: PURE_DOMAIN.message })),
          ],
          patterns: [
            { group: HTTP_FRAMEWORK.patterns, message: HTTP_FRAMEWORK.message },
            { group: PURE_DOMAIN.patterns, message: PURE_DOMAIN.message },
          ],
        },
      ],
    },
  },
  {
    files: SOURCES,
    ignores: [...MAY_APPEND, ...TESTS, ...BENCH],
    rules: {
      'no-restricted-syntax': [
        'error',
        // A call, or a reference taken to call later (`store.appendAtomically?.bind(store)`).
        { selector: `MemberExpression[property.name=${APPEND_METHODS}]`, message: APPEND_MESSAGE },
        { selector: `MemberExpression[computed=true][property.value=${APPEND_METHODS}]`, message: APPEND_MESSAGE },
        { selector: `ObjectPattern > Property[key.name=${APPEND_METHODS}]`, message: APPEND_MESSAGE },
      ],
    },
  },
);
