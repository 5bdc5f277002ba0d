import { Inject } from '@nestjs/common';
import { SingleBar } from 'cli-progress';
import { once } from 'node:events';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { Command, CommandRunner as CliCommand, Option } from 'nest-commander';
import { QueryBus } from '@nestjs/cqrs';
import {
  AuditService,
  CATALOG,
  LedgerMigratedData,
  LogExportQuery,
  MAX_PAGE,
  PersonalDataAccessAnswer,
  PersonalDataAccessQuery,
  ReplayedAnomaliesQuery,
  ReplayedProgramTotalsQuery,
  UNTRUSTED_KEYS,
  VerifyLogQuery,
  anomaliesCsv,
  disclosuresCsv,
} from '@ledger/application';
import { ProgramCatalog, parseLocalDate } from '@ledger/domain';
import {
  CheckResult,
  ConsistencyProof,
  InclusionProof,
  LogDigest,
  checkConsistencyProof,
  checkInclusionProof,
  consistencyProofProblem,
  digestProblem,
  digestSignatureValid,
  inclusionProofProblem,
  keyIdOf,
  publicKeyProblem,
} from '@ledger/integrity';
import { DisclosureRow, ReplayLimit, pointInTimeBasis } from '@ledger/projections';
import { userPath } from './user-paths';

/** A file's text, or one line saying why it cannot be read. */
function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new Error(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : message}`);
  }
}

/** Evidence read from a file, refused in one line naming the file and what is wrong with it. */
function readEvidence<T>(file: string, what: string, problemOf: (value: unknown) => string | undefined): T {
  const text = readText(file);
  const hint = what === 'a digest' ? ' (keep one from POST /audit/digests: README, "Auditing")' : '';
  if (text.trim() === '') throw new Error(`${file} is empty: not ${what}${hint}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not JSON, so not ${what}: ${(error as Error).message}`);
  }
  const problem = problemOf(value);
  if (problem) throw new Error(`${file} is not ${what}: ${problem}${hint}`);
  return value as T;
}

const readDigest = (file: string) => readEvidence<LogDigest>(file, 'a digest', digestProblem);

/** The public key the auditor trusts (base64 SPKI), refused in one line unless it is one. */
function trustedKey(file?: string): string | undefined {
  if (!file) return undefined;
  const text = readText(file).trim();
  const problem = publicKeyProblem(text);
  if (problem) throw new Error(`${file} is not a public key: ${problem} (expected the base64 key of GET /audit/public-key: jq -r .publicKey)`);
  return text;
}

/** A progress bar on standard error, so standard output stays clean for results. */
export function progressBar(label: string) {
  return new SingleBar({ format: `${label} [{bar}] {value} events  {duration_formatted}`, stream: process.stderr, noTTYOutput: false, hideCursor: true });
}

@Command({ name: 'verify', description: 'recompute every hash chain, Merkle root and digest signature; exit 1 on the first problem' })
export class VerifyCommand extends CliCommand {
  constructor(
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(QueryBus) private readonly queryBus: QueryBus,
  ) {
    super();
  }

  async run(_: string[], options: { publicKey?: string }): Promise<void> {
    // Read-only: the local key is used when there is one, never made.
    const given = trustedKey(options.publicKey);
    const local = given ? undefined : this.audit.existingPublicKey();
    const trust = given ? { publicKey: given, source: 'the key you gave (--public-key)' } : local ? { publicKey: local, source: 'the local signing key' } : undefined;
    if (!trust) {
      console.error(
        `no trusted key: digest signatures are checked against ${UNTRUSTED_KEYS} — that shows a digest was not changed since it was signed, not who signed it. ` +
          'Give the ledger’s public key you trust with --public-key <file>.',
      );
    }
    const bar = progressBar('verifying');
    bar.start(0, 0);
    const report = await this.queryBus.execute(
      new VerifyLogQuery({
        ...(trust && { trusted: trust }),
        onProgress: (events) => {
          if (events % 1000 === 0) bar.setTotal(events), bar.update(events);
        },
      }),
    );
    bar.setTotal(report.eventsChecked);
    bar.update(report.eventsChecked);
    bar.stop();
    const { ok, eventsChecked, digestsChecked, treeSize, rootHash, firstProblem, signaturesCheckedAgainst } = report;
    const migration = await this.audit.migratedFrom();
    const migratedFrom = migration && migratedFromOf(migration, trust?.publicKey);
    console.log(JSON.stringify({ ok, eventsChecked, digestsChecked, treeSize, rootHash, firstProblem, signaturesCheckedAgainst, ...(migratedFrom && { migratedFrom }) }, null, 2));
    if (!report.ok) {
      console.error(`NOT VERIFIED: ${report.firstProblem!.kind} at position ${report.firstProblem!.position}: ${report.firstProblem!.detail}`);
      process.exitCode = 1;
    }
    if (migratedFrom) {
      const { lastSignedDigest: digest } = migratedFrom;
      console.error(
        `migrated from: root ${digest.rootHash} size ${digest.treeSize} (the old log's last signed digest, key ${digest.keyId}, signed ${digest.signedAt}); ` +
          `the old log had ${migratedFrom.events} events to position ${migratedFrom.headPosition}, head hash ${migratedFrom.headHash}, root ${migratedFrom.rootHash} (position ${migratedFrom.position} of this log)`,
      );
      if (!digest.signatureValid) {
        console.error(`NOT VERIFIED: the old log's digest this log names is not signed by ${trust ? trust.source : 'the key it names'}`);
        process.exitCode = 1;
      }
    }
  }

  @Option({ flags: '--public-key <file>', description: 'the ledger’s public key you trust (base64 SPKI; default: the local signing key’s, if there is one)' })
  publicKey(value: string) {
    return userPath(value);
  }
}

