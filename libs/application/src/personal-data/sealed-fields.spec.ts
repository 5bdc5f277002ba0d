import { SEALED_FIELDS, mapSealedFields } from './sealed-fields';

const payment = {
  disbursementId: 'd-1',
  beneficiary: { key: 's0123456789abcdefghjkmnpqr', residentId: '654002201001010015', studentNumber: 'G654002201001010015', name: '阿依古丽' },
  schoolCode: '3165000001',
  stage: 'primary',
  programCode: 'BOARDING_SUBSIDY',
  period: '2022-autumn',
  amount: '625.00',
  payee: { type: 'student', account: '6222020200112233', name: '阿依古丽的母亲' },
  valueDate: '2022-10-15',
  budgetOverride: { reason: '阿依古丽 家庭困难' },
};

describe('the personal fields of a student event', () => {
  it('given a payment, when its fields are mapped, then exactly the personal ones are transformed, each with its path', () => {
    const seen: string[] = [];
    const mapped = mapSealedFields(payment, (value, path) => {
      seen.push(path);
      return `<${value}>`;
    }) as typeof payment;
    expect(seen).toEqual(['beneficiary.residentId', 'beneficiary.studentNumber', 'beneficiary.name', 'payee.account', 'payee.name', 'budgetOverride.reason']);
    expect(mapped.beneficiary).toEqual({ key: payment.beneficiary.key, residentId: '<654002201001010015>', studentNumber: '<G654002201001010015>', name: '<阿依古丽>' });
    expect(mapped.payee).toEqual({ type: 'student', account: '<6222020200112233>', name: '<阿依古丽的母亲>' });
    expect(mapped.budgetOverride).toEqual({ reason: '<阿依古丽 家庭困难>' });
    // Everything a total needs stays as it was.
    expect({ ...mapped, beneficiary: undefined, payee: undefined, budgetOverride: undefined }).toEqual({ ...payment, beneficiary: undefined, payee: undefined, budgetOverride: undefined });
  });

  it('given a payment, when its fields are mapped, then the original is not changed', () => {
    const before = JSON.stringify(payment);
    mapSealedFields(payment, (value) => value.toUpperCase() + '!');
    expect(JSON.stringify(payment)).toBe(before);
  });

  it('given a reversal, when mapped, then its top-level reason is personal too', () => {
    const reversal = { disbursementId: 'd-1', beneficiary: { key: 'k' }, reason: 'paid to 阿依古丽 twice', reasonCode: 'DUPLICATE_PAYMENT' };
    expect(mapSealedFields(reversal, () => 'sealed')).toEqual({ ...reversal, reason: 'sealed' });
  });

  it('given a transform that answers undefined, when mapped, then the field is left out', () => {
    expect(mapSealedFields({ beneficiary: { key: 'k', name: 'x' } }, () => undefined)).toEqual({ beneficiary: { key: 'k' } });
  });

  it('given data with none of the fields, when mapped, then the same object comes back', () => {
    const budget = { programCode: 'X', fiscalYear: 2022, amount: '1.00' };
    expect(mapSealedFields(budget, () => 'never')).toBe(budget);
  });

  it('lists every personal field once', () => {
    expect(new Set(SEALED_FIELDS.map((path) => path.join('.'))).size).toBe(SEALED_FIELDS.length);
  });
});
