import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import request from 'supertest';
import { paymentRow, writeCsv } from './support/payment-lists';
import { ServiceProcess, untilHealthy } from './support/service-process';

/**
 * The ledger as it ships, not as the tests usually run it (TypeScript compiled on the fly, with every
 * dev dependency at hand): `npm start` stopped with a signal, and the service and the CLI started from
 * a production tree — the built `dist/` with `npm ci --omit=dev`, laid out as the Dockerfile lays out its
 * image — so that a runtime import of a dev dependency fails here rather than in the container.
 * Run by `npm run test:release` (and `.ci/run`): it builds, and installs from the npm cache.
 */
const root = join(__dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'ledger-release-'));
const started: ChildProcess[] = [];
/** Processes started here that outlived their parent (what a failed signal test leaves behind). */
const orphans: number[] = [];

afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pid of orphans) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether something still listens on the port (all interfaces, as the service listens). */
async function portInUse(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(true));
    server.listen(port, () => server.close(() => resolve(false)));
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
}

function track(child: ChildProcess, port: number): ServiceProcess {
  started.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { child, base: `http://127.0.0.1:${port}`, output: () => output, exited };
}

/**
 * GETs each address over and over until the child exits: the answers that were not 200, and how
 * many requests were made (a check that made none proves nothing).
 */
