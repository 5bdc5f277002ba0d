import { Inject } from '@nestjs/common';
import Database from 'better-sqlite3';
import { createPublicKey } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command, CommandRunner as CliCommand, Option } from 'nest-commander';
import { SETTINGS, Settings, UNTRUSTED_KEYS } from '@ledger/application';
import { SqliteEventStore, openReadOnlyDatabase } from '@ledger/event-store';
import { DIGEST_EVENT_TYPE, DIGEST_STREAM, VerificationReport, keyIdOf, loadSigningKey, publicKeyText, verifyLog } from '@ledger/integrity';
import { userPath } from './user-paths';

/**
 * Backup and restore of the embedded event log. The read models are not backed up: they are
 * rebuilt from the log. The signing key (LEDGER_SIGNING_KEY_FILE) is kept apart, and safe; restore
 * can put it back (`--signing-key`), once it is shown to be the key that signed the log's digests.
 */
@Command({ name: 'backup', arguments: '<file>', description: 'copy the event log, online, while the service writes (SQLite backup API), into one self-contained file' })
export class BackupCommand extends CliCommand {
  constructor(@Inject(SETTINGS) private readonly settings: Settings) {
    super();
  }

  async run([given]: string[]): Promise<void> {
    const file = userPath(given);
    if (this.settings.eventStore !== 'sqlite') throw new Error('back up EventStoreDB with its own procedure (see the README)');
    const target = resolve(file);
    // No directory is made: a mistyped path would be a backup nobody finds.
    if (!existsSync(dirname(target))) throw new Error(`the directory ${dirname(target)} does not exist: make it first (backup makes no directory)`);
    if (existsSync(target)) throw new Error(`${file} exists: choose a new file`);
    // Written beside the target under another name and renamed once whole: an interrupted backup is no backup.
    const partial = `${target}.partial-${process.pid}`;
    try {
      const store = new SqliteEventStore({ path: this.settings.eventStorePath, readonly: true });
      try {
        await store.backup(partial);
      } finally {
        await store.close();
      }
      const events = asOneFile(partial);
      if (existsSync(target)) throw new Error(`${file} exists: choose a new file`);
      renameSync(partial, target);
      console.log(`backed up ${events} events to ${file}`);
    } finally {
      removeDatabase(partial);
    }
  }
}

/**
 * The copy out of WAL mode (the mode the copy took from the log): everything in the one file, no
 * `-wal` and `-shm` beside it, readable from a read-only medium. The service turns WAL on again when
 * it opens a restored log. Returns the number of events in it.
 */
function asOneFile(path: string): number {
  const copy = new Database(path, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
    return copy.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
  } finally {
    copy.close();
  }
}

/** A database file and whatever SQLite keeps beside it (gone already, for a clean one). */
function removeDatabase(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true });
}

/** A signing key file: its PEM and key id, refused unless it is an Ed25519 private key. */
function readSigningKey(file: string) {
  const pem = readFileSync(file, 'utf8');
  let publicKey: string;
  try {
    publicKey = publicKeyText(createPublicKey(loadSigningKey(pem)));
  } catch (error) {
    throw new Error(`${file} is not a signing key: ${(error as Error).message}`);
  }
  return { pem, publicKey, keyId: keyIdOf(publicKey) };
}

@Command({ name: 'restore', arguments: '<file>', description: 'restore a backup (and its signing key) into an empty data directory, then check it' })
export class RestoreCommand extends CliCommand {
  constructor(@Inject(SETTINGS) private readonly settings: Settings) {
    super();
  }

