import { LedgerEvent, LedgerEventType } from './ledger-events';

/**
 * Event schema evolution in one place. Every stored event carries the schema version of its type
 * it was written with; the stored bytes are never rewritten (they are hashed into the chain and
 * the Merkle log). Readers turn an old version into the current shape here, one step at a time,
 * before deciding or projecting — so replay, projections and commands all see one shape.
 *
 * To change an event's shape:
 *   1. change its type (e.g. `beneficiary.events.ts`) and the code that writes it;
 *   2. raise its number in EVENT_SCHEMA_VERSIONS;
 *   3. add an upcaster from the previous version below — a pure function of the old data, with
 *      a default for what old events did not record (never a guess dressed as a fact);
 *   4. add a case to `event-versions.spec.ts` with a stored old event.
 */
export const EVENT_SCHEMA_VERSIONS: Readonly<Record<LedgerEventType, number>> = {
  AidApproved: 1,
  DisbursementRecorded: 1,
  // 2: a reason code beside the free-text reason (version 1 had only the text).
  DisbursementReversed: 2,
  LoanDisbursed: 1,
  LoanRepaymentRecorded: 1,
  StudentIdentifierLinked: 1,
  StudentDataErased: 1,
  StudentPlacedOnLegalHold: 1,
  StudentLegalHoldLifted: 1,
  BudgetAllocated: 1,
  UserAdded: 1,
  UserRoleChanged: 1,
  UserDisabled: 1,
  TokenIssued: 1,
  TokenRevoked: 1,
  PersonalDataDisclosed: 1,
};

/**
 * Schema versions of the log's records that are not aid events (no decider folds them, projections
 * pass over them): an import batch's statement, a signed digest, the demo ledger's mark, the link
 * of a migrated ledger to the log it was copied from.
 */
export const RECORD_SCHEMA_VERSIONS = {
  PaymentListImported: 1,
  LogDigestSigned: 1,
  DemoLedgerMarked: 1,
  LedgerMigrated: 1,
} as const;

export type RecordType = keyof typeof RECORD_SCHEMA_VERSIONS;

/** The schema version an event of this type is written with now. */
export function schemaVersionOf(type: LedgerEventType | RecordType): number {
  return (EVENT_SCHEMA_VERSIONS as Record<string, number>)[type] ?? RECORD_SCHEMA_VERSIONS[type as RecordType];
}

type Data = Record<string, unknown>;
/** `UPCASTERS[type][n]` turns version n's data into version n + 1's. */
const UPCASTERS: Partial<Record<LedgerEventType, Record<number, (data: Data) => Data>>> = {
  DisbursementReversed: {
    1: (data) => ({ ...data, reasonCode: 'UNSPECIFIED' }),
  },
};

/** An event whose schema version this code cannot read (written by a newer release, or corrupt). */
export class UnreadableEventVersion extends Error {
  constructor(type: string, version: number, current: number) {
    super(`event type ${type} version ${version} cannot be read: this release reads versions 1 to ${current}`);
    this.name = 'UnreadableEventVersion';
  }
}

export const isLedgerEventType = (type: string): type is LedgerEventType => Object.hasOwn(EVENT_SCHEMA_VERSIONS, type);

/**
 * The event in its current shape, or undefined for a type that is not a ledger event (e.g. a
 * signed log digest). `stored` is left as it was.
 */
export function currentEventOf(stored: { type: string; schemaVersion: number; data: unknown }): LedgerEvent | undefined {
  if (!isLedgerEventType(stored.type)) return undefined;
  const current = EVENT_SCHEMA_VERSIONS[stored.type];
  if (!Number.isInteger(stored.schemaVersion) || stored.schemaVersion < 1 || stored.schemaVersion > current) {
    throw new UnreadableEventVersion(stored.type, stored.schemaVersion, current);
  }
  let data = stored.data as Data;
  for (let version = stored.schemaVersion; version < current; version++) {
    const step = UPCASTERS[stored.type]?.[version];
    if (!step) throw new UnreadableEventVersion(stored.type, version, current);
    data = step(data);
  }
  return { type: stored.type, data } as LedgerEvent;
}