/** The link to the log this one was migrated from, as verify shows it: the old digest's signature checked against the key trusted here. */
function migratedFromOf(migration: LedgerMigratedData & { position: string }, trustedPublicKey: string | undefined) {
  const { lastSignedDigest: digest, ...from } = migration.from;
  return {
    position: migration.position,
    ...from,
    lastSignedDigest: {
      treeSize: digest.treeSize,
      rootHash: digest.rootHash,
      lastPosition: digest.lastPosition,
      signedAt: digest.signedAt,
      keyId: digest.keyId,
      signatureValid: digestSignatureValid(digest, trustedPublicKey),
    },
    copied: migration.copied,
    leftOut: migration.leftOut,
  };
}

/**
 * A proof check's verdict: OK with what it proves (exit 0); REJECTED with why (exit 1); or, without
 * a key the auditor trusts, NOT TRUSTED (exit 2): a digest's own key shows only that it was not
 * changed since someone signed it — anyone can sign a digest and a proof that fit, with a key of
 * their own — so it is never reported OK.
 */
function printCheck(result: CheckResult, proves: () => string, trusted: string | undefined, digests: LogDigest[]): void {
  if (!result.ok) {
    console.error(`REJECTED: ${result.reason}`);
    process.exitCode = 1;
  } else if (!trusted) {
    const keys = [...new Set(digests.map((digest) => keyIdOf(digest.publicKey)))].join(', key ');
    console.error(
      `NOT TRUSTED: ${proves()}, but the signature was checked only against the key the digest names (key ${keys}), not a key you trust: ` +
        'anyone can sign a digest and a proof that fit. Check it against the ledger’s public key you kept: --public-key <file> (from GET /audit/public-key).',
    );
    process.exitCode = 2;
  } else console.log(`OK: ${proves()}`);
}

