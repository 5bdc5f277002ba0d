import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, chromium } from 'playwright-core';

/** Debian's Chromium, when the machine has it; else the one bundled in @sparticuz/chromium (a dev dependency). */
const SYSTEM_CHROMIUM = '/usr/bin/chromium';
const QUIET = ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const CJK_FONTS = ['SourceHanSansCN-Regular.otf', 'SourceHanSansCN-Bold.otf'];

/**
 * A headless Chromium that needs no system package, with a CJK font of our own (Source Han Sans,
 * from the `source-han-sans-cn` dev dependency) so that Chinese renders the same on every machine:
 * fontconfig is pointed at a directory this test owns and removes on close.
 */
export async function launchChromium(): Promise<Browser> {
  const fontsDir = mkdtempSync(join(tmpdir(), 'ledger-test-fonts-'));
  for (const font of CJK_FONTS) copyFileSync(require.resolve(`source-han-sans-cn/${font}`), join(fontsDir, font));
  writeFileSync(
    join(fontsDir, 'fonts.conf'),
    `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${fontsDir}</dir>\n  <cachedir>${join(fontsDir, 'cache')}</cachedir>\n</fontconfig>\n`,
  );
  const env = { ...process.env, FONTCONFIG_PATH: fontsDir, FONTCONFIG_FILE: join(fontsDir, 'fonts.conf') } as Record<string, string>;
  let browser: Browser;
  try {
    if (existsSync(SYSTEM_CHROMIUM)) {
      browser = await chromium.launch({ executablePath: SYSTEM_CHROMIUM, args: ['--no-sandbox', '--disable-gpu', ...QUIET], env });
    } else {
      // Extracts its Chromium to <tmp>/chromium the first time (a few seconds), then reuses it.
      const bundled = require('@sparticuz/chromium') as { executablePath(): Promise<string>; args: string[] };
      browser = await chromium.launch({ executablePath: await bundled.executablePath(), args: [...bundled.args, ...QUIET], env });
    }
  } catch (error) {
    rmSync(fontsDir, { recursive: true, force: true });
    throw error;
  }
  browser.once('disconnected', () => rmSync(fontsDir, { recursive: true, force: true }));
  return browser;
}
