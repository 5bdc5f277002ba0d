import { Inject } from '@nestjs/common';
import { SingleBar } from 'cli-progress';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommandRunner as CliCommand, Option } from 'nest-commander';
import { AuditService, CATALOG, EVENT_STORE, UNTRUSTED_KEYS, anomaliesCsv, exportLogLines } from '@ledger/application';
import { ProgramCatalog, parseLocalDate } from '@ledger/domain';
import { EventStore } from '@ledger/event-store';
import { CheckResult, ConsistencyProof, InclusionProof, LogDigest, checkConsistencyProof, checkInclusionProof } from '@ledger/integrity';
import { ALL_PROJECTIONS, ReplayLimit, anomaliesProjection, pointInTimeBasis, queryAnomalies, queryProgramTotals, replayReadModels } from '@ledger/projections';
import { userPath } from './user-paths';

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const trustedKey = (path?: string) => (path ? readFileSync(path, 'utf8').trim() : undefined);

/** A progress bar on standard error, so standard output stays clean for results. */
export function progressBar(label: string) {
  return new SingleBar({ format: `${label} [{bar}] {value} events  {duration_formatted}`, stream: process.stderr, noTTYOutput: false, hideCursor: true });
}

@Command({ name: 'verify', description: 'recompute every hash chain, Merkle root and digest signature; exit 1 on the first problem' })
export class VerifyCommand extends CliCommand {
  constructor(@Inject(AuditService) private readonly audit: AuditService) {
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
    const report = await this.audit.verify((events) => {
      if (events % 1000 === 0) bar.setTotal(events), bar.update(events);
    }, trust);
    bar.setTotal(report.eventsChecked);
    bar.update(report.eventsChecked);
    bar.stop();
    const { ok, eventsChecked, digestsChecked, treeSize, rootHash, firstProblem, signaturesCheckedAgainst } = report;
    console.log(JSON.stringify({ ok, eventsChecked, digestsChecked, treeSize, rootHash, firstProblem, signaturesCheckedAgainst }, null, 2));
    if (!report.ok) {
      console.error(`NOT VERIFIED: ${report.firstProblem!.kind} at position ${report.firstProblem!.position}: ${report.firstProblem!.detail}`);
      process.exitCode = 1;
    }
  }

  @Option({ flags: '--public-key <file>', description: 'the ledger’s public key you trust (base64 SPKI; default: the local signing key’s, if there is one)' })
  publicKey(value: string) {
    return userPath(value);
  }
}

/** A proof check's verdict: OK with what it proves, or REJECTED with why (and a failing exit code). */
function printCheck(result: CheckResult, proves: () => string): void {
  if (result.ok) console.log(`OK: ${proves()}`);
  else {
    console.error(`REJECTED: ${result.reason}`);
    process.exitCode = 1;
  }
}

@Command({ name: 'check-inclusion', description: 'check an inclusion proof (from GET /audit/proofs/inclusion) against a digest you kept' })
export class CheckInclusionCommand extends CliCommand {
  async run(_: string[], options: { proof: string; digest: string; publicKey?: string }): Promise<void> {
    const proof = readJson<InclusionProof>(options.proof);
    const result = checkInclusionProof(proof, readJson<LogDigest>(options.digest), trustedKey(options.publicKey));
    printCheck(result, () => `event ${proof.eventId} is leaf ${proof.leafIndex} of the signed tree of size ${proof.treeSize}`);
  }

  @Option({ flags: '--proof <file>', required: true })
  proof(value: string) {
    return userPath(value);
  }
  @Option({ flags: '--digest <file>', required: true, description: 'a digest (from GET /audit/digests) you kept' })
  digest(value: string) {
    return userPath(value);
  }
  @Option({ flags: '--public-key <file>', description: 'the ledger’s public key you trust (base64 SPKI, from GET /audit/public-key)' })
  publicKey(value: string) {
    return userPath(value);
  }
}