@Command({ name: 'check-inclusion', description: 'check an inclusion proof (from GET /audit/proofs/inclusion) against a digest you kept and the key you trust; exit 0 OK, 1 REJECTED, 2 NOT TRUSTED (no --public-key)' })
export class CheckInclusionCommand extends CliCommand {
  async run(_: string[], options: { proof: string; digest: string; publicKey?: string }): Promise<void> {
    const proof = readEvidence<InclusionProof>(options.proof, 'an inclusion proof', inclusionProofProblem);
    const digest = readDigest(options.digest);
    const trusted = trustedKey(options.publicKey);
    const result = checkInclusionProof(proof, digest, trusted);
    printCheck(result, () => `event ${proof.eventId} is leaf ${proof.leafIndex} of the signed tree of size ${proof.treeSize}`, trusted, [digest]);
  }

  @Option({ flags: '--proof <file>', required: true })
  proof(value: string) {
    return userPath(value);
  }
  @Option({ flags: '--digest <file>', required: true, description: 'a digest (from GET /audit/digests) you kept' })
  digest(value: string) {
    return userPath(value);
  }
  @Option({ flags: '--public-key <file>', description: 'the ledger’s public key you trust (base64 SPKI, from GET /audit/public-key); without it the check is NOT TRUSTED (exit 2)' })
  publicKey(value: string) {
    return userPath(value);
  }
}

@Command({ name: 'check-consistency', description: 'check that a newer digest’s log extends an older one (proof from GET /audit/proofs/consistency); exit 0 OK, 1 REJECTED, 2 NOT TRUSTED (no --public-key)' })
export class CheckConsistencyCommand extends CliCommand {
  async run(_: string[], options: { proof: string; olderDigest: string; newerDigest: string; publicKey?: string }): Promise<void> {
    const proof = readEvidence<ConsistencyProof>(options.proof, 'a consistency proof', consistencyProofProblem);
    const older = readDigest(options.olderDigest);
    const newer = readDigest(options.newerDigest);
    const trusted = trustedKey(options.publicKey);
    const result = checkConsistencyProof(proof, older, newer, trusted);
    printCheck(result, () => `the log of ${proof.secondSize} events extends the log of ${proof.firstSize} you kept`, trusted, [older, newer]);
  }

  @Option({ flags: '--proof <file>', required: true })
  proof(value: string) {
    return userPath(value);
  }
  @Option({ flags: '--older-digest <file>', required: true })
  olderDigest(value: string) {
    return userPath(value);
  }
  @Option({ flags: '--newer-digest <file>', required: true })
  newerDigest(value: string) {
    return userPath(value);
  }
  @Option({ flags: '--public-key <file>', description: 'the ledger’s public key you trust (base64 SPKI, from GET /audit/public-key); without it the check is NOT TRUSTED (exit 2)' })
  publicKey(value: string) {
    return userPath(value);
  }
}

export const AUDIT_COMMANDS: Array<new (...args: never[]) => CliCommand> = [VerifyCommand, CheckInclusionCommand, CheckConsistencyCommand];

/**
 * The point-in-time options of replay and anomalies, named for what they are. `--until-date` is
 * refused, not kept as an alias: it meant the recording time, so "as of October" on history
 * imported later printed nothing; giving it the other meaning would silently change what scripts get.
 */
type PointInTimeOptions = { valuedUpTo?: string; recordedBy?: string; untilPosition?: bigint; untilDate?: string };

export const UNTIL_DATE_REFUSED =
  '--until-date is ambiguous and no longer accepted: --valued-up-to <date> counts the aid valued (paid, approved, allocated) on or before that day, --recorded-by <date> replays what was recorded by the end of that day (China time); give either or both';

function replayLimitOf(options: PointInTimeOptions): ReplayLimit {
  if (options.untilDate !== undefined) throw new Error(UNTIL_DATE_REFUSED);
  return {
    ...(options.valuedUpTo && { valuedUpTo: options.valuedUpTo }),
    ...(options.recordedBy && { recordedBy: options.recordedBy }),
    ...(options.untilPosition !== undefined && { untilPosition: options.untilPosition }),
  };
}

