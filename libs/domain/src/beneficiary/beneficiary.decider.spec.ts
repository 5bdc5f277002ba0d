import { deciderSpecification } from '../testing/decider-specification';
import { shippedCatalog } from '../testing/catalog.fixture';
import { beneficiaryDecider } from './beneficiary.decider';
import {
  parseApproveAid,
  parseRecordDisbursement,
  parseRecordLoanDisbursement,
  parseRecordLoanRepayment,
  parseReverseDisbursement,
} from './beneficiary.commands';
import { BeneficiaryEvent } from './beneficiary.events';

const spec = deciderSpecification(beneficiaryDecider, { catalog: shippedCatalog() });

const student = { residentId: '654002201001010015' };
const beneficiary = { key: '654002201001010015', residentId: '654002201001010015' };

const pay = (overrides: Record<string, unknown> = {}) =>
  parseRecordDisbursement({
    disbursementId: 'd-1',
    student,
    schoolCode: '2165000001',
    stage: 'primary',
    programCode: 'BOARDING_LIVING_SUBSIDY',
    period: '2022-autumn',
    amount: '500.00',
    payee: { type: 'student' },
    valueDate: '2022-10-20',
    ...overrides,
  });

/** The event `pay(overrides)` records on an empty record. */
const paid = (overrides: Record<string, unknown> = {}): BeneficiaryEvent =>
  beneficiaryDecider.decide(pay(overrides), beneficiaryDecider.initialState(), { catalog: shippedCatalog() })[0];

const lend = (overrides: Record<string, unknown> = {}) =>
  parseRecordLoanDisbursement({
    loanId: 'loan-2022',
    student,
    schoolCode: '4165010001',
    stage: 'undergraduate',
    programCode: 'ORIGIN_CREDIT_LOAN',
    period: '2022-2023',
    amount: '12000.00',
    payee: { type: 'university_fee_account', name: 'Xinjiang University' },
    valueDate: '2022-09-20',
    ...overrides,
  });

const lent = (overrides: Record<string, unknown> = {}): BeneficiaryEvent =>
  beneficiaryDecider.decide(lend(overrides), beneficiaryDecider.initialState(), { catalog: shippedCatalog() })[0];

