import type Database from 'better-sqlite3';
import {
  BudgetAllocated,
  BudgetStanding,
  DisbursementRecorded,
  DisbursementReversed,
  DomainError,
  LocalDate,
  Money,
  budgetStreamId,
  currentEventOf,
  fiscalYearOf,
  requireWithinBudget,
} from '@ledger/domain';
import { EventStore, StoredEvent, readAllPages } from '@ledger/event-store';
import { programTotalsProjection } from '@ledger/projections';

/** The read models' database, when this process has one (the service's live one; the CLI's read-only copy). */
export type ReadModelsDatabase = { readonly db: Database.Database } | undefined;

/** An import row's payment, counted against its program's budget for the year. */
export interface BudgetProblem {
  row: number;
  code: string;
  message: string;
}

/** The payments of a batch (an import), checked together against their programs' budgets. */
export interface BudgetBatch {
  /** Counts an event a row will record (payments only; others are ignored). */
  add(row: number, event: { type: string; data: unknown }): void;
  /** For each program and year over budget, the row whose payment takes it over. */
  problems(): Promise<BudgetProblem[]>;
  /** Runs `append` while no other payment of the batch's budgeted programs and years can, after checking the batch again. */
  appending<T>(append: () => Promise<T>): Promise<T>;
}

// Locks per event store, so that every keeper of one process over one store shares them.
const locksByStore = new WeakMap<object, Map<string, Promise<void>>>();

const lockName = (programCode: string, fiscalYear: number) => `${programCode}|${fiscalYear}`;

/**
 * What a program was allocated and has paid for a fiscal year, for the budget rule
 * (requireWithinBudget). Allocated: summed from the budget's own stream. Paid (net of reversals,
 * each netted against its payment's year): the program-totals read model as far as it has applied
 * the log, plus the events of the log after that — so it is exact whether or not the read models
 * are up to date, or there at all (the CLI).
 *
 * Two payments of one program and year racing for the last yuan: within one process, a payment of
 * a budgeted program and year holds that program-year's lock from reading the standing to its
 * append, so the second sees the first. Processes do not share the lock (two service instances on
 * EventStoreDB, the CLI beside the service): a payment in another process between this one's read
 * and its append can take the year over by at most the payments in flight there; the anomaly report
 * (OVER_BUDGET) shows any such year.
 */
export class BudgetKeeper {
  constructor(
    private readonly store: EventStore,
    private readonly readModels?: ReadModelsDatabase,
  ) {}

  /**
   * Runs `run` with the program-year's standing (undefined: no budget allocated, nothing to check),
   * holding the program-year's lock while it has a budget.
   */
  async withStanding<T>(programCode: string, fiscalYear: number, run: (standing: BudgetStanding | undefined) => Promise<T>): Promise<T> {
    if ((await this.store.readStream(budgetStreamId(programCode, fiscalYear))).length === 0) return run(undefined);
    return this.exclusively([lockName(programCode, fiscalYear)], async () => run(await this.standing(programCode, fiscalYear)));
  }

  /** The program-year's standing now, or undefined when it has no budget allocated. */
  async standing(programCode: string, fiscalYear: number): Promise<BudgetStanding | undefined> {
    const allocations = await this.store.readStream(budgetStreamId(programCode, fiscalYear));
    if (allocations.length === 0) return undefined;
    const allocated = Money.sum(allocations.map((stored) => Money.parse((currentEventOf(stored) as BudgetAllocated).data.amount)));
    return { programCode, fiscalYear, allocated, paid: await this.paid(programCode, fiscalYear) };
  }

