import { firstRecordedAt } from '@ledger/event-store';
import { migratedMetadataOf } from '../write-pipeline';

const old = {
  actor: { id: 'officer', role: 'finance_officer' },
  correlationId: 'c-1',
  causationId: 'r-1',
  idempotencyKey: 'k-1',
  requestHash: 'plain-hash',
  via: { channel: 'cli', osUser: 'li', host: 'h' },
  integrity: { v: 1, previous: null, hash: 'old-chain-hash' },
};

describe('the metadata of an event copied from another log', () => {
  it('given an old event, when copied, then it keeps what it recorded, its request hash rekeyed, its old place last, and no old chain link', () => {
    const metadata = migratedMetadataOf(old, { position: '17', recordedAt: '2022-10-20T02:00:00.000Z' }, (hash) => `keyed(${hash})`);
    expect(metadata).toEqual({
      actor: old.actor,
      correlationId: 'c-1',
      causationId: 'r-1',
      idempotencyKey: 'k-1',
      requestHash: 'keyed(plain-hash)',
      via: old.via,
      migratedFrom: { position: '17', recordedAt: '2022-10-20T02:00:00.000Z' },
    });
    expect(Object.keys(metadata)).toEqual(['actor', 'correlationId', 'causationId', 'idempotencyKey', 'requestHash', 'via', 'migratedFrom']);
  });

  it('given an old event without a request hash (a digest, a first start), when copied, then none is made up', () => {
    expect(migratedMetadataOf({ actor: old.actor }, { position: '1', recordedAt: 'x' }, () => 'never')).toEqual({ actor: old.actor, migratedFrom: { position: '1', recordedAt: 'x' } });
  });

  it('given a copied event, when asked when it was recorded, then the old log’s time; any other event, the store’s', () => {
    expect(firstRecordedAt({ recordedAt: '2026-12-02T04:00:00.000Z', metadata: { migratedFrom: { position: '3', recordedAt: '2022-10-20T02:00:00.000Z' } } })).toBe('2022-10-20T02:00:00.000Z');
    expect(firstRecordedAt({ recordedAt: '2026-12-02T04:00:00.000Z', metadata: {} })).toBe('2026-12-02T04:00:00.000Z');
  });
});
