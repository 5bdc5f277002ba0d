import { Inject, Optional } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { LocalDate, ProgramCatalog, ProgramRetention, decideRetention, latestDueAnchor } from '@ledger/domain';
import { queryRetentionCandidates, studentsOnLegalHold } from '@ledger/projections';
import { isStudentKey } from '@ledger/personal-data';
import { Clock, systemClock } from '../clock';
import { csvForExcel } from '../csv-file';
import { refuseProblems, unknownParameterProblems } from '../query-parameters';
import { ReadSide } from '../read-side';
import { CATALOG, CLOCK } from '../tokens';

/** A student whose personal data is due for erasure: the record's opaque key, never an identifier. */
export interface RetentionDueStudent {
  studentKey: string;
  /** The first day on which no program of theirs kept the data any more. */
  dueSince: LocalDate;
  /** Every program they have records under: what its rule counted from, and the first day it no longer kept the data. */
  programs: ProgramRetention[];
}

export interface RetentionDue {
  /** The day the rules were applied on (China time, the ledger's clock). */
  today: LocalDate;
  /** The log position the retention read model stood at. */
  asOfPosition: string;
  count: number;
  /** Oldest due first. */
  students: RetentionDueStudent[];
  /**
   * Records filed under an identifier (written before the key store) are not listed: their key is
   * an identifier in clear, and their personal data is not sealed (migrate them first).
   */
  notListedUnderIdentifiers: number;
  /** Students whose every rule has run out but who are on legal hold: kept (storage only), not listed. */
  keptOnLegalHold: number;
}

/** Who is due for erasure today because every retention rule of theirs has run out (erased students are not due again). */
export class RetentionDueQuery extends Query<RetentionDue> {
  constructor(readonly parameters: Record<string, string | undefined> = {}) {
    super();
  }
}

export const RETENTION_DUE_CSV_COLUMNS = ['studentKey', 'dueSince', 'programCode', 'anchor', 'dueFrom'];

/** The students due as CSV, a line per student and program (UTF-8 with a BOM, as every CSV of the ledger). */
export function retentionDueCsv(students: readonly RetentionDueStudent[]): string {
  const rows = students.flatMap((student) => student.programs.map((program) => ({ studentKey: student.studentKey, dueSince: student.dueSince, ...program })));
  return csvForExcel(rows, { header: true, columns: RETENTION_DUE_CSV_COLUMNS });
}

@QueryHandler(RetentionDueQuery)
export class RetentionDueHandler implements IQueryHandler<RetentionDueQuery, RetentionDue> {
  constructor(
    private readonly readSide: ReadSide,
    @Inject(CATALOG) private readonly catalog: ProgramCatalog,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  async execute({ parameters }: RetentionDueQuery): Promise<RetentionDue> {
    refuseProblems(unknownParameterProblems(parameters, []));
    const today = this.clock.today();
    // Computed once per day and state of the read models: the dashboard asks on every visit.
    return this.readSide.remembered(`retention-due:${today}`, (db) => {
      if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'retention_lines'").get()) {
        throw new Error('the read models have no retention table yet: start the service once so that it builds it');
      }
      // The read side leaves out who is certainly kept (by each rule's latest anchor due today); the domain decides the rest.
      const cutoffs = this.catalog.programs.map((program) => ({ programCode: program.code, after: program.retention.after, latestDueAnchor: latestDueAnchor(program.retention, today) }));
      const { position, students } = queryRetentionCandidates(db, cutoffs);
      const due: RetentionDueStudent[] = [];
      let notListedUnderIdentifiers = 0;
      let keptOnLegalHold = 0;
      const held = studentsOnLegalHold(db);
      for (const student of students) {
        const decision = decideRetention({ ...student, onLegalHold: held.has(student.studentKey) }, this.catalog, today);
        if (!decision.due && decision.reason === 'legal_hold') keptOnLegalHold++;
        if (!decision.due) continue;
        if (!isStudentKey(student.studentKey)) notListedUnderIdentifiers++;
        else due.push({ studentKey: student.studentKey, dueSince: decision.dueSince, programs: [...decision.programs] });
      }
      due.sort((a, b) => a.dueSince.localeCompare(b.dueSince) || a.studentKey.localeCompare(b.studentKey));
      return { today, asOfPosition: position.toString(), count: due.length, students: due, notListedUnderIdentifiers, keptOnLegalHold };
    });
  }
}