/** The options' parsers, shared by the commands that replay to a point in time. */
abstract class PointInTimeCommand extends CliCommand {
  @Option({ flags: '--valued-up-to <date>', description: 'only the aid valued on or before this day (YYYY-MM-DD): value dates, approvals by approval date' })
  valuedUpTo(value: string): string {
    return parseLocalDate(value, '--valued-up-to');
  }
  @Option({ flags: '--recorded-by <date>', description: 'the log as recorded by the end of this day (YYYY-MM-DD, China time)' })
  recordedBy(value: string): string {
    return parseLocalDate(value, '--recorded-by');
  }
  @Option({ flags: '--until-position <position>', description: 'the log as recorded up to this position' })
  untilPosition(value: string): bigint {
    if (!/^\d+$/.test(value)) throw new Error('--until-position must be a whole number');
    return BigInt(value);
  }
  @Option({ flags: '--until-date <date>', description: 'refused: ambiguous; use --valued-up-to or --recorded-by' })
  untilDate(value: string): string {
    return value;
  }
}

@Command({ name: 'replay', description: 'replay the log into scratch read models and print the program totals, valued up to a day and/or as recorded by a day or position' })
export class ReplayCommand extends PointInTimeCommand {
  constructor(
    @Inject(QueryBus) private readonly queryBus: QueryBus,
    @Inject(CATALOG) private readonly catalog: ProgramCatalog,
  ) {
    super();
  }

  async run(_: string[], options: PointInTimeOptions & { fiscalYear?: number }): Promise<void> {
    const limit = replayLimitOf(options);
    const bar = progressBar('replaying');
    bar.start(0, 0);
    const started = process.hrtime.bigint();
    const replay = await this.queryBus
      .execute(new ReplayedProgramTotalsQuery(limit, options.fiscalYear ? { fiscalYear: options.fiscalYear } : {}, (events) => (bar.setTotal(events), bar.update(events))))
      .finally(() => bar.stop());
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const valuedLater = limit.valuedUpTo ? `, ${replay.valuedLater} of them valued later and left out` : '';
    console.error(`${replay.events} events to position ${replay.lastPosition}${valuedLater} in ${seconds.toFixed(1)} s (${Math.round(replay.events / seconds)} events/s)`);
    console.log(`Totals ${pointInTimeBasis(limit)}`);
    if (replay.rows.length === 0) console.log('(no totals)');
    else
      console.table(
        replay.rows.map((row) => ({
          year: row.fiscalYear,
          program: row.programCode,
          name: this.catalog.program(row.programCode)?.name.zh ?? '',
          students: row.net.students,
          personTimes: row.net.personTimes,
          yuan: row.net.amount.toString(),
          wanYuan: row.net.amount.toWanYuan(),
          approvedWanYuan: row.approved.amount.toWanYuan(),
        })),
      );
  }

  @Option({ flags: '--fiscal-year <year>' })
  fiscalYear(value: string): number {
    return Number(value);
  }
}

@Command({ name: 'anomalies', description: 'list the anomalies auditors look for, each with the positions of its events' })
export class AnomaliesCommand extends PointInTimeCommand {
  constructor(@Inject(QueryBus) private readonly queryBus: QueryBus) {
    super();
  }

  async run(_: string[], options: PointInTimeOptions & { csv?: string }): Promise<void> {
    const limit = replayLimitOf(options);
    const bar = progressBar('checking');
    bar.start(0, 0);
    const { anomalies } = await this.queryBus
      .execute(new ReplayedAnomaliesQuery(limit, (events) => (bar.setTotal(events), bar.update(events))))
      .finally(() => bar.stop());
    console.error(`anomalies ${pointInTimeBasis(limit)}`);
    if (options.csv) {
      writeFileSync(options.csv, anomaliesCsv(anomalies), { mode: 0o600 });
      console.error(`${anomalies.length} anomalies written to ${options.csv}`);
    } else for (const a of anomalies) console.log(`${a.kind}\t${a.programCode}\tpositions ${a.positions.join(',')}\t${a.detail}`);
    if (anomalies.length === 0) console.error('no anomalies');
  }

