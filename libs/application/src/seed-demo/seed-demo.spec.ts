import { AccessControl } from '../access/access-control.service';
import { loadSettings } from '../settings';
import { ledgerOnDisk } from '../testing/ledger-on-disk';
import { SeedDemoLedgerCommand, SeedDemoLedgerHandler } from './seed-demo';

describe('seed the demo ledger', () => {
  let ledger: ReturnType<typeof ledgerOnDisk>;
  beforeEach(() => (ledger = ledgerOnDisk()));
  afterEach(() => ledger.close());

  it('refuses a ledger that is neither empty nor a demo, before recording anything', async () => {
    const access = new AccessControl(ledger.store, ledger.pipeline);
    const handler = new SeedDemoLedgerHandler(ledger.pipeline, access, ledger.catalog, loadSettings({ LEDGER_DATA_DIR: ledger.dir }));
    await access.execute({ type: 'AddUser', data: { userId: 'alice', displayName: 'Alice', role: 'auditor' } }, ledger.write);
    await expect(handler.execute(new SeedDemoLedgerCommand({ where: 'the test ledger' }))).rejects.toThrow('seed-demo refused: the test ledger is not empty (1 event)');
    expect(await ledger.store.headPosition()).toBe(1n);
  });

  it('marks an empty ledger as a demo first, then refuses an actor who is not a user of it', async () => {
    const access = new AccessControl(ledger.store, ledger.pipeline);
    const handler = new SeedDemoLedgerHandler(ledger.pipeline, access, ledger.catalog, loadSettings({ LEDGER_DATA_DIR: ledger.dir }));
    await expect(handler.execute(new SeedDemoLedgerCommand({ where: 'the test ledger', as: 'nobody' }))).rejects.toThrow('--as nobody: no user "nobody" in this ledger');
    expect((await ledger.store.readStream('demo-ledger')).map((event) => event.type)).toEqual(['DemoLedgerMarked']);
    expect(await ledger.store.headPosition()).toBe(1n);
  });
});
