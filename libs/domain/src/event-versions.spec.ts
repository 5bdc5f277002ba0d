import { EVENT_SCHEMA_VERSIONS, UnreadableEventVersion, currentEventOf } from './event-versions';

const reversalV1 = {
  disbursementId: 'd-1',
  beneficiary: { key: '654002201001010015' },
  schoolCode: '2165000001',
  stage: 'primary',
  programCode: 'BOARDING_LIVING_SUBSIDY',
  period: '2022-autumn',
  amount: '500.00',
  originalValueDate: '2022-10-20',
  reason: 'paid to the wrong card',
  valueDate: '2022-11-01',
};

describe('reading events of older schema versions', () => {
  it('given a version-1 reversal, when read, then it has the current shape with the reason code UNSPECIFIED, and the stored data is untouched', () => {
    const stored = { type: 'DisbursementReversed', schemaVersion: 1, data: structuredClone(reversalV1) };
    const event = currentEventOf(stored);
    expect(EVENT_SCHEMA_VERSIONS.DisbursementReversed).toBe(2);
    expect(event).toEqual({ type: 'DisbursementReversed', data: { ...reversalV1, reasonCode: 'UNSPECIFIED' } });
    expect(stored.data).toEqual(reversalV1);
  });

  it('given a current-version event, when read, then it is as stored', () => {
    const data = { ...reversalV1, reasonCode: 'WRONG_ACCOUNT' };
    expect(currentEventOf({ type: 'DisbursementReversed', schemaVersion: 2, data })).toEqual({ type: 'DisbursementReversed', data });
  });

  it('given a version newer than this release knows, or no version, when read, then it is refused by name', () => {
    expect(() => currentEventOf({ type: 'DisbursementReversed', schemaVersion: 3, data: reversalV1 })).toThrow(UnreadableEventVersion);
    expect(() => currentEventOf({ type: 'DisbursementRecorded', schemaVersion: 0, data: {} })).toThrow(/DisbursementRecorded version 0 cannot be read: this release reads versions 1 to 1/);
  });

  it('given a type that is not a ledger event (a signed digest), when read, then it is none of ours', () => {
    expect(currentEventOf({ type: 'LogDigestSigned', schemaVersion: 1, data: {} })).toBeUndefined();
  });
});
