import { Inject, Injectable, Optional } from '@nestjs/common';
import { BeneficiaryCommand, BudgetStanding, ProgramCatalog, StudentIdentity, StudentRecordNotFound, beneficiaryDecider, studentFiledUnder } from '@ledger/domain';
import { CATALOG, CLOCK } from './tokens';
import { Clock, systemClock } from './clock';
import { CommandOutcome, WritePipeline } from './write-pipeline';
import { StudentDirectory, streamNamedBy, studentDirectoryOf } from './student-directory';
import { WriteContext } from './write-context';
import { studentNamedInPath } from './student-lookup';

/**
 * Commands to students' records, from every entry point but the import (HTTP, the CLI, the demo
 * seeding): the record is found by any identifier the command names (StudentDirectory, again on every
 * retry), identifiers named for the first time are linked with the command's events, and every
 * command is decided against the clock's today (no date after it). Commands naming a student the
 * same way wait for each other (the pipeline's queue for that identifier's stream).
 */
@Injectable()
export class StudentRecords {
  readonly directory: StudentDirectory;

  constructor(
    readonly pipeline: WritePipeline,
    @Inject(CATALOG) private readonly catalog: ProgramCatalog,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {
    this.directory = studentDirectoryOf(pipeline);
  }

  /** The clock's today, which every command is decided against. */
  today() {
    return this.clock.today();
  }

  /**
   * For the commands on a record as a whole (erasure, legal hold): the student a path names — by the
   * record's key or any identifier — found, never placed (such a command must not make a record for
   * an identifier the ledger does not know: 404), and the command parsed for that record, recorded.
   */
  async recordOnExisting(student: string, parse: (filed: StudentIdentity) => BeneficiaryCommand, write: WriteContext): Promise<CommandOutcome & { studentKey: string }> {
    const key = await this.directory.recordKeyOf(studentNamedInPath(student), '');
    if (!key) throw new StudentRecordNotFound('没有该学生的记录 / no record for this student', 'studentKey');
    return { ...(await this.record(parse(studentFiledUnder(key)), write)), studentKey: key };
  }

  /** Records the command on the student's record; `budget`: a payment's program-year standing (see record-disbursement). */
  record(command: BeneficiaryCommand, write: WriteContext, budget?: BudgetStanding, today = this.clock.today()): Promise<CommandOutcome> {
    return this.pipeline.runOn(
      command.type,
      streamNamedBy(command.data.student),
      async () => {
        const placed = await this.directory.place(command.data.student);
        return {
          streamId: placed.streamId,
          stored: placed.stored,
          command: { ...command, data: { ...command.data, student: placed.student } } as BeneficiaryCommand,
          alongside: placed.links,
          afterRecorded: placed.linkAfterRecorded,
          beforeAppend: placed.fileBeforeAppend,
        };
      },
      beneficiaryDecider,
      { catalog: this.catalog, today, ...(budget && { budget }) },
      write,
    );
  }
}