async function pollUntilExit(child: ChildProcess, addresses: string[]): Promise<{ requests: number; failures: string[] }> {
  let exited = child.exitCode !== null || child.signalCode !== null;
  child.once('exit', () => (exited = true));
  let requests = 0;
  const failures: string[] = [];
  while (!exited) {
    for (const address of addresses) {
      requests++;
      const status = await fetch(address).then((response) => response.status, (error: Error) => error.message);
      if (status !== 200) failures.push(`${address}: ${status}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { requests, failures };
}

/** What the Dockerfile's runtime stage copies from the build stage, and the command it runs. */
function dockerImageLayout(): { copies: string[]; command: string[] } {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const copies = [...runtime.matchAll(/^COPY --from=build \/app\/(\S+) \.\/\S*$/gm)].map((match) => match[1]);
  const command = JSON.parse(runtime.match(/^CMD (\[.*\])$/m)![1]) as string[];
  return { copies, command };
}

describe('the ledger as released', () => {
  it('npm start: SIGTERM to npm stops the service cleanly, and the port and files are free', async () => {
    const dataDir = join(work, 'npm-start-data');
    const port = await freePort();
    const npm = track(
      spawn('npm', ['start'], { cwd: root, env: { ...process.env, PORT: String(port), LEDGER_DATA_DIR: dataDir, LEDGER_LOG_LEVEL: 'info', LEDGER_REQUEST_LOG: 'false' }, stdio: ['ignore', 'pipe', 'pipe'] }),
      port,
    );
    await untilHealthy(npm, 240_000); // npm start builds first
    // The service's own pid, from its log lines (pino writes it on each).
    const servicePid = Number(npm.output().match(/"pid":(\d+)/)![1]);
    expect(servicePid).not.toBe(npm.child.pid);
    orphans.push(servicePid);

    // A second `npm start` on the same data directory builds again, then refuses (the directory is
    // locked): its build must not take the running service's files from under it.
    const page = await fetch(`${npm.base}/`).then((response) => response.text());
    const bundle = page.match(/assets\/[^"]+\.js/)![0];
    const secondPort = await freePort();
    const second = track(
      spawn('npm', ['start'], { cwd: root, env: { ...process.env, PORT: String(secondPort), LEDGER_DATA_DIR: dataDir, LEDGER_REQUEST_LOG: 'false' }, stdio: ['ignore', 'pipe', 'pipe'] }),
      secondPort,
    );
    const polled = await pollUntilExit(second.child, [`${npm.base}/`, `${npm.base}/${bundle}`]);
    expect(await second.exited).not.toBe(0);
    expect(second.output()).toMatch(/in use by another ledger service/);
    expect(polled.requests).toBeGreaterThan(20);
    expect(polled.failures).toEqual([]);

    npm.child.kill('SIGTERM');
    await npm.exited;
    expect(await until(() => !alive(servicePid), 20_000)).toBe(true);
    expect(npm.output()).toMatch(/SIGTERM: every request finished/);
    expect(await portInUse(port)).toBe(false);
    expect(existsSync(join(dataDir, 'service.holder'))).toBe(false); // the data directory let go
  }, 300_000);

  it('starts the service and runs the CLI from dist/ with only the production dependencies, as the Docker image does', async () => {
    let timer = Date.now();
    const built = spawnSync('npm', ['run', '-s', 'build'], { cwd: root, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`npm run build failed: ${built.stdout}${built.stderr}`);
    const buildSeconds = (Date.now() - timer) / 1000;
    // `npm run cli` runs what is built, and builds nothing (a build under a running service, ~10 s a call).
    const cliMain = join(root, 'dist/apps/ledger-cli/src/main.js');
    const builtAt = statSync(cliMain).mtimeMs;
    timer = Date.now();
    const help = spawnSync('npm', ['run', '-s', 'cli', '--', '--help'], { cwd: root, encoding: 'utf8' });
    const cliSeconds = (Date.now() - timer) / 1000;
    expect({ status: help.status, stderr: help.stderr }).toEqual({ status: 0, stderr: '' });
    expect(statSync(cliMain).mtimeMs).toBe(builtAt);

    const image = join(work, 'image');
    const { copies, command } = dockerImageLayout();
    expect(copies).toEqual(expect.arrayContaining(['package.json', 'node_modules', 'dist', 'config']));
    mkdirSync(image);
    for (const path of copies.filter((path) => path !== 'node_modules')) cpSync(join(root, path), join(image, path), { recursive: true });
    copyFileSync(join(root, 'package-lock.json'), join(image, 'package-lock.json'));
    // The image prunes the build's tree with `npm prune --omit=dev`; from the lockfile that is the same
    // tree as `npm ci --omit=dev`. Install scripts are skipped and the native SQLite binding taken from
    // the development install (same package version, same Node): compiling it again proves nothing
    // about missing modules and takes a minute on two cores.
    timer = Date.now();
    execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: image, stdio: 'pipe' });
    const installSeconds = (Date.now() - timer) / 1000;
    const binding = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
    mkdirSync(dirname(join(image, binding)), { recursive: true });
    copyFileSync(join(root, binding), join(image, binding));
    for (const devOnly of ['jest', '@nestjs/cli', 'playwright-core', 'vite', '@sparticuz/chromium']) expect({ devOnly, installed: existsSync(join(image, 'node_modules', devOnly)) }).toEqual({ devOnly, installed: false });
    console.log(`release tree: npm run build ${buildSeconds.toFixed(1)} s, npm run cli -- --help ${cliSeconds.toFixed(1)} s, npm ci --omit=dev ${installSeconds.toFixed(1)} s`);

    const dataDir = join(image, 'data');
    const env = { ...process.env, NODE_ENV: 'production', LEDGER_DATA_DIR: dataDir, LEDGER_REQUEST_LOG: 'false' };
    const port = await freePort();
    expect(command[0]).toBe('node');
    const service = track(spawn(process.execPath, command.slice(1), { cwd: image, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] }), port);
    await untilHealthy(service, 60_000);
    const health = await request(service.base).get('/health').expect(200);
    expect(health.body.status).toBe('ok');
    await request(service.base).get('/').expect(200).expect('content-type', /html/); // the dashboard, built into dist/

    const cli = (...args: string[]) => spawnSync(process.execPath, ['dist/apps/ledger-cli/src/main.js', ...args], { cwd: image, env, encoding: 'utf8' });
    const shippedHelp = cli('--help');
    expect({ status: shippedHelp.status, stderr: shippedHelp.stderr }).toEqual({ status: 0, stderr: '' });
    expect(shippedHelp.stdout).toMatch(/verify/);
    const list = cli('list'); // read-only, while the service runs
    expect({ status: list.status, stderr: list.stderr }).toEqual({ status: 0, stderr: '' });
    expect(list.stdout).toMatch(/^admin\s+admin/m);
    // `npm run cli` as the README gives it, in the tree as it ships (no dev dependency: nothing to build with).
    const npmCli = (cwd: string, ...args: string[]) => spawnSync('npm', ['run', '-s', 'cli', '--', ...args], { cwd, env, encoding: 'utf8' });
    const listed = npmCli(image, 'list');
    expect({ status: listed.status, stderr: listed.stderr }).toEqual({ status: 0, stderr: '' });
    expect(listed.stdout).toMatch(/^admin\s+admin/m);
    // From a subdirectory: npm runs the script at the package root, the file names are the user's.
    mkdirSync(join(image, 'lists'));
    writeCsv(join(image, 'lists', '2022年秋季发放名单.csv'), [paymentRow(0), paymentRow(1)]);
    const imported = npmCli(join(image, 'lists'), 'import', '2022年秋季发放名单.csv', '--problems', 'problems.csv');
    expect({ status: imported.status, stdout: imported.stdout }).toEqual({ status: 0, stdout: expect.stringMatching(/"rows": 2/) });
    expect(existsSync(join(image, 'lists', 'problems.csv'))).toBe(true);
    const missing = npmCli(join(image, 'lists'), 'import', 'no-such-list.xlsx');
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toBe(`error: ${join(image, 'lists', 'no-such-list.xlsx')}: no such file or directory`);

    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    const verified = cli('verify');
    expect(verified.status).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true });
  }, 300_000);
});