describe('recording a disbursement', () => {
  it('records a payment at the standard', () => {
    spec.given([]).when(pay()).then([
      {
        type: 'DisbursementRecorded',
        data: {
          disbursementId: 'd-1',
          beneficiary,
          schoolCode: '2165000001',
          stage: 'primary',
          programCode: 'BOARDING_LIVING_SUBSIDY',
          period: '2022-autumn',
          amount: '500.00',
          payee: { type: 'student' },
          valueDate: '2022-10-20',
        },
      },
    ]);
  });

  it('accepts the half-yuan non-boarding junior rate of ¥312.50', () => {
    const event = paid({ programCode: 'NON_BOARDING_LIVING_SUBSIDY', stage: 'junior', amount: '312.5' });
    expect(event.data).toMatchObject({ amount: '312.50' });
  });

  it('refuses a zero amount', () => {
    spec.given([]).when(pay({ amount: '0.00' })).thenFails('AMOUNT_NOT_POSITIVE', 'amount');
  });

  it('refuses an amount off a fixed standard', () => {
    spec.given([]).when(pay({ amount: '625.00' })).thenFails('AMOUNT_OFF_STANDARD', 'amount');
  });

  it('refuses an amount that is not one of the tiers', () => {
    spec
      .given([])
      .when(pay({ programCode: 'SENIOR_NATIONAL_GRANT', stage: 'senior', amount: '1200.00', schoolCode: '3465000001' }))
      .thenFails('AMOUNT_OFF_STANDARD', 'amount');
  });

  it('refuses an amount over a cap', () => {
    spec.given([]).when(pay({ programCode: 'NUTRITION_IMPROVEMENT', amount: '500.01', payee: { type: 'canteen' } })).thenFails('AMOUNT_OVER_CAP', 'amount');
  });

  it('uses the standard in force for the period, not today’s', () => {
    spec.given([]).when(pay({ programCode: 'NUTRITION_IMPROVEMENT', period: '2021-spring', amount: '450.00', payee: { type: 'canteen' } })).thenFails('AMOUNT_OVER_CAP');
    expect(paid({ programCode: 'NUTRITION_IMPROVEMENT', period: '2021-autumn', amount: '450.00', payee: { type: 'canteen' } }).type).toBe('DisbursementRecorded');
  });

  it('refuses an unknown program', () => {
    spec.given([]).when(pay({ programCode: 'FREE_LUNCH' })).thenFails('PROGRAM_UNKNOWN', 'programCode');
  });

  it('refuses a period before the program opened', () => {
    spec.given([]).when(pay({ programCode: 'NON_BOARDING_LIVING_SUBSIDY', amount: '250.00', period: '2018-autumn' })).thenFails('PROGRAM_NOT_OPEN', 'period');
  });

  it('refuses a school year for a program paid per term', () => {
    spec.given([]).when(pay({ period: '2022-2023' })).thenFails('PERIOD_BASIS_MISMATCH', 'period');
  });

  it('refuses a stage the program is not for', () => {
    spec.given([]).when(pay({ stage: 'senior' })).thenFails('STAGE_NOT_ELIGIBLE', 'stage');
  });

  it('refuses cash to students for the nutrition plan: it pays the canteen', () => {
    spec.given([]).when(pay({ programCode: 'NUTRITION_IMPROVEMENT', amount: '400.00' })).thenFails('PAYEE_NOT_ALLOWED', 'payee.type');
  });

  it('refuses a funding source the program does not have', () => {
    spec.given([]).when(pay({ fundingSource: 'BANK' })).thenFails('FUNDING_SOURCE_UNKNOWN', 'fundingSource');
  });

  it('refuses a loan program on the disbursement command', () => {
    spec.given([]).when(pay({ programCode: 'ORIGIN_CREDIT_LOAN', stage: 'undergraduate', period: '2022-2023' })).thenFails('LOAN_PROGRAM_NEEDS_LOAN_COMMAND');
  });

  it('refuses a second payment of the same program for the same period', () => {
    spec.given([paid()]).when(pay({ disbursementId: 'd-2' })).thenFails('DUPLICATE_PAYMENT', 'period');
  });

  it('pays the same program again for another period', () => {
    const event = beneficiaryDecider.decide(pay({ disbursementId: 'd-2', period: '2023-spring' }), beneficiaryDecider.evolve(beneficiaryDecider.initialState(), paid()), {
      catalog: shippedCatalog(),
    });
    expect(event).toHaveLength(1);
  });

  it('pays again once the first payment was reversed', () => {
    const reversal = beneficiaryDecider.decide(
      parseReverseDisbursement({ student, disbursementId: 'd-1', reason: 'wrong card', valueDate: '2022-11-01' }),
      beneficiaryDecider.evolve(beneficiaryDecider.initialState(), paid()),
      { catalog: shippedCatalog() },
    );
    spec.given([paid(), ...reversal]).when(pay({ disbursementId: 'd-2' })).then([paid({ disbursementId: 'd-2' })]);
  });

  it('refuses mutually exclusive programs for the same student and term', () => {
    spec
      .given([paid()])
      .when(pay({ disbursementId: 'd-2', programCode: 'NON_BOARDING_LIVING_SUBSIDY', amount: '250.00' }))
      .thenFails('MUTUALLY_EXCLUSIVE_PROGRAMS', 'programCode');
  });

  it('allows exclusive programs in different terms (boarding is a per-term fact)', () => {
    spec
      .given([paid()])
      .when(pay({ disbursementId: 'd-2', programCode: 'NON_BOARDING_LIVING_SUBSIDY', amount: '250.00', period: '2023-spring' }))
      .then([paid({ disbursementId: 'd-2', programCode: 'NON_BOARDING_LIVING_SUBSIDY', amount: '250.00', period: '2023-spring' })]);
  });

  it('allows combinable programs in the same term', () => {
    spec
      .given([paid()])
      .when(pay({ disbursementId: 'd-2', programCode: 'NUTRITION_IMPROVEMENT', amount: '500.00', payee: { type: 'canteen' } }))
      .then([paid({ disbursementId: 'd-2', programCode: 'NUTRITION_IMPROVEMENT', amount: '500.00', payee: { type: 'canteen' } })]);
  });

  it('records nothing when the same payment is submitted again (idempotent by id)', () => {
    spec.given([paid()]).when(pay()).thenNothingHappens();
  });

  it('refuses the same payment id with other content', () => {
    spec.given([paid()]).when(pay({ period: '2023-spring' })).thenFails('ID_ALREADY_USED');
  });

  it('settles an approval only of the same program and period', () => {
    const approval = beneficiaryDecider.decide(
      parseApproveAid({ approvalId: 'a-1', student, schoolCode: '2165000001', stage: 'primary', programCode: 'BOARDING_LIVING_SUBSIDY', period: '2022-autumn', amount: '500.00', approvedOn: '2022-09-10' }),
      beneficiaryDecider.initialState(),
      { catalog: shippedCatalog() },
    );
    const settled = paid();
    spec.given(approval).when(pay({ approvalId: 'a-1' })).then([{ ...settled, data: { ...settled.data, approvalId: 'a-1' } } as BeneficiaryEvent]);
    spec.given(approval).when(pay({ approvalId: 'a-1', period: '2023-spring' })).thenFails('APPROVAL_NOT_FOUND', 'approvalId');
  });
});

