import { resolve } from 'node:path';

/**
 * The directory the user typed the command in. npm runs a script in the package root, wherever it
 * was typed, and says where that was in INIT_CWD: `cd lists && npm run cli -- import 名单.xlsx` means
 * lists/名单.xlsx. Only when this process is the `cli` script itself: a CLI that another npm script
 * starts (jest under `npm test`) inherits INIT_CWD from it, and is in the directory it was given.
 */
export function userDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return env.npm_lifecycle_event === 'cli' && env.INIT_CWD ? env.INIT_CWD : process.cwd();
}

/**
 * A file named on the command line (an argument or an option), as a full path from the user's
 * directory. The settings (LEDGER_DATA_DIR and the other paths) are not: they belong to the
 * installation and stay relative to where the process runs, so that every npm script — the service
 * too — finds the same ledger from whichever directory it is typed.
 */
export const userPath = (path: string, env: NodeJS.ProcessEnv = process.env): string => resolve(userDirectory(env), path);

/**
 * A file error in one line naming the full path: `/home/li/lists/名单.xlsx: no such file or directory`
 * rather than Node's `ENOENT: no such file or directory, open '名单.xlsx'`. Anything else: its message.
 */
export function errorLine(error: Error): string {
  const { code, path, message } = error as NodeJS.ErrnoException;
  const described = code && path ? message.match(new RegExp(`^${code}: ([^,]+)`)) : null;
  return described ? `${path}: ${described[1]}` : message;
}
