import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicKey, randomUUID } from 'node:crypto';
import { StudentIdentity, identityFromKey } from '@ledger/domain';
import { EventStore, ExpectedVersion, StoredEvent, readAllPages } from '@ledger/event-store';
import { DIGEST_EVENT_TYPE, DIGEST_STREAM, LogDigest, integrityOf, keyIdOf, loadSigningKey, publicKeyText, signDigest, verifyLog } from '@ledger/integrity';
import { isStudentKey } from '@ledger/personal-data';
import { DataDirLock } from '../data-dir-lock';
import { createEventStore } from '../event-store.factory';
import { indexedOf } from '../personal-data/indexed-student-directory';
import { PersonalDataVault, openPersonalDataVault, studentKeyOfStream } from '../personal-data/personal-data-vault';
import { Settings, loadSettings } from '../settings';
import { WritePipeline, metadataOf, migratedMetadataOf } from '../write-pipeline';
import { commandLineChannel } from '../write-context';

/** The stream of the one event that links a migrated ledger to the log it was copied from. */
export const MIGRATION_STREAM = 'ledger-migration';
export const MIGRATION_EVENT_TYPE = 'LedgerMigrated';

/**
 * The first event of a migrated ledger: the old log as it was verified before it was copied — its
 * last signed digest (which the old ledger's key signed, checkable with its public key), its length,
 * its last event's position and chain hash, and the Merkle root of the whole of it — and what the
 * copy left out. No personal data: the old stream names, which held identifiers, are not in it.
 */
export interface LedgerMigratedData {
  from: {
    lastSignedDigest: LogDigest;
    events: number;
    headPosition: string;
    headHash: string;
    /** The Merkle root over every event of the old log (its last digest covers `lastSignedDigest.treeSize` of them). */
    rootHash: string;
  };
  /** Events of the old log copied into this one, each naming its old position (`metadata.migratedFrom`). */
  copied: number;
  /** Old events not copied, by type: the old log's digests (this log has its own) and its identifier links (the identity index holds them now). */
  leftOut: Record<string, number>;
}

export interface MigrationReport {
  from: string;
  to: string;
  oldEvents: number;
  copied: number;
  leftOut: Record<string, number>;
  /** Students filed in the new identity index (records in clear given opaque keys, and records already under one). */
  students: number;
  /** Students whose data the old ledger had erased: their seals are copied as they were, their keys stay destroyed. */
  erasedStudents: number;
  lastSignedDigest: { treeSize: number; rootHash: string; keyId: string; signedAt: string };
  /** Events of the old log after its last signed digest (copied too, covered by `from.headHash` and `from.rootHash`). */
  eventsAfterLastDigest: number;
  /** The new log's first digest, signed with the old ledger's signing key (copied beside it); undefined without one. */
  newDigest?: { treeSize: number; rootHash: string; keyId: string };
}

export interface MigrateLedgerOptions {
  onProgress?: (copied: number, total: number) => void;
}

/**
 * Copies a ledger (the embedded SQLite log, with its key store when it has one) into a new data
 * directory in the encrypted form: every student under an opaque key from a new identity index,
 * their personal fields sealed, the streams renamed, and as its first event a LedgerMigrated that
 * holds the old log's last signed digest. The old data directory is only read.
 */
export class MigrateLedgerCommand extends Command<MigrationReport> {
  constructor(
    readonly from: string,
    readonly to: string,
    readonly options: MigrateLedgerOptions = {},
  ) {
    super();
  }
}

/** Why a migration did not start, or stopped (the new directory is then removed again). */
export class MigrationRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationRefused';
  }
}

/** A data directory's settings for the migration: the default layout under it (the LEDGER_* paths of this process name the one ledger it runs on, not these two). */
function settingsOf(dataDir: string): Settings {
  return loadSettings({ LEDGER_DATA_DIR: dataDir });
}

const STUDENT_EVENT = /^beneficiary-/;

