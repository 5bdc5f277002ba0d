import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore, readAllPages } from '@ledger/event-store';

/**
 * An acknowledged append survives `kill -9`: a child process appends under load and reports every
 * acknowledgement; it is killed mid-write, and every acknowledged event must be in the file.
 */
describe('the SQLite store killed with SIGKILL under load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-crash-'));
  const path = join(dir, 'ledger.sqlite');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const appendUntilKilled = (killAfterAcks: number) =>
    new Promise<Set<string>>((resolve, reject) => {
      const child = spawn(process.execPath, ['-r', join(__dirname, 'support/register-ts.js'), join(__dirname, 'support/append-until-killed.ts'), path], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const acked = new Set<string>();
      let buffered = '';
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.stdout.on('data', (chunk) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) acked.add(line);
        if (acked.size >= killAfterAcks) child.kill('SIGKILL');
      });
      child.on('exit', (_, signal) => (signal === 'SIGKILL' ? resolve(acked) : reject(new Error(`child exited by itself: ${stderr}`))));
    });

  it('keeps every acknowledged append, three kills in a row', async () => {
    const everAcked = new Set<string>();
    for (let round = 0; round < 3; round++) {
      for (const id of await appendUntilKilled(300)) everAcked.add(id);
      const store = new SqliteEventStore({ path });
      const stored = new Set<string>();
      for await (const page of readAllPages(store)) for (const event of page) stored.add(event.eventId);
      await store.close();
      const missing = [...everAcked].filter((id) => !stored.has(id));
      expect({ round, missing }).toEqual({ round, missing: [] });
    }
    expect(everAcked.size).toBeGreaterThanOrEqual(900);
  });
});
