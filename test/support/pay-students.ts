// Child process of the identity race test: opens the SQLite event log at argv[2] and, once told
// "go" on stdin, records one boarding payment for each of argv[4] students at once through the
// service's own command path (its identity index and data keys too, in <data dir>/keys, shared by the
// racers), naming each by J number alone (argv[3] = "j") or by resident ID and J number ("both").
// Prints one line per payment: the student's index and how it ended. The two
// racers go through the students one after another from opposite ends ("j" from the first, "both"
// from the last), so that they meet in the middle and each is first for some students.
import { BeneficiaryCommands, WritePipeline, createEventStore, loadCatalog, loadSettings, openPersonalDataVault, writeContextFor } from '@ledger/application';
import { DomainError, parseRecordDisbursement } from '@ledger/domain';
import { join } from 'node:path';
import { boardingPayment, residentId, studentNumberJ } from './students';

const [dataDir, mode, count] = process.argv.slice(2);
const settings = loadSettings({ LEDGER_DATA_DIR: dataDir });
const store = createEventStore(settings);
const vault = openPersonalDataVault(settings, 'write');
const ledger = new BeneficiaryCommands(new WritePipeline(store, undefined, vault), loadCatalog(join(__dirname, '../../config/programs.yaml')));
const write = writeContextFor({ id: `racer-${mode}`, role: 'finance_officer' }, 'race');

async function pay(i: number): Promise<string> {
  const student = mode === 'both' ? { residentId: residentId(i), studentNumber: studentNumberJ(i) } : { studentNumber: studentNumberJ(i) };
  try {
    return (await ledger.execute(parseRecordDisbursement(boardingPayment(i, { disbursementId: `${mode}-${i}`, student })), write)).result;
  } catch (error) {
    return error instanceof DomainError ? error.code : `failed: ${(error as Error).message}`;
  }
}

process.stdout.write('ready\n');
process.stdin.once('data', async () => {
  const order = Array.from({ length: Number(count) }, (_, i) => (mode === 'both' ? Number(count) - 1 - i : i));
  const outcomes: string[] = [];
  for (const i of order) outcomes[i] = await pay(i);
  outcomes.forEach((outcome, i) => process.stdout.write(`${i} ${outcome}\n`));
  await store.close();
  vault?.close();
  process.exit(0);
});