@CommandHandler(MigrateLedgerCommand)
export class MigrateLedgerHandler implements ICommandHandler<MigrateLedgerCommand, MigrationReport> {
  async execute({ from, to, options }: MigrateLedgerCommand): Promise<MigrationReport> {
    const old = settingsOf(from);
    const target = settingsOf(to);
    if (!existsSync(old.eventStorePath)) throw new MigrationRefused(`no ledger at ${old.eventStorePath}: --from names the data directory of the ledger to migrate`);
    if (old.dataDir === target.dataDir) throw new MigrationRefused('--from and --to name the same directory: the migrated ledger goes into a new one');
    if (existsSync(target.dataDir) && readdirSync(target.dataDir).length > 0) {
      throw new MigrationRefused(`${target.dataDir} is not empty: the migrated ledger goes into a new or empty directory (nothing was written)`);
    }
    const oldStore = createEventStore(old, { readonly: true });
    const oldVault = openPersonalDataVault(old, 'read');
    try {
      const evidence = await verifiedOldLog(oldStore, old);
      return await intoNewDirectory(target, (pipeline, vault) => copyLog(oldStore, oldVault, old, target, pipeline, vault, evidence, options));
    } finally {
      oldVault?.close();
      await oldStore.close();
    }
  }
}

interface OldLogEvidence {
  lastSignedDigest: LogDigest;
  events: number;
  headPosition: bigint;
  headHash: string;
  rootHash: string;
  leftOut: Record<string, number>;
}

/** The old log verified whole, its last signed digest and its head: refused when it does not verify or no digest is signed. */
async function verifiedOldLog(store: EventStore, old: Settings): Promise<OldLogEvidence> {
  const headPosition = await store.headPosition();
  const trustedPublicKey = existsSync(old.signingKeyFile) ? publicKeyText(createPublicKey(loadSigningKey(readFileSync(old.signingKeyFile, 'utf8')))) : undefined;
  const report = await verifyLog(store, trustedPublicKey ? { trustedPublicKey } : {});
  if (!report.ok) {
    const problem = report.firstProblem!;
    throw new MigrationRefused(`the ledger in ${old.dataDir} does not verify (${problem.kind} at position ${problem.position}: ${problem.detail}): nothing was migrated — a broken log is not copied into a new chain`);
  }
  const digests = (await store.readStream(DIGEST_STREAM)).filter((event) => event.type === DIGEST_EVENT_TYPE);
  const last = digests.at(-1);
  if (!last) {
    // Signing one here would write to the old ledger, which the migration only reads.
    throw new MigrationRefused(
      `the ledger in ${old.dataDir} has no signed digest, and the new ledger's first event must name its last one so that an auditor can link the two logs: ` +
        'start the service on it, sign one (POST /audit/digests as an auditor or admin), stop the service, and migrate again (nothing was migrated)',
    );
  }
  const [head] = await store.readAll({ after: headPosition - 1n, maxCount: 1 });
  const leftOut: Record<string, number> = {};
  counting: for await (const page of readAllPages(store)) {
    for (const event of page) {
      if (event.position > headPosition) break counting;
      const reason = leftOutType(event);
      if (reason) leftOut[reason] = (leftOut[reason] ?? 0) + 1;
    }
  }
  return { lastSignedDigest: last.data as LogDigest, events: report.eventsChecked, headPosition, headHash: integrityOf(head)!.hash, rootHash: report.rootHash, leftOut };
}

/** Why an old event is not copied: a digest of the old log (the new one has its own), or an identifier's link (the identity index holds it). */
function leftOutType(event: StoredEvent): string | undefined {
  if (event.streamId === DIGEST_STREAM && event.type === DIGEST_EVENT_TYPE) return event.type;
  if (STUDENT_EVENT.test(event.streamId) && event.type === 'StudentIdentifierLinked' && !isStudentKey(studentKeyOfStream(event.streamId))) return event.type;
  return undefined;
}

/** Makes the new data directory, holds it while `work` writes the ledger there, and removes it again when `work` fails: a migration is whole or absent. */
async function intoNewDirectory(target: Settings, work: (pipeline: WritePipeline, vault: PersonalDataVault) => Promise<MigrationReport>): Promise<MigrationReport> {
  const existed = existsSync(target.dataDir);
  mkdirSync(target.dataDir, { recursive: true });
  const lock = DataDirLock.take(target.dataDir);
  let store: EventStore | undefined;
  let vault: PersonalDataVault | undefined;
  let done = false;
  try {
    store = createEventStore(target);
    vault = PersonalDataVault.open(target.keyDir, { keyEncryptionKeyFile: target.keyEncryptionKeyFile });
    const report = await work(new WritePipeline(store, undefined, vault), vault);
    done = true;
    return report;
  } finally {
    vault?.close();
    await store?.close();
    lock.release();
    // An empty directory given stays, emptied again; one made here goes.
    if (!done && existed) for (const name of readdirSync(target.dataDir)) rmSync(join(target.dataDir, name), { recursive: true, force: true });
    else if (!done) rmSync(target.dataDir, { recursive: true, force: true });
  }
}

