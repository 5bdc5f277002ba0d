// Child process of the identity-index race: opens the key store at argv[2] with the key file at
// argv[3] and, once told "go" on stdin, places argv[4] new students, each named by a resident ID and
// a student number, going from the first (argv[5] = "up") or from the last ("down"). Prints one line
// per student: its index, the key it got and whether it was new.
import { FileKeyEncryptionKey } from '../key-encryption-key';
import { StudentKeyStore } from '../student-key-store';
import { raceStudent } from './race-students';

const [storePath, kekPath, count, direction] = process.argv.slice(2);
const pause = new Int32Array(new SharedArrayBuffer(4));
const store = StudentKeyStore.open(storePath, FileKeyEncryptionKey.openOrCreate(kekPath));

process.stdout.write('ready\n');
process.stdin.once('data', () => {
  const order = Array.from({ length: Number(count) }, (_, i) => (direction === 'down' ? Number(count) - 1 - i : i));
  const lines: string[] = [];
  for (const i of order) {
    const placed = store.identityIndex.place(raceStudent(i));
    lines[i] = 'conflict' in placed ? `${i} conflict` : `${i} ${placed.studentKey} ${placed.isNew ? 'new' : 'found'}`;
    // A pause between placements, as a service has between requests: without one, the racer holding
    // the write lock takes it again at once, and SQLite's busy wait leaves the other asleep throughout.
    Atomics.wait(pause, 0, 0, 2);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  store.close();
  process.exit(0);
});