@Command({ name: 'check-consistency', description: 'check that a newer digest’s log extends an older one (proof from GET /audit/proofs/consistency)' })
export class CheckConsistencyCommand extends CliCommand {
  async run(_: string[], options: { proof: string; olderDigest: string; newerDigest: string; publicKey?: string }): Promise<void> {
    const proof = readJson<ConsistencyProof>(options.proof);
    const result = checkConsistencyProof(proof, readJson<LogDigest>(options.olderDigest), readJson<LogDigest>(options.newerDigest), trustedKey(options.publicKey));
    printCheck(result, () => `the log of ${proof.secondSize} events extends the log of ${proof.firstSize} you kept`);
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
  @Option({ flags: '--public-key <file>' })
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
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CATALOG) private readonly catalog: ProgramCatalog,
  ) {
    super();
  }

  async run(_: string[], options: PointInTimeOptions & { fiscalYear?: number }): Promise<void> {
    const limit = replayLimitOf(options);
    const dir = mkdtempSync(join(tmpdir(), 'ledger-replay-'));
    const bar = progressBar('replaying');
    bar.start(0, 0);
    const started = process.hrtime.bigint();
    try {
      const replay = await replayReadModels(this.store, join(dir, 'read-models.sqlite'), ALL_PROJECTIONS, limit, (events) => {
        bar.setTotal(events);
        bar.update(events);
      });
      bar.stop();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const valuedLater = limit.valuedUpTo ? `, ${replay.valuedLater} of them valued later and left out` : '';
      console.error(`${replay.events} events to position ${replay.lastPosition}${valuedLater} in ${seconds.toFixed(1)} s (${Math.round(replay.events / seconds)} events/s)`);
      const rows = queryProgramTotals(replay.models.db, options.fiscalYear ? { fiscalYear: options.fiscalYear } : {});
      console.log(`Totals ${pointInTimeBasis(limit)}`);
      if (rows.length === 0) console.log('(no totals)');
      else
        console.table(
          rows.map((row) => ({
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
      await replay.models.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  @Option({ flags: '--fiscal-year <year>' })
  fiscalYear(value: string): number {
    return Number(value);
  }
}

@Command({ name: 'anomalies', description: 'list the anomalies auditors look for, each with the positions of its events' })
export class AnomaliesCommand extends PointInTimeCommand {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CATALOG) private readonly catalog: ProgramCatalog,
  ) {
    super();
  }

  async run(_: string[], options: PointInTimeOptions & { csv?: string }): Promise<void> {
    const limit = replayLimitOf(options);
    const dir = mkdtempSync(join(tmpdir(), 'ledger-anomalies-'));
    const bar = progressBar('checking');
    bar.start(0, 0);
    try {
      const replay = await replayReadModels(this.store, join(dir, 'read-models.sqlite'), [anomaliesProjection(this.catalog)], limit, (events) => {
        bar.setTotal(events);
        bar.update(events);
      });
      bar.stop();
      const anomalies = queryAnomalies(replay.models.db);
      await replay.models.close();
      console.error(`anomalies ${pointInTimeBasis(limit)}`);
      if (options.csv) {
        writeFileSync(options.csv, anomaliesCsv(anomalies));
        console.error(`${anomalies.length} anomalies written to ${options.csv}`);
      } else for (const a of anomalies) console.log(`${a.kind}\t${a.programCode}\tpositions ${a.positions.join(',')}\t${a.detail}`);
      if (anomalies.length === 0) console.error('no anomalies');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  @Option({ flags: '--csv <file>', description: 'write them as CSV' })
  csv(value: string) {
    return userPath(value);
  }
}

@Command({ name: 'export', description: 'write the whole log with its hashes as NDJSON' })
export class ExportCommand extends CliCommand {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {
    super();
  }

  async run(_: string[], options: { out: string }): Promise<void> {
    const out = createWriteStream(options.out);
    const bar = progressBar('exporting');
    bar.start(0, 0);
    let events = 0;
    for await (const line of exportLogLines(this.store)) {
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

AUDIT_COMMANDS.push(ReplayCommand, AnomaliesCommand, ExportCommand);
