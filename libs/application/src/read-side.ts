import { Inject, Injectable, Optional } from '@nestjs/common';
import type Database from 'better-sqlite3';
import { EventStore, StoreUnavailableError } from '@ledger/event-store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_PROJECTIONS, Projection, ReadModels, ReplayLimit, replayReadModels } from '@ledger/projections';
import { EVENT_STORE, READ_MODELS, SETTINGS } from './tokens';
import { Settings } from './settings';

export class ReadModelsBehind extends StoreUnavailableError {
  constructor() {
    super('the read models are still catching up with the log; retry shortly');
  }
}

/**
 * Reads are consistent with every write acknowledged before the read began: a query first waits
 * (briefly) for the projections to reach the log head as it stood when the query arrived. In the CLI
 * the read models are the service's file opened read-only: read as they are, never waited for.
 */
@Injectable()
export class ReadSide {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Optional() @Inject(READ_MODELS) private readonly models: ReadModels,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  async current(): Promise<Database.Database> {
    if (!this.models) throw new Error('the read models are not open in this process (a data directory the service has not run on yet has none: start the service once, it builds them)');
    if (typeof this.models.waitFor !== 'function') return this.models.db;
    const head = await this.store.headPosition();
    try {
      await this.models.waitFor(head, this.settings.readWaitMs);
    } catch {
      throw new ReadModelsBehind();
    }
    return this.models.db;
  }

  /**
   * Answers a question on read models rebuilt by replay for a point in time: valued up to a day,
   * as recorded by a day or a position, or both (see ReplayLimit).
   */
  async asOf<T>(
    limit: ReplayLimit,
    question: (db: Database.Database) => T,
    projections: readonly Projection[] = ALL_PROJECTIONS,
    onProgress?: (events: number) => void,
  ): Promise<{ answer: T; events: number; valuedLater: number; lastPosition: bigint }> {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-as-of-'));
    try {
      const replay = await replayReadModels(this.store, join(dir, 'read-models.sqlite'), projections, limit, onProgress);
      try {
        return { answer: question(replay.models.db), events: replay.events, valuedLater: replay.valuedLater, lastPosition: replay.lastPosition };
      } finally {
        await replay.models.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private readonly memo = new Map<string, { position: bigint; answer: unknown }>();

  /**
   * Answers a question on the current read models, remembering the answer until the read models
   * move: the same totals asked a hundred times between two writes are computed once.
   */
  async remembered<T>(key: string, question: (db: Database.Database) => T): Promise<T> {
    const db = await this.current();
    const position = this.models.checkpoint;
    const known = this.memo.get(key);
    if (known && known.position === position) return known.answer as T;
    const answer = question(db);
    if (this.memo.size >= 200) this.memo.delete(this.memo.keys().next().value!);
    this.memo.set(key, { position, answer });
    return answer;
  }

  get checkpoint(): bigint {
    return this.models.checkpoint;
  }
}