  @Option({ flags: '--csv <file>', description: 'write them as CSV' })
  csv(value: string) {
    return userPath(value);
  }
}

@Command({ name: 'export', description: 'write the whole log with its hashes as NDJSON' })
export class ExportCommand extends CliCommand {
  constructor(@Inject(QueryBus) private readonly queryBus: QueryBus) {
    super();
  }

  async run(_: string[], options: { out: string }): Promise<void> {
    const out = createWriteStream(options.out, { mode: 0o600 }); // the log: as private as the ledger
    const bar = progressBar('exporting');
    bar.start(0, 0);
    let events = 0;
    for await (const line of await this.queryBus.execute(new LogExportQuery())) {
      if (!out.write(line)) await once(out, 'drain');
      if (++events % 2000 === 0) bar.setTotal(events), bar.update(events);
    }
    bar.stop();
    out.end();
    await once(out, 'finish');
    console.error(`${events} events written to ${options.out}`);
  }

  @Option({ flags: '--out <file>', required: true })
  out(value: string) {
    return userPath(value);
  }
}

type PersonalDataAccessOptions = { from?: string; to?: string; actor?: string; route?: string; csv?: string };

@Command({
  name: 'personal-data-access',
  description: 'list the record of processing: every answer the service sent with personal data unmasked — when, who, which route, the path (identifiers redacted), format, records, purpose',
})
export class PersonalDataAccessCommand extends CliCommand {
  constructor(@Inject(QueryBus) private readonly queryBus: QueryBus) {
    super();
  }

  async run(_: string[], options: PersonalDataAccessOptions): Promise<void> {
    const { from, to, actor, route } = options;
    const filters = { ...(from && { from }), ...(to && { to }), ...(actor && { actor }), ...(route && { route }) };
    // Every page, through the same query as GET /audit/personal-data-access (its filters checked there).
    const disclosures: DisclosureRow[] = [];
    let after: string | null = null;
    do {
      const answer: PersonalDataAccessAnswer = await this.queryBus.execute(new PersonalDataAccessQuery({ ...filters, limit: String(MAX_PAGE), ...(after !== null && { after }) }));
      if (answer.format !== 'json') throw new Error('the record of processing came back in another format than asked');
      disclosures.push(...answer.body.disclosures);
      after = answer.body.nextAfter;
    } while (after !== null);
    if (options.csv) {
      writeFileSync(options.csv, disclosuresCsv(disclosures), { mode: 0o600 });
      console.error(`${disclosures.length} disclosures written to ${options.csv}`);
      return;
    }
    for (const row of disclosures) {
      const held = row.studentsOnHold.length > 0 ? [`on legal hold: ${row.studentsOnHold.join(' ')}`] : [];
      console.log([row.recordedAt, `${row.actor.id} (${row.actor.role})`, row.route, row.path, row.format, row.records ?? '', row.purpose ?? '', ...held].join('\t'));
    }
    console.error(disclosures.length === 0 ? 'no disclosures' : `${disclosures.length} disclosures`);
  }

  @Option({ flags: '--from <date>', description: 'recorded on or after this day (YYYY-MM-DD, China time)' })
  from(value: string) {
    return value;
  }
  @Option({ flags: '--to <date>', description: 'recorded on or before this day (YYYY-MM-DD, China time)' })
  to(value: string) {
    return value;
  }
  @Option({ flags: '--actor <userId>', description: 'only the disclosures to this user' })
  actor(value: string) {
    return value;
  }
  @Option({ flags: '--route <route>', description: 'only this route, as recorded (e.g. "GET /disbursements/:disbursementId")' })
  route(value: string) {
    return value;
  }
  @Option({ flags: '--csv <file>', description: 'write them as CSV (UTF-8 with a BOM)' })
  csv(value: string) {
    return userPath(value);
  }
}

AUDIT_COMMANDS.push(ReplayCommand, AnomaliesCommand, ExportCommand, PersonalDataAccessCommand);
