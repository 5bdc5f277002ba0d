import { Inject } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Command, CommandRunner as CliCommand, Option } from 'nest-commander';
import { createInterface } from 'node:readline/promises';
import { writeFileSync } from 'node:fs';
import { AccessControl, EVENT_STORE, EraseStudentDataCommand, PERSONAL_DATA_VAULT, PersonalDataVault, RetentionDue, RetentionDueQuery, SETTINGS, Settings, retentionDueCsv } from '@ledger/application';
import { DomainError } from '@ledger/domain';
import { EventStore } from '@ledger/event-store';
import { operatorWrite } from './access.commands';
import { userPath } from './user-paths';

type RetentionOptions = { erase?: boolean; as?: string; reference?: string; yes?: boolean; json?: boolean; csv?: string };

/** Asks on the terminal; anything but y or yes is a no. */
async function confirmed(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^(y|yes)$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}

/**
 * `retention`: the students whose personal data is due for erasure today (every program's retention
 * rule has run out), by the record's key — the same query as GET /personal-data/retention-due.
 * `--erase` erases each of them through the same EraseStudentData command as `erase-student`
 * (legal basis RETENTION_ENDED), after a y/N on the terminal or with --yes.
 */
@Command({ name: 'retention', description: 'list the students whose personal data is due for erasure (retention ended); --erase erases them, after confirmation' })
export class RetentionCommand extends CliCommand {
  constructor(
    @Inject(QueryBus) private readonly queryBus: QueryBus,
    @Inject(CommandBus) private readonly commandBus: CommandBus,
    @Inject(AccessControl) private readonly access: AccessControl,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault | undefined,
  ) {
    super();
  }

  async run(_: string[], options: RetentionOptions): Promise<void> {
    if (options.erase && !options.reference) throw new Error("retention --erase needs --reference <reference>: the case's file or ticket number, kept with each erasure");
    // Before anything is listed: an erasure is an admin's (named with --as).
    const write = options.erase ? await operatorWrite(this.access, this.settings, 'retention --erase', options.as, 'erase_personal_data') : undefined;
    const due: RetentionDue = await this.queryBus.execute(new RetentionDueQuery());
    this.print(due, options);
    if (!write) return;
    if (due.count === 0) return;
    const question = `erase the personal data of these ${due.count} student(s) (RETENTION_ENDED, ${options.reference})? y/N `;
    if (!options.yes) {
      if (!process.stdin.isTTY) throw new Error('not confirmed: answer y/N on a terminal, or pass --yes; nothing erased');
      if (!(await confirmed(question))) {
        console.error('not confirmed: nothing erased');
        return;
      }
    }
    // The list comes from the service's read models: they must have seen the whole log — checked after the
    // question, which may have waited long — or a student aided since could be among those listed.
    const head = await this.store.headPosition();
    if (BigInt(due.asOfPosition) < head) {
      throw new Error(`the read models are behind the log (at position ${due.asOfPosition}, the log at ${head}): start the service, let it catch up, and run this again; nothing erased`);
    }
    let erased = 0;
    let already = 0;
    const failed: string[] = [];
    try {
      for (const student of due.students) {
        try {
          // The key store rewritten once after the last, not once a student (scrubLater).
          await this.commandBus.execute(new EraseStudentDataCommand(student.studentKey, { legalBasis: 'RETENTION_ENDED', reference: options.reference }, write, { scrubLater: true }));
          erased++;
        } catch (error) {
          if (error instanceof DomainError && error.code === 'STUDENT_DATA_ALREADY_ERASED') already++;
          else failed.push(`${student.studentKey}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    } finally {
      this.vault?.keys.scrub();
    }
    for (const line of failed) console.error(`not erased: ${line}`);
    console.log(`erased the personal data of ${erased} of ${due.count} student(s) due (RETENTION_ENDED, ${options.reference}); ${already} already erased, ${failed.length} failed`);
    if (failed.length > 0) process.exitCode = 1;
  }

  private print(due: RetentionDue, options: RetentionOptions): void {
    if (options.json) console.log(JSON.stringify(due, null, 2));
    else if (options.csv) {
      writeFileSync(options.csv, retentionDueCsv(due.students), { mode: 0o600 });
      console.error(`${due.count} student(s) written to ${options.csv}`);
    } else {
      if (due.count > 0) console.log(['studentKey', 'dueSince', 'programs (anchor → due from)'].join('\t'));
      for (const student of due.students) {
        console.log([student.studentKey, student.dueSince, student.programs.map((p) => `${p.programCode} ${p.anchor} → ${p.dueFrom}`).join(', ')].join('\t'));
      }
    }
    console.error(`${due.count === 0 ? 'no student' : `${due.count} student(s)`} due for erasure on ${due.today} (retention ended)`);
    if (due.keptOnLegalHold > 0) console.error(`${due.keptOnLegalHold} more whose rules have run out are on legal hold: kept (storage only), not listed`);
    if (due.notListedUnderIdentifiers > 0) {
      console.error(`${due.notListedUnderIdentifiers} more due, not listed: records filed under an identifier, written before the key store (migrate them first)`);
    }
  }

  @Option({ flags: '--erase', description: 'erase every student listed (legal basis RETENTION_ENDED), after a y/N on the terminal' })
  erase(): boolean {
    return true;
  }

  @Option({ flags: '--as <userId>', description: 'with --erase: you, an admin of this ledger, recorded as the actor (required)' })
  as(value: string): string {
    return value;
  }

  @Option({ flags: '--reference <reference>', description: "with --erase: the case's reference (a file or ticket number, no name), kept with each erasure" })
  reference(value: string): string {
    return value;
  }

  @Option({ flags: '--yes', description: 'with --erase: confirmed already (for scripts): no question asked' })
  yes(): boolean {
    return true;
  }

  @Option({ flags: '--json', description: 'print the list as JSON' })
  json(): boolean {
    return true;
  }

  @Option({ flags: '--csv <file>', description: 'write the list as CSV (UTF-8 with a BOM), a line per student and program' })
  csv(value: string): string {
    return userPath(value);
  }
}