  async run([backupFile]: string[], options: { signingKey?: string }): Promise<void> {
    const file = userPath(backupFile);
    if (existsSync(this.settings.eventStorePath)) {
      // Only an empty log may be replaced.
      const existing = new Database(this.settings.eventStorePath, { readonly: true });
      const events = existing.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'events'").pluck().get()
        ? (existing.prepare('SELECT COUNT(*) FROM events').pluck().get() as number)
        : 0;
      existing.close();
      if (events > 0) throw new Error(`${this.settings.eventStorePath} holds ${events} events: restore only into an empty data directory`);
    }
    const backup = openReadOnlyDatabase(file); // from a read-only medium too
    let signers: string[];
    try {
      const integrity = backup.pragma('integrity_check', { simple: true });
      if (integrity !== 'ok') throw new Error(`the backup is damaged: ${String(integrity)}`);
      signers = backup
        .prepare<[string, string], string>("SELECT DISTINCT json_extract(data, '$.keyId') FROM events WHERE stream_id = ? AND type = ? ORDER BY position")
        .pluck()
        .all(DIGEST_STREAM, DIGEST_EVENT_TYPE);
    } catch (error) {
      backup.close();
      throw error;
    }

    // The key is checked before anything is written: the wrong one leaves the directory as it was.
    const keyPath = this.settings.signingKeyFile;
    const given = options.signingKey ? readSigningKey(options.signingKey) : undefined;
    const present = existsSync(keyPath) ? readSigningKey(keyPath) : undefined;
    if (given) {
      const others = signers.filter((keyId) => keyId !== given.keyId);
      if (others.length > 0) {
        backup.close();
        throw new Error(`the key ${options.signingKey} (key ${given.keyId}) did not sign the log’s digests (signed by key ${others.join(', ')}): nothing restored`);
      }
      if (present && present.keyId !== given.keyId) {
        backup.close();
        throw new Error(`${keyPath} holds another key (key ${present.keyId}): nothing restored`);
      }
    }

    // Nothing is placed unless the copy verifies: it is restored under a temporary name in the data
    // directory, checked there, and renamed into place; a copy that does not verify is removed.
    const madeDataDir = !existsSync(this.settings.dataDir);
    mkdirSync(this.settings.dataDir, { recursive: true });
    const staged = join(this.settings.dataDir, `.ledger.sqlite.restoring-${process.pid}`);
    const stagedKey = join(dirname(keyPath), `.signing-key.restoring-${process.pid}`);
    let restored = false;
    try {
      await backup.backup(staged);
      backup.close();
      asOneFile(staged);

      const key = given ?? present;
      const trust = given ? 'the key you gave (--signing-key)' : present ? 'the local signing key' : UNTRUSTED_KEYS;
      const store = new SqliteEventStore({ path: staged, readonly: true });
      let report: VerificationReport;
      try {
        report = await verifyLog(store, key ? { trustedPublicKey: key.publicKey } : {});
      } finally {
        await store.close();
      }
      if (report.ok) {
        if (given && !present) {
          mkdirSync(dirname(keyPath), { recursive: true });
          writeFileSync(stagedKey, given.pem, { mode: 0o600, flag: 'wx' });
        }
        // The key first (a link fails rather than replace a key put there meanwhile), then the log: the
        // empty one found there (checked above), and what SQLite kept beside it, give way to the copy.
        const placedKey = existsSync(stagedKey);
        if (placedKey) linkSync(stagedKey, keyPath);
        try {
          removeDatabase(this.settings.eventStorePath);
          renameSync(staged, this.settings.eventStorePath);
        } catch (error) {
          if (placedKey) rmSync(keyPath, { force: true });
          throw error;
        }
        restored = true;
      }
      const signingKey = {
        restored: restored && key !== undefined && (signers.length === 0 || signers.every((keyId) => keyId === key.keyId)),
        ...(signers.length === 1 ? { keyId: signers[0] } : signers.length > 1 ? { keyIds: signers } : key ? { keyId: key.keyId } : {}),
        path: keyPath,
      };
      console.log(
        JSON.stringify(
          {
            restoredTo: join(this.settings.dataDir),
            restored,
            eventsChecked: report.eventsChecked,
            ok: report.ok,
            firstProblem: report.firstProblem,
            signaturesCheckedAgainst: key ? { source: trust, keyId: key.keyId } : { source: trust, keyIds: signers },
            signingKey,
          },
          null,
          2,
        ),
      );
      if (!report.ok) {
        const { kind, position, detail } = report.firstProblem!;
        console.error(`nothing restored: the copy does not verify (${kind} at position ${position}: ${detail}); ${this.settings.dataDir} is left as it was`);
        process.exitCode = 1;
      } else if (!signingKey.restored && signers.length > 0) {
        console.error(
          `the signing key is not restored: the log's digests were signed by key ${signers.join(', ')}. Put that key at ${keyPath} ` +
            '(restore --signing-key <file>, or copy it there, mode 0600) before starting the service: without it, the service signs no digest.',
        );
      }
    } finally {
      if (backup.open) backup.close();
      removeDatabase(staged);
      rmSync(stagedKey, { force: true });
      // A data directory made for the restore goes again when nothing was restored (if nothing else is in it).
      if (!restored && madeDataDir) {
        try {
          rmdirSync(this.settings.dataDir);
        } catch {
          // something else is in it now: left alone
        }
      }
    }
  }

  @Option({ flags: '--signing-key <file>', description: 'the signing key (PKCS#8 PEM) to restore with the log; refused unless it signed the log’s digests' })
  signingKey(value: string) {
    return userPath(value);
  }
}

export const BACKUP_COMMANDS = [BackupCommand, RestoreCommand];