describe('approving aid (拟享受)', () => {
  const approve = (overrides: Record<string, unknown> = {}) =>
    parseApproveAid({
      approvalId: 'a-1',
      student,
      schoolCode: '2165000001',
      stage: 'junior',
      programCode: 'NON_BOARDING_LIVING_SUBSIDY',
      period: '2022-autumn',
      amount: '312.50',
      approvedOn: '2022-09-10',
      ...overrides,
    });
  const approved = (overrides: Record<string, unknown> = {}) =>
    beneficiaryDecider.decide(approve(overrides), beneficiaryDecider.initialState(), { catalog: shippedCatalog() })[0];

  it('records an approval within the standard', () => {
    expect(approved()).toEqual({
      type: 'AidApproved',
      data: expect.objectContaining({ approvalId: 'a-1', amount: '312.50', approvedOn: '2022-09-10' }),
    });
  });

  it('refuses a second approval of the same program and period', () => {
    spec.given([approved()]).when(approve({ approvalId: 'a-2' })).thenFails('DUPLICATE_APPROVAL');
  });

  it('refuses approving an exclusive program for the same term', () => {
    spec
      .given([approved()])
      .when(approve({ approvalId: 'a-2', programCode: 'BOARDING_LIVING_SUBSIDY', amount: '625.00' }))
      .thenFails('MUTUALLY_EXCLUSIVE_PROGRAMS');
  });

  it('checks the standard like a payment', () => {
    spec.given([]).when(approve({ amount: '312.49' })).thenFails('AMOUNT_OFF_STANDARD');
  });
});

describe('reversing a disbursement', () => {
  const reverse = (overrides: Record<string, unknown> = {}) =>
    parseReverseDisbursement({ student, disbursementId: 'd-1', reason: 'paid to the wrong card', valueDate: '2022-11-01', ...overrides });

  it('reverses a payment, keeping its line and naming the reason', () => {
    spec.given([paid()]).when(reverse()).then([
      {
        type: 'DisbursementReversed',
        data: {
          disbursementId: 'd-1',
          beneficiary,
          schoolCode: '2165000001',
          stage: 'primary',
          programCode: 'BOARDING_LIVING_SUBSIDY',
          period: '2022-autumn',
          amount: '500.00',
          originalValueDate: '2022-10-20',
          reason: 'paid to the wrong card',
          reasonCode: 'UNSPECIFIED',
          valueDate: '2022-11-01',
        },
      },
    ]);
  });

  it('records the reason code given, and refuses one outside the list', () => {
    const [reversal] = beneficiaryDecider.decide(reverse({ reasonCode: 'WRONG_ACCOUNT' }), beneficiaryDecider.evolve(beneficiaryDecider.initialState(), paid()), { catalog: shippedCatalog() });
    expect(reversal.data).toMatchObject({ reason: 'paid to the wrong card', reasonCode: 'WRONG_ACCOUNT' });
    expect(() => reverse({ reasonCode: 'BECAUSE' })).toThrow(expect.objectContaining({ code: 'FIELD_INVALID', field: 'reasonCode' }));
  });

  it('refuses to reverse a payment that does not exist', () => {
    spec.given([]).when(reverse()).thenFails('DISBURSEMENT_NOT_FOUND', 'disbursementId');
  });

  it('refuses to reverse a payment twice', () => {
    const [reversal] = beneficiaryDecider.decide(reverse(), beneficiaryDecider.evolve(beneficiaryDecider.initialState(), paid()), { catalog: shippedCatalog() });
    spec.given([paid(), reversal]).when(reverse({ reason: 'again' })).thenFails('DISBURSEMENT_ALREADY_REVERSED');
  });

  it('needs a reason', () => {
    expect(() => reverse({ reason: '  ' })).toThrow(/reason is required/);
  });
});

