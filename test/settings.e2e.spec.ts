import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { settingsTableMarkdown } from '@ledger/application';
import { inParallel } from './support/ledger-app';
import { spawnService } from './support/service-process';

/** The service started with each kind of invalid setting: it exits 1 with one line naming the setting. */
describe('invalid settings stop the service at start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-settings-'));
  const brokenCatalog = join(dir, 'programs.yaml');
  writeFileSync(brokenCatalog, 'programs:\n  - code: YULU_PLAN\n    kind: grant\n');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['a port that is not a number', { PORT: 'eighty' }, /invalid setting PORT: "eighty" is not a port number \(0–65535\)/],
    ['a port out of range', { PORT: '70000' }, /invalid setting PORT: "70000" is not a port number \(0–65535\)/],
    ['an empty data directory', { LEDGER_DATA_DIR: ' ' }, /invalid setting LEDGER_DATA_DIR: must not be empty/],
    ['an unknown store', { LEDGER_EVENT_STORE: 'postgres' }, /invalid setting LEDGER_EVENT_STORE: "postgres" is not one of sqlite, eventstoredb/],
    ['EventStoreDB without its URL', { LEDGER_EVENT_STORE: 'eventstoredb' }, /invalid setting LEDGER_EVENTSTOREDB_URL: is required with LEDGER_EVENT_STORE=eventstoredb/],
    ['a URL that is not esdb://', { LEDGER_EVENT_STORE: 'eventstoredb', LEDGER_EVENTSTOREDB_URL: 'http://localhost:2113' }, /invalid setting LEDGER_EVENTSTOREDB_URL: must start with esdb:\/\/ or esdb\+discover:\/\//],
    ['a catalog that does not exist', { LEDGER_CATALOG: '/nowhere/programs.yaml' }, /invalid setting LEDGER_CATALOG: \/nowhere\/programs.yaml does not exist/],
    ['a catalog that is not a catalog', { LEDGER_CATALOG: brokenCatalog }, /programs\.yaml: program catalog: fundingSources: must list at least one funding source/],
    ['a reports directory that is a file', { LEDGER_REPORTS_DIR: brokenCatalog }, /invalid setting LEDGER_REPORTS_DIR: .*programs\.yaml is not a directory/],
    ['a body limit that is not a size', { LEDGER_BODY_LIMIT: 'lots' }, /invalid setting LEDGER_BODY_LIMIT: "lots" is not a size like 512kb or 1mb/],
    ['a negative rate limit', { LEDGER_RATE_LIMIT: '-5' }, /invalid setting LEDGER_RATE_LIMIT: "-5" is not a whole number of requests per minute/],
    ['a grace period in words', { LEDGER_SHUTDOWN_GRACE_MS: 'soon' }, /invalid setting LEDGER_SHUTDOWN_GRACE_MS: "soon" is not a whole number of milliseconds/],
    ['an unknown log level', { LEDGER_LOG_LEVEL: 'loud' }, /invalid setting LEDGER_LOG_LEVEL: "loud" is not one of fatal, error, warn, info, debug, trace, silent/],
    ['a yes for true', { LEDGER_REQUEST_LOG: 'yes' }, /invalid setting LEDGER_REQUEST_LOG: "yes" is not one of true, false/],
    ['a misspelt variable', { LEDGER_DATADIR: 'elsewhere' }, /invalid setting LEDGER_DATADIR: unknown setting \(did you mean LEDGER_DATA_DIR\?\)/],
  ];

  it('refuses each kind with one line naming the setting, and writes nothing', async () => {
    const outcomes = await inParallel(
      4,
      cases.map(([name, env]) => async () => {
        const data = join(dir, name.replace(/\W+/g, '-'));
        const service = spawnService({ LEDGER_DATA_DIR: data, ...env });
        return { name, code: await service.exited, output: service.output().trim(), wroteLog: existsSync(join(data, 'ledger.sqlite')) };
      }),
    );
    for (const [index, [name, , expected]] of cases.entries()) {
      const { code, output, wroteLog } = outcomes[index];
      expect({ name, code, lines: output.split('\n').length, wroteLog }).toEqual({ name, code: 1, lines: 1, wroteLog: false });
      expect({ name, output }).toEqual({ name, output: expect.stringMatching(new RegExp(`^ledger-api failed to start: .*${expected.source}`)) });
    }
    console.log(`settings: ${cases.length} kinds of invalid setting refused at start, e.g. "${outcomes[0].output}"`);
  });

  it('documents every setting in the README, as the schema says', () => {
    expect(readFileSync(join(__dirname, '..', 'README.md'), 'utf8')).toContain(settingsTableMarkdown());
  });
});
