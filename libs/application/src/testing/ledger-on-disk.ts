import { gb11643CheckCharacter } from '@ledger/domain';
import { ALL_PROJECTIONS, ReadModels } from '@ledger/projections';
import { ReadSide } from '../read-side';
import { Settings } from '../settings';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@ledger/event-store';
import { ChainedEventStore } from '@ledger/integrity';
import { shippedCatalog } from '../../../domain/src/testing/catalog.fixture';
import { StudentRecords } from '../student-records';
import { WritePipeline } from '../write-pipeline';
import { PersonalDataVault } from '../personal-data/personal-data-vault';
import { writeContextFor } from '../write-context';

/** For the use cases' specs: a real SQLite ledger (with its hash chains) in a temporary directory, and the pipeline over it. */
export function ledgerOnDisk() {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-use-case-'));
  const store = new ChainedEventStore(new SqliteEventStore({ path: join(dir, 'ledger.sqlite') }));
  // Students' personal fields sealed as in the service: a key store beside the log.
  const vault = PersonalDataVault.open(join(dir, 'keys'));
  const pipeline = new WritePipeline(store, undefined, vault);
  const catalog = shippedCatalog();
  return {
    dir,
    store,
    pipeline,
    catalog,
    records: new StudentRecords(pipeline, catalog),
    write: writeContextFor({ id: 'officer', role: 'finance_officer' }, 'test'),
    vault,
    /** The stream of the record a resident ID leads to (filed under an opaque key by the identity index). */
    recordStreamOf(residentId: string): string {
      const found = vault.index.lookup([{ kind: 'residentId', value: residentId }]);
      if (!found || 'conflict' in found) throw new Error('no record for this resident ID');
      return `beneficiary-${found.studentKey}`;
    },
    async close() {
      await store.close();
      vault.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A valid resident ID of Yining City for test student `i` (born 1 January 2002). */
export function residentIdOf(i: number): string {
  const first17 = `65400220020101${String(i).padStart(3, '0')}`;
  return first17 + gb11643CheckCharacter(first17);
}

/** The read models of a test ledger (a real SQLite file beside it) and the read side over them; `catchUp` before reading. */
export function readSideOf(ledger: ReturnType<typeof ledgerOnDisk>) {
  const models = new ReadModels(join(ledger.dir, 'read-models.sqlite'), ALL_PROJECTIONS);
  return { models, readSide: new ReadSide(ledger.store, models, { readWaitMs: 1000 } as Settings), catchUp: () => models.catchUpFrom(ledger.store) };
}