describe('loans', () => {
  const repay = (overrides: Record<string, unknown> = {}) =>
    parseRecordLoanRepayment({ student, repaymentId: 'r-1', loanId: 'loan-2022', amount: '2000.00', valueDate: '2027-12-20', ...overrides });
  const repaid = (overrides: Record<string, unknown> = {}) => {
    const state = beneficiaryDecider.evolve(beneficiaryDecider.initialState(), lent());
    return beneficiaryDecider.decide(repay(overrides), state, { catalog: shippedCatalog() })[0];
  };

  it('records a loan within the yearly cap, paid to the fee account', () => {
    expect(lent()).toMatchObject({ type: 'LoanDisbursed', data: { amount: '12000.00', payee: { type: 'university_fee_account' } } });
  });

  it('refuses a loan above the yearly cap for the level', () => {
    spec.given([]).when(lend({ amount: '12000.01' })).thenFails('LOAN_OVER_YEARLY_CAP', 'amount');
  });

  it('allows the higher postgraduate cap', () => {
    expect(lent({ stage: 'postgraduate', amount: '16000.00' }).type).toBe('LoanDisbursed');
  });

  it('counts earlier loans of the same school year against the cap', () => {
    spec.given([lent({ amount: '8000.00' })]).when(lend({ loanId: 'loan-2022b', amount: '4000.01' })).thenFails('LOAN_OVER_YEARLY_CAP');
    spec.given([lent({ amount: '8000.00' })]).when(lend({ loanId: 'loan-2022b', amount: '4000.00' })).then([lent({ loanId: 'loan-2022b', amount: '4000.00' })]);
  });

  it('starts a new cap each school year', () => {
    spec.given([lent()]).when(lend({ loanId: 'loan-2023', period: '2023-2024', valueDate: '2023-09-20' })).then([lent({ loanId: 'loan-2023', period: '2023-2024', valueDate: '2023-09-20' })]);
  });

  it('refuses a loan paid to the student instead of the university', () => {
    spec.given([]).when(lend({ payee: { type: 'student' } })).thenFails('PAYEE_NOT_ALLOWED');
  });

  it('refuses a grant on the loan command', () => {
    spec.given([]).when(lend({ programCode: 'YULU_PLAN', stage: 'higher_vocational', amount: '3000.00' })).thenFails('NOT_A_LOAN_PROGRAM');
  });

  it('records a repayment up to what is outstanding', () => {
    spec.given([lent()]).when(repay()).then([
      {
        type: 'LoanRepaymentRecorded',
        data: { repaymentId: 'r-1', loanId: 'loan-2022', beneficiary, programCode: 'ORIGIN_CREDIT_LOAN', amount: '2000.00', valueDate: '2027-12-20' },
      },
    ]);
  });

  it('refuses a repayment above what is outstanding', () => {
    spec.given([lent(), repaid({ amount: '10000.00' })]).when(repay({ repaymentId: 'r-2', amount: '2000.01' })).thenFails('REPAYMENT_EXCEEDS_OUTSTANDING', 'amount');
    spec.given([lent(), repaid({ amount: '10000.00' })]).when(repay({ repaymentId: 'r-2', amount: '2000.00' })).then([repaid({ repaymentId: 'r-2', amount: '2000.00' })]);
  });

  it('records nothing when the same repayment comes again, and refuses its id with another amount', () => {
    spec.given([lent(), repaid()]).when(repay()).thenNothingHappens();
    spec.given([lent(), repaid()]).when(repay({ amount: '1000.00' })).thenFails('ID_ALREADY_USED', 'repaymentId');
  });

  it('refuses a repayment of a loan that does not exist', () => {
    spec.given([]).when(repay()).thenFails('LOAN_NOT_FOUND', 'loanId');
  });
});

describe('parsing commands', () => {
  it('names the field of a bad identifier', () => {
    expect(() => pay({ student: { residentId: '110105194912310021' } })).toThrow(/student\.residentId has check character 1, expected X/);
    expect(() => pay({ schoolCode: '12345' })).toThrow(/schoolCode must be exactly 10 digits/);
    expect(() => pay({ student: {} })).toThrow(/student needs a residentId or a studentNumber/);
  });

  it('files a student reached by a G student number under the resident ID inside it', () => {
    const byNumber = pay({ student: { studentNumber: 'G654002201001010015' } });
    expect(byNumber.data.student.key).toBe('654002201001010015');
  });
});
