import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ProgramCatalog, parseCatalog } from '../catalog';

/** The raw catalog shipped in config/programs.yaml, for tests that check or break it. */
export const rawShippedCatalog = (): Record<string, unknown> =>
  parse(readFileSync(join(__dirname, '../../../../config/programs.yaml'), 'utf8'));

export const shippedCatalog = (): ProgramCatalog => parseCatalog(rawShippedCatalog());
