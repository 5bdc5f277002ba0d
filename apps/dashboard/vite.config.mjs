// The bureau dashboard: plain TypeScript and ECharts, bundled by Vite into dist/dashboard, which the
// service serves at /. `npm start` builds it; `vite build --outDir <dir>` builds it elsewhere (tests).
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  logLevel: 'warn',
  build: { outDir: fileURLToPath(new URL('../../dist/dashboard', import.meta.url)), emptyOutDir: true, chunkSizeWarningLimit: 2000 },
});
