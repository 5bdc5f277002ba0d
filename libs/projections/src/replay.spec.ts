import { AidEvent } from '@ledger/domain';
import { valueDateOf } from './replay';

const line = { beneficiary: { key: '654002201001010015' }, schoolCode: '2165000001', stage: 'primary' as const, programCode: 'BOARDING_LIVING_SUBSIDY', period: '2022-autumn', amount: '500.00' };
const reversal = (valueDate: string, originalValueDate: string): AidEvent => ({
  type: 'DisbursementReversed',
  data: { ...line, disbursementId: 'd-1', originalValueDate, reason: 'wrong card', reasonCode: 'WRONG_ACCOUNT', valueDate },
});

describe('the day an aid event counts from in "valued up to"', () => {
  it('is a reversal’s own value date once its payment was valued', () => {
    expect(valueDateOf(reversal('2022-11-02', '2022-10-20'))).toBe('2022-11-02');
  });

  it('is never before the payment it reverses (reversals recorded before the rule refused them)', () => {
    expect(valueDateOf(reversal('2022-10-10', '2022-10-20'))).toBe('2022-10-20');
  });

  it('is the approval date for an approval, and none for an identifier link (it always counts)', () => {
    expect(valueDateOf({ type: 'AidApproved', data: { ...line, approvalId: 'a-1', approvedOn: '2022-09-15' } })).toBe('2022-09-15');
    expect(valueDateOf({ type: 'StudentIdentifierLinked', data: { identifier: { studentNumber: 'J654002201001010090' }, beneficiary: { key: '654002201001010103' } } })).toBeUndefined();
  });
});
