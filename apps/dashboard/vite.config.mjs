// The bureau dashboard: plain TypeScript and ECharts, bundled by Vite into dist/dashboard, which the
// service serves at /. `npm start` builds it; `vite build --outDir <dir>` builds it elsewhere (tests).
import { defineConfig } from 'vite';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
/** The files of the build last published into an output directory (not served: only index.html and assets/ are). */
const BUILD_FILES = '.build-files.json';

/** Every file under a directory, as paths relative to it. */
const filesUnder = (dir, under = dir) =>
  existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name), under) : [relative(under, join(dir, entry.name))])) : [];

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * A build never takes the dashboard from under a running service (which reads its files at every
 * request): Vite bundles into a directory of its own beside the output, and the new files are then
 * renamed into the output — the bundles first (content-hashed names: new files beside the old ones),
 * index.html last, by a rename that replaces the old page at once. Emptying the output first, as Vite
 * does, left the service answering 404 for the whole build. The previous build's files are kept (a
 * page loaded just before the swap still finds its bundle); older ones are removed.
 */
function publishWithoutGap() {
  let output;
  let staging;
  return {
    name: 'publish-without-gap',
    apply: 'build',
    config(config) {
      output = resolve(config.root ?? root, config.build?.outDir ?? 'dist');
      const prefix = `.${basename(output)}-build-`;
      // What a build that died left behind (a build still running keeps its own).
      for (const entry of existsSync(dirname(output)) ? readdirSync(dirname(output)) : []) {
        if (entry.startsWith(prefix) && !alive(Number(entry.slice(prefix.length)))) rmSync(join(dirname(output), entry), { recursive: true, force: true });
      }
      staging = join(dirname(output), `${prefix}${process.pid}`);
      return { build: { outDir: staging, emptyOutDir: true } };
    },
    writeBundle: {
      order: 'post',
      sequential: true,
      handler() {
        const built = filesUnder(staging);
        const previous = existsSync(join(output, BUILD_FILES)) ? JSON.parse(readFileSync(join(output, BUILD_FILES), 'utf8')) : filesUnder(output);
        mkdirSync(output, { recursive: true });
        for (const file of [...built.filter((file) => file !== 'index.html'), ...built.filter((file) => file === 'index.html')]) {
          mkdirSync(dirname(join(output, file)), { recursive: true });
          renameSync(join(staging, file), join(output, file));
        }
        const kept = new Set([...built, ...previous, BUILD_FILES]);
        for (const file of filesUnder(output)) if (!kept.has(file)) rmSync(join(output, file));
        writeFileSync(join(output, BUILD_FILES), JSON.stringify(built));
        rmSync(staging, { recursive: true, force: true });
      },
    },
  };
}

export default defineConfig({
  root,
  base: './',
  logLevel: 'warn',
  plugins: [publishWithoutGap()],
  build: { outDir: fileURLToPath(new URL('../../dist/dashboard', import.meta.url)), chunkSizeWarningLimit: 2000 },
});
