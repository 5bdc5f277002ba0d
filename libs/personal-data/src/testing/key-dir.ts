import Database from 'better-sqlite3';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every file of a directory (recursively), each read whole: what someone holding the disk has. */
export function filesOf(dir: string): Array<{ name: string; bytes: Buffer }> {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesOf(path).map((file) => ({ ...file, name: join(name, file.name) })) : [{ name, bytes: readFileSync(path) }];
  });
}

/** The files of the directory that hold these bytes somewhere. */
export function filesHolding(dir: string, needle: Buffer | string): string[] {
  const bytes = typeof needle === 'string' ? Buffer.from(needle, 'utf8') : needle;
  return filesOf(dir)
    .filter((file) => file.bytes.includes(bytes))
    .map((file) => file.name);
}

/** A student's wrapped data key as stored, read straight from the key store's file. */
export function wrappedDataKeyIn(path: string, studentKey: string): Buffer | undefined {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT wrapped FROM student_data_keys WHERE student_key = ?').get(studentKey) as { wrapped: Buffer } | undefined)?.wrapped;
  } finally {
    db.close();
  }
}

/** An identity-index row as stored, by its blind index. */
export function identityRowIn(path: string, blind: string): { blind: string; student_key: string; sealed: string } | undefined {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT blind, student_key, sealed FROM identity_index WHERE blind = ?').get(blind) as { blind: string; student_key: string; sealed: string } | undefined;
  } finally {
    db.close();
  }
}

/** Which of these byte strings some file of the directory still holds (each file read once), as `file: needle`. */
export function leftoversIn(dir: string, needles: Array<Buffer | string>): string[] {
  const files = filesOf(dir);
  return needles.flatMap((needle) => {
    const bytes = typeof needle === 'string' ? Buffer.from(needle, 'utf8') : needle;
    return files.filter((file) => file.bytes.includes(bytes)).map((file) => `${file.name}: ${typeof needle === 'string' ? needle : needle.toString('hex')}`);
  });
}
