import { Inject } from '@nestjs/common';
import { SingleBar } from 'cli-progress';
import { readFileSync } from 'node:fs';
import { Command, CommandRunner as CliCommand, Option } from 'nest-commander';
import { AuditService } from '@ledger/application';
import { ConsistencyProof, InclusionProof, LogDigest, checkConsistencyProof, checkInclusionProof } from '@ledger/integrity';

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
    const bar = progressBar('verifying');
    bar.start(0, 0);
    const trusted = trustedKey(options.publicKey) ?? this.audit.existingPublicKey();
    const report = await this.audit.verify((events) => {
      if (events % 1000 === 0) bar.setTotal(events), bar.update(events);
    }, trusted);
    bar.setTotal(report.eventsChecked);
    bar.update(report.eventsChecked);
    bar.stop();
    console.log(JSON.stringify({ ok: report.ok, eventsChecked: report.eventsChecked, digestsChecked: report.digestsChecked, treeSize: report.treeSize, rootHash: report.rootHash, firstProblem: report.firstProblem }, null, 2));
    if (!report.ok) {
      console.error(`NOT VERIFIED: ${report.firstProblem!.kind} at position ${report.firstProblem!.position}: ${report.firstProblem!.detail}`);
      process.exitCode = 1;
    }
  }

  @Option({ flags: '--public-key <file>', description: 'the ledger’s public key you trust (default: the local signing key’s)' })
  publicKey(value: string) {
    return value;
  }
}

@Command({ name: 'check-inclusion', description: 'check an inclusion proof (from GET /audit/proofs/inclusion) against a digest you kept' })
export class CheckInclusionCommand extends CliCommand {
  async run(_: string[], options: { proof: string; digest: string; publicKey?: string }): Promise<void> {
    const proof = readJson<InclusionProof>(options.proof);
    const result = checkInclusionProof(proof, readJson<LogDigest>(options.digest), trustedKey(options.publicKey));
    if (result.ok) console.log(`OK: event ${proof.eventId} is leaf ${proof.leafIndex} of the signed tree of size ${proof.treeSize}`);
    else {
      console.error(`REJECTED: ${result.reason}`);
      process.exitCode = 1;
    }
  }

  @Option({ flags: '--proof <file>', required: true })
  proof(value: string) {
    return value;
  }
  @Option({ flags: '--digest <file>', required: true, description: 'a digest (from GET /audit/digests) you kept' })
  digest(value: string) {
    return value;
  }
  @Option({ flags: '--public-key <file>', description: 'the ledger’s public key you trust (base64 SPKI, from GET /audit/public-key)' })
  publicKey(value: string) {
    return value;
  }
}

@Command({ name: 'check-consistency', description: 'check that a newer digest’s log extends an older one (proof from GET /audit/proofs/consistency)' })
export class CheckConsistencyCommand extends CliCommand {
  async run(_: string[], options: { proof: string; olderDigest: string; newerDigest: string; publicKey?: string }): Promise<void> {
    const proof = readJson<ConsistencyProof>(options.proof);
    const result = checkConsistencyProof(proof, readJson<LogDigest>(options.olderDigest), readJson<LogDigest>(options.newerDigest), trustedKey(options.publicKey));
    if (result.ok) console.log(`OK: the log of ${proof.secondSize} events extends the log of ${proof.firstSize} you kept`);
    else {
      console.error(`REJECTED: ${result.reason}`);
      process.exitCode = 1;
    }
  }

  @Option({ flags: '--proof <file>', required: true })
  proof(value: string) {
    return value;
  }
  @Option({ flags: '--older-digest <file>', required: true })
  olderDigest(value: string) {
    return value;
  }
  @Option({ flags: '--newer-digest <file>', required: true })
  newerDigest(value: string) {
    return value;
  }
  @Option({ flags: '--public-key <file>' })
  publicKey(value: string) {
    return value;
  }
}

export const AUDIT_COMMANDS = [VerifyCommand, CheckInclusionCommand, CheckConsistencyCommand];
