import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { parseEraseStudentData } from '@ledger/domain';
import { StudentRecords } from '../student-records';
import { WriteContext } from '../write-context';
import { WriteOutcome } from '../write-outcome';

/**
 * Erase a student's personal data (PIPL Art. 47), the student named by their record's key or by any
 * of their identifiers. Appends `StudentDataErased` (no personal data in it), then destroys the
 * student's data key and identity-index rows: every sealed field of the record reads `erased` from
 * then on, and no stored byte changes (the proofs still hold). Totals are unchanged.
 */
export class EraseStudentDataCommand extends Command<WriteOutcome> {
  constructor(
    /** The record's opaque key, or a resident ID or student number of the student. */
    readonly student: string,
    readonly input: { legalBasis?: unknown; reference?: unknown },
    readonly write: WriteContext,
    /** For a batch of erasures (retention): the key store's VACUUM left to one `scrub()` after the last. */
    readonly options: { scrubLater?: boolean } = {},
  ) {
    super();
  }
}

@CommandHandler(EraseStudentDataCommand)
export class EraseStudentDataHandler implements ICommandHandler<EraseStudentDataCommand, WriteOutcome> {
  constructor(private readonly records: StudentRecords) {}

  async execute({ student, input, write, options }: EraseStudentDataCommand): Promise<WriteOutcome> {
    const vault = this.records.pipeline.vault;
    if (!vault) throw new Error('erasure needs the key store (the ledger is not open for writing)');
    const { studentKey: key, ...outcome } = await this.records.recordOnExisting(student, (filed) => parseEraseStudentData({ ...input, student: filed as never }), write);
    // The event first, then the key: a crash in between leaves an erasure the next start completes (shredAll).
    vault.index.erase(key, new Date(), options);
    return { ...outcome, ids: { studentKey: key } };
  }
}
