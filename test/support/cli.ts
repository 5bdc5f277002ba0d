import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs the CLI from source on the ledger in `dataDir`, as `npm run cli -- …` does: its exit code and both outputs (a failure is an answer, not a throw). */
export async function runCli(dataDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['-r', join(__dirname, 'register-ts.js'), join(__dirname, '../../apps/ledger-cli/src/main.ts'), ...args], {
      env: { ...process.env, LEDGER_DATA_DIR: dataDir },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
