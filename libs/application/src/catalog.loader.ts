import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { CatalogError, ProgramCatalog, parseCatalog } from '@ledger/domain';

/** Reads and checks the program catalog; any problem stops the service with the file and entry named. */
export function loadCatalog(path: string): ProgramCatalog {
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the program catalog ${path}: ${(error as Error).message}`);
  }
  try {
    return parseCatalog(raw);
  } catch (error) {
    if (error instanceof CatalogError) throw new Error(`${path}: ${error.message}`);
    throw error;
  }
}
