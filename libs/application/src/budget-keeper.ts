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
  /** Checks the batch again, counting this process's payments in flight, and runs `append` if it fits (see BudgetKeeper). */
  appending<T>(append: () => Promise<T>): Promise<T>;
}

/** A payment (or an import's payments) of one program-year on its way to the log, counted by the ones after it until it settles. */
interface Claim {
  readonly fen: bigint;
  readonly settled: Promise<void>;
}

// Open claims per event store and program-year, in the order they were made (a Set keeps it), shared
// by every keeper of one process over one store.
const claimsByStore = new WeakMap<object, Map<string, Set<Claim>>>();

const claimName = (programCode: string, fiscalYear: number) => `${programCode}|${fiscalYear}`;
const CANONICAL_AMOUNT = /^\d+\.\d\d$/;

/**
 * What a program was allocated and has paid for a fiscal year, for the budget rule
 * (requireWithinBudget). Allocated: summed from the budget's own stream. Paid (net of reversals,
 * each netted against its payment's year): the program-totals read model as far as it has applied
 * the log, plus the events of the log after that — so it is exact whether or not the read models
 * are up to date, or there at all (the CLI).
 *
 * Two payments of one program and year racing for the last yuan: within one process, each payment
 * of a budgeted program-year first claims its amount, then is decided as if every claim made before
 * it and still open will be recorded. If that fits, it goes ahead at once (payments far from the
 * limit are never held up); if not, and earlier claims are open, it waits until they settle and
 * decides on what they did. So no two can both take the last yuan, and none is refused for a payment
 * that failed. Processes share no claims (two service instances on EventStoreDB, the CLI beside the
 * service): a payment recorded by another process between this one's read and its append can take
 * the year over by at most what that process records meanwhile; the anomaly report (OVER_BUDGET)
 * shows such a year.
 */
export class BudgetKeeper {
  constructor(
    private readonly store: EventStore,
    private readonly readModels?: ReadModelsDatabase,
  ) {}

  /**
   * Runs `run` with the program-year's standing (undefined: no budget allocated, nothing to check):
   * what is paid, counting this process's earlier payments of that program-year still in flight.
   */
  async withStanding<T>(programCode: string, fiscalYear: number, amount: Money, run: (standing: BudgetStanding | undefined) => Promise<T>): Promise<T> {
    if ((await this.store.readStream(budgetStreamId(programCode, fiscalYear))).length === 0) return run(undefined);
    return this.claiming(
      [{ programCode, fiscalYear, amount }],
      ([standing]) => standing === undefined || !standing.paid.plus(amount).greaterThan(standing.allocated),
      ([standing]) => run(standing),
    );
  }

  /** The program-year's standing now, or undefined when it has no budget allocated. */
  async standing(programCode: string, fiscalYear: number): Promise<BudgetStanding | undefined> {
    const allocations = await this.store.readStream(budgetStreamId(programCode, fiscalYear));
    if (allocations.length === 0) return undefined;
    const allocated = Money.sum(allocations.map((stored) => Money.parse((currentEventOf(stored) as BudgetAllocated).data.amount)));
    return { programCode, fiscalYear, allocated, paid: await this.paid(programCode, fiscalYear) };
  }

  batch(): BudgetBatch {
    const years = new Map<string, { programCode: string; fiscalYear: number; rows: Array<{ row: number; fen: bigint }>; fen: bigint }>();
    const list = () => [...years.values()];
    /** The first row over budget of each program-year, given each one's standing (in the order of `list()`). */
    const problemsWith = (standings: ReadonlyArray<BudgetStanding | undefined>): BudgetProblem[] => {
      const found: BudgetProblem[] = [];
      list().forEach(({ programCode, fiscalYear, rows }, i) => {
        const standing = standings[i];
        if (!standing) return;
        let paid = standing.paid;
        for (const { row, fen } of rows) {
          const amount = Money.fromFen(fen);
          try {
            requireWithinBudget({ ...standing, paid }, amount);
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
            found.push({ row, code: error.code, message: `with the rows of ${programCode} for ${fiscalYear} before it: ${error.message}` });
            return;
          }
          paid = paid.plus(amount);
        }
      });
      return found;
    };
    return {
      add(row, event) {
        if (event.type !== 'DisbursementRecorded') return;
        const { data } = event as DisbursementRecorded;
        const fiscalYear = fiscalYearOf(data.valueDate as LocalDate);
        const name = claimName(data.programCode, fiscalYear);
        let year = years.get(name);
        if (!year) years.set(name, (year = { programCode: data.programCode, fiscalYear, rows: [], fen: 0n }));
        // Amounts as the decider writes them ("500.00"): read as fen without decimal.js (an import adds one a row).
        const fen = CANONICAL_AMOUNT.test(data.amount) ? BigInt(data.amount.replace('.', '')) : Money.parse(data.amount).fen;
        year.rows.push({ row, fen });
        year.fen += fen;
      },
      problems: async () => problemsWith(await Promise.all(list().map(({ programCode, fiscalYear }) => this.standing(programCode, fiscalYear)))),
      appending: (append) =>
        this.claiming(
          list().map(({ programCode, fiscalYear, fen }) => ({ programCode, fiscalYear, amount: Money.fromFen(fen) })),
          (standings) => problemsWith(standings).length === 0,
          async (standings) => {
            const [problem] = problemsWith(standings);
            if (problem) throw new DomainError(problem.code, 'rule', `row ${problem.row}: ${problem.message}`, 'amount');
            return append();
          },
        ),
    };
  }

  /**
   * Claims the amounts, then runs `run` with each program-year's standing counting the earlier open
   * claims as paid — at once when `fits` says that fits or no earlier claim is open, else after the
   * earlier claims settle (looked at again then). The claims settle when `run` ends, however it ends.
   */
  private async claiming<T>(
    spending: ReadonlyArray<{ programCode: string; fiscalYear: number; amount: Money }>,
    fits: (standings: ReadonlyArray<BudgetStanding | undefined>) => boolean,
    run: (standings: ReadonlyArray<BudgetStanding | undefined>) => Promise<T>,
  ): Promise<T> {
    let byName = claimsByStore.get(this.store);
    if (!byName) claimsByStore.set(this.store, (byName = new Map()));
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const mine = spending.map(({ programCode, fiscalYear, amount }) => {
      const name = claimName(programCode, fiscalYear);
      const open = byName!.get(name) ?? new Set<Claim>();
      byName!.set(name, open);
      const claim: Claim = { fen: amount.fen, settled };
      open.add(claim);
      return { programCode, fiscalYear, open, claim };
    });
    try {
      for (;;) {
        // The earlier claims are taken before what is paid is read: one that settles in between is counted twice (and waited for), never missed.
        const earlier = mine.map(({ open, claim }) => {
          const before: Claim[] = [];
          for (const other of open) {
            if (other === claim) break;
            before.push(other);
          }
          return before;
        });
        const standings = await Promise.all(
          mine.map(async ({ programCode, fiscalYear }, i) => {
            const standing = await this.standing(programCode, fiscalYear);
            const inFlight = earlier[i].reduce((sum, other) => sum + other.fen, 0n);
            return standing && { ...standing, paid: standing.paid.plus(Money.fromFen(inFlight)) };
          }),
        );
        if (earlier.every((before) => before.length === 0) || fits(standings)) return await run(standings);
        await Promise.all(earlier.flat().map((other) => other.settled));
      }
    } finally {
      for (const { open, claim } of mine) open.delete(claim);
      settle();
    }
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
