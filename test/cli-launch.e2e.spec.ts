import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `npm run cli` runs the CLI that is built and builds nothing (the release test shows that on a
 * built tree and on the production tree). Where nothing is built yet, it says what to do in one line.
 */
describe('npm run cli', () => {
  const tree = mkdtempSync(join(tmpdir(), 'ledger-unbuilt-'));
  afterAll(() => rmSync(tree, { recursive: true, force: true }));

  it('in a tree with no dist/, says in one line to build first, and exits 1', () => {
    copyFileSync(join(__dirname, '../package.json'), join(tree, 'package.json'));
    const cli = spawnSync('npm', ['run', '-s', 'cli', '--', 'list'], { cwd: tree, encoding: 'utf8' });
    expect({ status: cli.status, stdout: cli.stdout }).toEqual({ status: 1, stdout: '' });
    expect(cli.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^the CLI is not built \(no dist\/apps\/ledger-cli\/src\/main\.js\): run npm run build \(or npm start\) first$/)]);
  });
});