  batch(): BudgetBatch {
    const years = new Map<string, { programCode: string; fiscalYear: number; rows: Array<{ row: number; amount: Money }> }>();
    const problems = async (): Promise<BudgetProblem[]> => {
      const found: BudgetProblem[] = [];
      for (const { programCode, fiscalYear, rows } of years.values()) {
        const standing = await this.standing(programCode, fiscalYear);
        if (!standing) continue;
        let paid = standing.paid;
        for (const { row, amount } of rows) {
          try {
            requireWithinBudget({ ...standing, paid }, amount);
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
            found.push({ row, code: error.code, message: `with the rows of ${programCode} for ${fiscalYear} before it: ${error.message}` });
            break;
          }
          paid = paid.plus(amount);
        }
      }
      return found;
    };
    return {
      add(row, event) {
        if (event.type !== 'DisbursementRecorded') return;
        const { data } = event as DisbursementRecorded;
        const fiscalYear = fiscalYearOf(data.valueDate as LocalDate);
        const name = lockName(data.programCode, fiscalYear);
        const year = years.get(name) ?? { programCode: data.programCode, fiscalYear, rows: [] };
        year.rows.push({ row, amount: Money.parse(data.amount) });
        years.set(name, year);
      },
      problems,
      appending: (append) =>
        this.exclusively([...years.keys()].sort(), async () => {
          const [problem] = await problems();
          if (problem) throw new DomainError(problem.code, 'rule', `row ${problem.row}: ${problem.message}`, 'amount');
          return append();
        }),
    };
  }

  /** Paid less reversed, for the program and fiscal year: the read model as far as it goes, then the log after it. */
  private async paid(programCode: string, fiscalYear: number): Promise<Money> {
    const projected = this.projectedPaid(programCode, fiscalYear);
    let fen = projected?.fen ?? 0n;
    for await (const page of readAllPages(this.store, projected?.position ?? 0n)) {
      for (const stored of page) fen += paymentFen(stored, programCode, fiscalYear);
    }
    return Money.fromFen(fen);
  }

  /** The program-totals read model's net paid and the log position it stands at, read together; undefined without one. */
  private projectedPaid(programCode: string, fiscalYear: number): { fen: bigint; position: bigint } | undefined {
    const db = this.readModels?.db;
    if (!db) return undefined;
    try {
      return db.transaction(() => {
        const checkpoint = db
          .prepare<[string], { version: number; position: string }>('SELECT version, position FROM checkpoints WHERE name = ?')
          .get(programTotalsProjection.name);
        // A file of another version of the projection (a CLI beside an older service) is not to be read.
        if (!checkpoint || Number(checkpoint.version) !== programTotalsProjection.version) return undefined;
        const fen = db
          .prepare<[string, number], bigint>('SELECT COALESCE(SUM(paid_fen - reversed_fen), 0) FROM aid_lines WHERE program_code = ? AND fiscal_year = ?')
          .pluck()
          .safeIntegers(true)
          .get(programCode, fiscalYear)!;
        return { fen: BigInt(fen), position: BigInt(checkpoint.position) };
      })();
    } catch (error) {
      if (/no such table/.test((error as Error).message)) return undefined; // read models not built yet: the log alone says it
      throw error;
    }
  }

  /** Takes the named locks in order (every holder takes them sorted: no deadlock), runs `run`, releases them. */
  private async exclusively<T>(names: string[], run: () => Promise<T>): Promise<T> {
    let locks = locksByStore.get(this.store);
    if (!locks) locksByStore.set(this.store, (locks = new Map()));
    const releases: Array<() => void> = [];
    try {
      for (const name of names) {
        const previous = locks.get(name) ?? Promise.resolve();
        let release!: () => void;
        const mine = new Promise<void>((resolve) => (release = resolve));
        const queue = previous.then(() => mine);
        locks.set(name, queue);
        releases.push(() => {
          release();
          if (locks!.get(name) === queue) locks!.delete(name);
        });
        await previous;
      }
      return await run();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }
}

/** What one stored event adds to (a payment) or takes from (a reversal) the program-year's net paid, in fen. */
function paymentFen(stored: StoredEvent, programCode: string, fiscalYear: number): bigint {
  if (stored.type === 'DisbursementRecorded') {
    const { data } = currentEventOf(stored) as DisbursementRecorded;
    return data.programCode === programCode && fiscalYearOf(data.valueDate as LocalDate) === fiscalYear ? Money.parse(data.amount).fen : 0n;
  }
  if (stored.type === 'DisbursementReversed') {
    const { data } = currentEventOf(stored) as DisbursementReversed;
    return data.programCode === programCode && fiscalYearOf(data.originalValueDate as LocalDate) === fiscalYear ? -Money.parse(data.amount).fen : 0n;
  }
  return 0n;
}