/** A student of the old log, as the copy files them: the new key, and the data key the old ledger sealed their fields with. */
interface StudentCopy {
  key: string;
  /** For a record already under an opaque key: the old data key, 'destroyed' once erased there. */
  oldDataKey?: Buffer | 'destroyed';
  /** Their StudentDataErased event was copied: the new key store holds their tombstone. */
  erased?: boolean;
}

async function copyLog(
  oldStore: EventStore,
  oldVault: PersonalDataVault | undefined,
  old: Settings,
  target: Settings,
  pipeline: WritePipeline,
  vault: PersonalDataVault,
  evidence: OldLogEvidence,
  options: MigrateLedgerOptions,
): Promise<MigrationReport> {
  const total = evidence.events - Object.values(evidence.leftOut).reduce((sum, count) => sum + count, 0);
  const data: LedgerMigratedData = {
    from: {
      lastSignedDigest: evidence.lastSignedDigest,
      events: evidence.events,
      headPosition: evidence.headPosition.toString(),
      headHash: evidence.headHash,
      rootHash: evidence.rootHash,
    },
    copied: total,
    leftOut: evidence.leftOut,
  };
  const system = metadataOf({ actor: { id: 'system:migrate', role: 'system' }, via: commandLineChannel() });
  await pipeline.appendPrepared(MIGRATION_STREAM, [{ eventId: randomUUID(), type: MIGRATION_EVENT_TYPE, data }], system, 'no_stream');

  /** By the key of the old record (an identifier in clear, or an opaque key). */
  const students = new Map<string, StudentCopy>();
  const revisions = new Map<string, ExpectedVersion>();
  let copied = 0;
  // The request hashes as the new ledger keeps them: keyed with its index key, so that a retried request still matches.
  const rekey = (requestHash: string) => vault.keys.keyedRequestHash(requestHash);

  /** The student of a legacy record (filed under an identifier in clear): placed in the new index by the record's identifier and every one the event names. */
  const placeInClear = async (recordKey: string, named: StudentIdentity): Promise<StudentCopy> => {
    // The index takes an identifier named twice once.
    const placed = await vault.place([...indexedOf(identityFromKey(recordKey)), ...indexedOf(named)]);
    if ('conflict' in placed) throw new MigrationRefused(`the old log names a student's identifiers (${placed.conflict.join(', ')}) under two records: they cannot be filed in one identity index`);
    const student = students.get(recordKey) ?? { key: placed.studentKey };
    students.set(recordKey, student);
    return student;
  };

  /** The student of a record already under an opaque key: the same key, their identifiers filed from the old index. */
  const placeOpaque = (key: string): StudentCopy => {
    const known = students.get(key);
    if (known) return known;
    if (!oldVault) throw new MigrationRefused(`the old log holds sealed records but ${old.keyDir} has no key store to open them with`);
    const oldDataKey = oldVault.keys.dataKeyOf(key);
    const identifiers = Buffer.isBuffer(oldDataKey) ? oldVault.index.identifiersOf(key) : [];
    if (identifiers.length > 0 && 'conflict' in vault.index.restore(key, identifiers)) {
      throw new MigrationRefused(`identifiers of record ${key} are filed under another record too: they cannot be filed in one identity index`);
    }
    const student: StudentCopy = { key, ...(oldDataKey !== undefined && { oldDataKey }) };
    students.set(key, student);
    return student;
  };

  const append = async (event: StoredEvent, streamId: string, eventData: unknown): Promise<void> => {
    const metadata = migratedMetadataOf(event.metadata, { position: event.position.toString(), recordedAt: event.recordedAt }, rekey);
    const copy = { eventId: event.eventId, type: event.type, schemaVersion: event.schemaVersion, data: eventData };
    const appended = await pipeline.appendCopied(streamId, [copy], metadata, revisions.get(streamId) ?? 'no_stream');
    revisions.set(streamId, appended.nextExpectedVersion);
    options.onProgress?.(++copied, total);
  };

  copying: for await (const page of readAllPages(oldStore)) {
    for (const event of page) {
      if (event.position > evidence.headPosition) break copying;
      if (leftOutType(event) === DIGEST_EVENT_TYPE) continue;
      const streamKey = STUDENT_EVENT.test(event.streamId) ? studentKeyOfStream(event.streamId)! : undefined;
      if (streamKey === undefined) {
        await append(event, event.streamId, event.data);
      } else if (isStudentKey(streamKey)) {
        const student = placeOpaque(streamKey);
        // Opened with the old data key, to be sealed again with the new one; an erased student's seals
        // stay as they were (nobody can open them, and the new key store holds no key for them either).
        await append(event, event.streamId, Buffer.isBuffer(student.oldDataKey) ? oldVault!.openFor(streamKey, event.data) : event.data);
        if (event.type === 'StudentDataErased') {
          // Appended first, then the key destroyed, as the erasure itself does.
          vault.index.erase(streamKey, new Date(event.recordedAt));
          student.erased = true;
        }
      } else if (event.type === 'StudentIdentifierLinked') {
        // A link in the identifier's own stream: the identity index links it now, to the record it names.
        const link = event.data as { identifier: object; beneficiary: StudentIdentity };
        await placeInClear(link.beneficiary.key, { ...link.beneficiary, ...link.identifier });
      } else {
        const beneficiary = (event.data as { beneficiary?: StudentIdentity }).beneficiary;
        const recordKey = beneficiary?.key ?? streamKey;
        const student = await placeInClear(recordKey, { ...beneficiary, key: recordKey });
        await append(event, `beneficiary-${student.key}`, { ...(event.data as object), beneficiary: { ...beneficiary, key: student.key } });
      }
    }
  }

  const after = await oldStore.headPosition();
  if (after !== evidence.headPosition) {
    throw new MigrationRefused(`the ledger in ${old.dataDir} was written to during the migration (its head moved from position ${evidence.headPosition} to ${after}): stop its service and migrate again`);
  }
  // The first event said how many would be copied: it must be true.
  if (copied !== total) throw new MigrationRefused(`${copied} events were copied, not the ${total} the migration's first event names: nothing was migrated`);
  const newDigest = await signNewLog(pipeline, old, target);
  const filed = [...new Set(students.values())];
  return {
    from: old.dataDir,
    to: target.dataDir,
    oldEvents: evidence.events,
    copied,
    leftOut: evidence.leftOut,
    students: new Set(filed.map((student) => student.key)).size,
    erasedStudents: filed.filter((student) => student.erased || student.oldDataKey === 'destroyed').length,
    lastSignedDigest: { treeSize: evidence.lastSignedDigest.treeSize, rootHash: evidence.lastSignedDigest.rootHash, keyId: evidence.lastSignedDigest.keyId, signedAt: evidence.lastSignedDigest.signedAt },
    eventsAfterLastDigest: evidence.events - evidence.lastSignedDigest.treeSize,
    ...(newDigest && { newDigest }),
  };
}

