import { execFile } from 'node:child_process';
import { join } from 'node:path';

/**
 * The boundaries eslint.config.mjs enforces, each shown firing: pieces of code linted as if they were
 * files at the given paths, with the repository's own configuration and one ESLint instance (in a
 * process of its own: see test/support/lint-texts.mjs).
 */
type Message = { ruleId: string | null; message: string; line: number; severity: number };

const CASES = {
  // The HTTP framework, only in the edge.
  controllerImportsFastify: ['apps/ledger-api/src/http/aid.controller.ts', "import type { FastifyReply } from 'fastify';\nexport type Reply = FastifyReply;\n"],
  controllerImportsPlatformFastify: ['apps/ledger-api/src/http/aid.controller.ts', "import { FastifyAdapter } from '@nestjs/platform-fastify';\nexport const adapter = FastifyAdapter;\n"],
  controllerImportsMultipart: ['apps/ledger-api/src/http/imports.controller.ts', "import multipart from '@fastify/multipart';\nexport const plugin = multipart;\n"],
  controllerImportsExpress: ['apps/ledger-api/src/http/query.controller.ts', "import type { Response } from 'express';\nexport type Reply = Response;\n"],
  controllerRequiresFastify: ['apps/ledger-api/src/http/aid.controller.ts', "export const fastify = require('fastify');\n"],
  libImportsMulter: ['libs/application/src/import-file.ts', "import multer from 'multer';\nexport const upload = multer;\n"],
  edgeImportsFramework: [
    'apps/ledger-api/src/edge/reply-writer.ts',
    "import type { FastifyReply } from 'fastify';\nimport { FastifyAdapter } from '@nestjs/platform-fastify';\nimport multipart from '@fastify/multipart';\nexport const parts = [FastifyAdapter, multipart];\nexport type Reply = FastifyReply;\n",
  ],
  testImportsFramework: ['test/uploads.e2e.spec.ts', "import { FastifyAdapter } from '@nestjs/platform-fastify';\nimport { inject } from 'light-my-request';\nexport const parts = [FastifyAdapter, inject];\n"],

  // better-sqlite3, only where a database is owned.
  applicationOpensSqlite: ['libs/application/src/foo.ts', "import Database from 'better-sqlite3';\nexport const open = (path: string) => new Database(path);\n"],
  applicationNamesTheHandle: ['libs/application/src/foo.ts', "import type Database from 'better-sqlite3';\nexport type Handle = Database.Database;\n"],
  edgeOpensSqlite: ['apps/ledger-api/src/edge/request-context.ts', "import Database from 'better-sqlite3';\nexport const open = (path: string) => new Database(path);\n"],
  eventLogOpensSqlite: ['libs/event-store/src/sqlite/sqlite-event-store.ts', "import Database from 'better-sqlite3';\nexport const open = (path: string) => new Database(path);\n"],
  readModelsOpenSqlite: ['libs/projections/src/read-models.ts', "import Database from 'better-sqlite3';\nexport const open = (path: string) => new Database(path);\n"],
  dataDirLockOpensSqlite: ['libs/application/src/data-dir-lock.ts', "import Database from 'better-sqlite3';\nexport const open = (path: string) => new Database(path);\n"],
  keyStoreOpensSqlite: ['libs/personal-data/src/student-key-store.ts', "import Database from 'better-sqlite3';\nexport const open = (path: string) => new Database(path);\n"],

  // Layer order.
  domainImportsNest: ['libs/domain/src/money.ts', "import { Injectable } from '@nestjs/common';\nexport const decorate = Injectable;\n"],
  domainReadsFiles: ['libs/domain/src/catalog.ts', "import { readFileSync } from 'node:fs';\nimport { join } from 'path';\nexport const read = (dir: string) => readFileSync(join(dir, 'programs.yaml'), 'utf8');\n"],
  domainImportsEventStore: ['libs/domain/src/ledger-events.ts', "import type { StoredEvent } from '@ledger/event-store';\nexport type Stored = StoredEvent;\n"],
  domainSpecReadsFiles: ['libs/domain/src/catalog.spec.ts', "import { readFileSync } from 'node:fs';\nexport const read = (path: string) => readFileSync(path, 'utf8');\n"],
  eventStoreImportsDomain: ['libs/event-store/src/event-store.port.ts', "import type { Money } from '@ledger/domain';\nexport type Amount = Money;\n"],
  integrityImportsProjections: ['libs/integrity/src/merkle.ts', "import { ReadModels } from '@ledger/projections';\nexport const models = ReadModels;\n"],
  integrityImportsEventStore: ['libs/integrity/src/merkle.ts', "import type { StoredEvent } from '@ledger/event-store';\nexport type Stored = StoredEvent;\n"],
  projectionsImportsBelow: [
    'libs/projections/src/queries.ts',
    "import type { Money } from '@ledger/domain';\nimport type { StoredEvent } from '@ledger/event-store';\nimport type { LogDigest } from '@ledger/integrity';\nexport type All = [Money, StoredEvent, LogDigest];\n",
  ],
  projectionsImportsApplication: ['libs/projections/src/queries.ts', "import type { Settings } from '@ledger/application';\nexport type Options = Settings;\n"],
  applicationImportsEveryLib: [
    'libs/application/src/reconcile.ts',
    "import type { Money } from '@ledger/domain';\nimport type { StoredEvent } from '@ledger/event-store';\nimport type { LogDigest } from '@ledger/integrity';\nimport type { ReadModels } from '@ledger/projections';\nexport type All = [Money, StoredEvent, LogDigest, ReadModels];\n",
  ],
  personalDataImportsEventStore: ['libs/personal-data/src/seal.ts', "import type { StoredEvent } from '@ledger/event-store';\nexport type Stored = StoredEvent;\n"],
  personalDataImportsDomain: ['libs/personal-data/src/errors.ts', "import { DomainError } from '@ledger/domain';\nexport const base = DomainError;\n"],
  applicationImportsPersonalData: ['libs/application/src/student-directory.ts', "import { seal } from '@ledger/personal-data';\nexport const sealed = seal;\n"],
  applicationImportsItself: ['libs/application/src/reconcile.ts', "import { loadSettings } from '@ledger/application';\nexport const load = loadSettings;\n"],
  libReachesIntoAnotherLib: ['libs/application/src/clock.ts', "import { parseMoney } from '../../domain/src/money';\nexport const parse = parseMoney;\n"],
  libReachesIntoApps: ['libs/projections/src/replay.ts', "import { createLedgerApp } from '../../../apps/ledger-api/src/app.factory';\nexport const create = createLedgerApp;\n"],
  libImportsWithinItself: ['libs/application/src/record-disbursement/handler.ts', "import { loadSettings } from '../settings';\nexport const load = loadSettings;\n"],
  appReachesIntoLibByRelativePath: ['apps/ledger-cli/src/main.ts', "import { ROLES } from '../../../libs/domain/src';\nexport const roles = ROLES;\n"],
  appReachesIntoLibFromTheRoot: ['apps/ledger-api/src/main.ts', "import { ROLES } from 'libs/domain/src';\nexport const roles = ROLES;\n"],
  libTestSupportReachesAFixture: ['libs/application/src/testing-ledger.ts', "import { shippedCatalog } from '../../domain/src/testing/catalog.fixture';\nexport const catalog = shippedCatalog;\n"],
  appImportsLibByAlias: ['apps/ledger-cli/src/main.ts', "import { ROLES } from '@ledger/domain';\nexport const roles = ROLES;\n"],

  // Appends, only from the write pipeline.
  serviceAppends: ['libs/application/src/audit.service.ts', "export const sign = (store: any, events: unknown[]) => store.appendToStream('digests', events, 'any');\n"],
  serviceTakesTheAppendToCallLater: [
    'libs/application/src/import.service.ts',
    "export const appenders = (store: any) => {\n  const atomically = store.appendAtomically?.bind(store);\n  const { appendAtomicallyInParts } = store;\n  return [atomically, appendAtomicallyInParts, store['appendToStream']];\n};\n",
  ],
  cliAppends: ['apps/ledger-cli/src/import.commands.ts', "export const run = async (store: any) => store.appendToStream('s', [], 'no_stream');\n"],
  writePipelineAppends: ['libs/application/src/write-pipeline/x.ts', "export const append = (store: any, events: unknown[]) => store.appendToStream('beneficiary-1', events, 3);\n"],
  chainedStoreAppends: ['libs/integrity/src/chained-event-store.ts', "export const append = (inner: any, appends: unknown[]) => inner.appendAtomically(appends);\n"],
  storeDecoratorAppends: ['libs/event-store/src/observed-event-store.ts', "export const append = (inner: any, parts: unknown) => inner.appendAtomicallyInParts(parts);\n"],
  testAppends: ['test/replay.e2e.spec.ts', "export const seed = (store: any) => store.appendToStream('beneficiary-1', [], 'no_stream');\n"],
} satisfies Record<string, [filePath: string, code: string]>;

