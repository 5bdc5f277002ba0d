import { Inject } from '@nestjs/common';
import Database from 'better-sqlite3';
import { createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command, CommandRunner as CliCommand, Option } from 'nest-commander';
import { SETTINGS, Settings, UNTRUSTED_KEYS } from '@ledger/application';
import { SqliteEventStore } from '@ledger/event-store';
import { DIGEST_EVENT_TYPE, DIGEST_STREAM, keyIdOf, loadSigningKey, publicKeyText, verifyLog } from '@ledger/integrity';
import { userPath } from './user-paths';

/**
 * Backup and restore of the embedded event log. The read models are not backed up: they are
 * rebuilt from the log. The signing key (LEDGER_SIGNING_KEY_FILE) is kept apart, and safe; restore
 * can put it back (`--signing-key`), once it is shown to be the key that signed the log's digests.
 */
@Command({ name: 'backup', arguments: '<file>', description: 'copy the event log, online, while the service writes (SQLite backup API)' })
export class BackupCommand extends CliCommand {
  constructor(@Inject(SETTINGS) private readonly settings: Settings) {
    super();
  }

  async run([given]: string[]): Promise<void> {
    const file = userPath(given);
    if (this.settings.eventStore !== 'sqlite') throw new Error('back up EventStoreDB with its own procedure (see the README)');
    if (existsSync(file)) throw new Error(`${file} exists: choose a new file`);
    const store = new SqliteEventStore({ path: this.settings.eventStorePath, readonly: true });
    try {
      await store.backup(resolve(file));
    } finally {
      await store.close();
    }
    const copy = new Database(file, { readonly: true });
    const events = copy.prepare('SELECT COUNT(*) FROM events').pluck().get();
    copy.close();
    console.log(`backed up ${events} events to ${file}`);
  }
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
    const backup = new Database(file, { readonly: true });
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

    mkdirSync(this.settings.dataDir, { recursive: true });
    // SQLite's backup API, into the (empty) log: safe even with the file open elsewhere.
    await backup.backup(this.settings.eventStorePath);
    backup.close();
    if (given && !present) {
      mkdirSync(dirname(keyPath), { recursive: true });
      writeFileSync(keyPath, given.pem, { mode: 0o600, flag: 'wx' });
    }

    const key = given ?? present;
    const trust = given ? 'the key you gave (--signing-key)' : present ? 'the local signing key' : UNTRUSTED_KEYS;
    const store = new SqliteEventStore({ path: this.settings.eventStorePath });
    try {
      const report = await verifyLog(store, key ? { trustedPublicKey: key.publicKey } : {});
      const signingKey = {
        restored: key !== undefined && (signers.length === 0 || signers.every((keyId) => keyId === key.keyId)),
        ...(signers.length === 1 ? { keyId: signers[0] } : signers.length > 1 ? { keyIds: signers } : key ? { keyId: key.keyId } : {}),
        path: keyPath,
      };
      console.log(
        JSON.stringify(
          {
            restoredTo: join(this.settings.dataDir),
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
      if (!signingKey.restored && signers.length > 0) {
        console.error(
          `the signing key is not restored: the log's digests were signed by key ${signers.join(', ')}. Put that key at ${keyPath} ` +
            '(restore --signing-key <file>, or copy it there, mode 0600) before starting the service: without it, the service signs no digest.',
        );
      }
      if (!report.ok) process.exitCode = 1;
    } finally {
      await store.close();
    }
  }

  @Option({ flags: '--signing-key <file>', description: 'the signing key (PKCS#8 PEM) to restore with the log; refused unless it signed the log’s digests' })
  signingKey(value: string) {
    return userPath(value);
  }
}

export const BACKUP_COMMANDS = [BackupCommand, RestoreCommand];