/**
 * The new log's first digest, signed with the old ledger's signing key, which is copied beside the
 * new ledger: the auditors' trusted public key keeps working, and the digest inside LedgerMigrated
 * and the new ones are checked against the same key. Without an old key file, none is signed (the
 * service makes a key at its first start on the new ledger and signs from there).
 */
async function signNewLog(pipeline: WritePipeline, old: Settings, target: Settings): Promise<MigrationReport['newDigest']> {
  if (!existsSync(old.signingKeyFile)) return undefined;
  copyFileSync(old.signingKeyFile, target.signingKeyFile);
  chmodSync(target.signingKeyFile, 0o600);
  const key = loadSigningKey(readFileSync(target.signingKeyFile, 'utf8'));
  const report = await verifyLog(pipeline.store);
  if (!report.ok) throw new MigrationRefused(`the migrated log does not verify (${report.firstProblem!.kind} at position ${report.firstProblem!.position}): nothing was migrated`);
  const lastPosition = (await pipeline.store.headPosition()).toString();
  const digest = signDigest(key, { treeSize: report.treeSize, rootHash: report.rootHash, lastPosition, signedAt: new Date().toISOString() });
  await pipeline.appendPrepared(DIGEST_STREAM, [{ eventId: randomUUID(), type: DIGEST_EVENT_TYPE, data: digest }], metadataOf({ actor: { id: 'system:digest', role: 'system' } }), 'no_stream');
  return { treeSize: digest.treeSize, rootHash: digest.rootHash, keyId: keyIdOf(digest.publicKey) };
}