const lintTexts = (texts: Array<{ filePath: string; code: string }>) =>
  new Promise<Message[][]>((resolve, reject) => {
    const child = execFile(process.execPath, [join(__dirname, 'support/lint-texts.mjs')], { cwd: join(__dirname, '..') }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    );
    child.stdin!.end(JSON.stringify(texts));
  });

describe('npm run lint', () => {
  const messages = {} as Record<keyof typeof CASES, Message[]>;
  /** The rules that reported something, once per message, in the order of the code. */
  const rules = (name: keyof typeof CASES) => messages[name].map((message) => message.ruleId);

  beforeAll(async () => {
    const names = Object.keys(CASES) as Array<keyof typeof CASES>;
    const results = await lintTexts(names.map((name) => ({ filePath: CASES[name][0], code: CASES[name][1] })));
    names.forEach((name, n) => (messages[name] = results[n]));
  });

  describe('the HTTP framework only in apps/ledger-api/src/edge/', () => {
    it('fails a controller that imports fastify, @nestjs/platform-fastify, a @fastify plugin or express', () => {
      expect(rules('controllerImportsFastify')).toEqual(['no-restricted-imports']);
      expect(messages.controllerImportsFastify[0].message).toContain('Only apps/ledger-api/src/edge/ knows the HTTP framework');
      expect(rules('controllerImportsPlatformFastify')).toEqual(['no-restricted-imports']);
      expect(rules('controllerImportsMultipart')).toEqual(['no-restricted-imports']);
      expect(rules('controllerImportsExpress')).toEqual(['no-restricted-imports']);
    });

    it('fails a require() of the framework, which the import rule would not see', () => {
      expect(rules('controllerRequiresFastify')).toEqual(['@typescript-eslint/no-require-imports']);
    });

    it('fails a lib that imports multer', () => {
      expect(rules('libImportsMulter')).toEqual(['no-restricted-imports']);
    });

    it('passes the same imports in the edge, and in tests', () => {
      expect(messages.edgeImportsFramework).toEqual([]);
      expect(messages.testImportsFramework).toEqual([]);
    });
  });

  describe('better-sqlite3 only where a database is owned', () => {
    it('fails opening a database in libs/application or in the edge', () => {
      expect(rules('applicationOpensSqlite')).toEqual(['@typescript-eslint/no-restricted-imports']);
      expect(rules('edgeOpensSqlite')).toEqual(['@typescript-eslint/no-restricted-imports']);
    });

    it('passes naming the type of a handle taken from its owner', () => {
      expect(messages.applicationNamesTheHandle).toEqual([]);
    });

    it('passes the owners: the event log, the read models, the data directory lock, the student key store', () => {
      expect(messages.eventLogOpensSqlite).toEqual([]);
      expect(messages.readModelsOpenSqlite).toEqual([]);
      expect(messages.dataDirLockOpensSqlite).toEqual([]);
      expect(messages.keyStoreOpensSqlite).toEqual([]);
    });
  });

  describe('layer order', () => {
    it('keeps libs/domain plain: no @nestjs, no node built-ins, no other lib (its specs may read files)', () => {
      expect(rules('domainImportsNest')).toEqual(['no-restricted-imports']);
      expect(rules('domainReadsFiles')).toEqual(['no-restricted-imports', 'no-restricted-imports']);
      expect(rules('domainImportsEventStore')).toEqual(['ledger/layer-order']);
      expect(messages.domainSpecReadsFiles).toEqual([]);
    });

    it('lets each lib import only the libs below it', () => {
      expect(rules('eventStoreImportsDomain')).toEqual(['ledger/layer-order']);
      expect(messages.eventStoreImportsDomain[0].message).toBe('libs/event-store may not import @ledger/domain: libs/event-store imports no other lib (layer order, README "How it is built")');
      expect(rules('integrityImportsProjections')).toEqual(['ledger/layer-order']);
      expect(messages.integrityImportsEventStore).toEqual([]);
      expect(rules('projectionsImportsApplication')).toEqual(['ledger/layer-order']);
      expect(messages.projectionsImportsBelow).toEqual([]);
      expect(messages.applicationImportsEveryLib).toEqual([]);
      expect(rules('applicationImportsItself')).toEqual(['ledger/layer-order']);
    });

    it('lets libs/personal-data import libs/domain alone, and libs/application import it', () => {
      expect(rules('personalDataImportsEventStore')).toEqual(['ledger/layer-order']);
      expect(messages.personalDataImportsEventStore[0].message).toBe('libs/personal-data may not import @ledger/event-store: libs/personal-data imports @ledger/domain (layer order, README "How it is built")');
      expect(messages.personalDataImportsDomain).toEqual([]);
      expect(messages.applicationImportsPersonalData).toEqual([]);
    });

    it('fails a relative path out of a lib, into another lib or into apps/ (but in test support)', () => {
      expect(rules('libReachesIntoAnotherLib')).toEqual(['ledger/layer-order']);
      expect(messages.libReachesIntoAnotherLib[0].message).toContain('reaches outside itself (libs/domain/src/money)');
      expect(rules('libReachesIntoApps')).toEqual(['ledger/layer-order']);
      expect(messages.libImportsWithinItself).toEqual([]);
      expect(messages.libTestSupportReachesAFixture).toEqual([]);
    });

    it('lets apps import libs by their alias only', () => {
      expect(rules('appReachesIntoLibByRelativePath')).toEqual(['ledger/layer-order']);
      expect(rules('appReachesIntoLibFromTheRoot')).toEqual(['ledger/layer-order']);
      expect(messages.appImportsLibByAlias).toEqual([]);
    });
  });

  describe('appends only from the write pipeline', () => {
    it('fails a service or a CLI command calling appendToStream', () => {
      expect(rules('serviceAppends')).toEqual(['no-restricted-syntax']);
      expect(messages.serviceAppends[0].message).toContain('Only the write pipeline (libs/application/src/write-pipeline/) appends');
      expect(rules('cliAppends')).toEqual(['no-restricted-syntax']);
    });

    it('fails taking an append method to call it later (bound, destructured, by its name in brackets)', () => {
      expect(rules('serviceTakesTheAppendToCallLater')).toEqual(['no-restricted-syntax', 'no-restricted-syntax', 'no-restricted-syntax']);
    });

    it('passes the write pipeline, the store and its decorators, and tests', () => {
      expect(messages.writePipelineAppends).toEqual([]);
      expect(messages.chainedStoreAppends).toEqual([]);
      expect(messages.storeDecoratorAppends).toEqual([]);
      expect(messages.testAppends).toEqual([]);
    });
  });
});
