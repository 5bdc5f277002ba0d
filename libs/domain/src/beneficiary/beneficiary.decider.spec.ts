import { deciderSpecification } from '../testing/decider-specification';
import { shippedCatalog } from '../testing/catalog.fixture';
import { LocalDate } from '../calendar';
import { Money } from '../money';
import { beneficiaryDecider } from './beneficiary.decider';
import {
  parseApproveAid,
  parseEraseStudentData,
  parseLiftLegalHold,
  parsePlaceLegalHold,
  parseRecordDisbursement,
  parseRecordLoanDisbursement,
  parseRecordLoanRepayment,
  parseReverseDisbursement,
} from './beneficiary.commands';
import { BeneficiaryEvent } from './beneficiary.events';
import { studentFiledUnder } from './student';

/** Today, as the application layer's clock gives it (China time): pinned, so that these rules never depend on when the tests run. */
const TODAY = '2026-12-01' as LocalDate;
const context = { catalog: shippedCatalog(), today: TODAY };
const spec = deciderSpecification(beneficiaryDecider, context);

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
  beneficiaryDecider.decide(pay(overrides), beneficiaryDecider.initialState(), context)[0];

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
  beneficiaryDecider.decide(lend(overrides), beneficiaryDecider.initialState(), context)[0];

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
    const event = beneficiaryDecider.decide(pay({ disbursementId: 'd-2', period: '2023-spring' }), beneficiaryDecider.evolve(beneficiaryDecider.initialState(), paid()), context);
    expect(event).toHaveLength(1);
  });

  it('pays again once the first payment was reversed', () => {
    const reversal = beneficiaryDecider.decide(
      parseReverseDisbursement({ student, disbursementId: 'd-1', reason: 'wrong card', valueDate: '2022-11-01' }),
      beneficiaryDecider.evolve(beneficiaryDecider.initialState(), paid()),
      context,
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
      context,
    );
    const settled = paid();
    spec.given(approval).when(pay({ approvalId: 'a-1' })).then([{ ...settled, data: { ...settled.data, approvalId: 'a-1' } } as BeneficiaryEvent]);
    spec.given(approval).when(pay({ approvalId: 'a-1', period: '2023-spring' })).thenFails('APPROVAL_NOT_FOUND', 'approvalId');
  });

  it('settles an approval only with its stage, amount and school', () => {
    const approval = beneficiaryDecider.decide(
      parseApproveAid({ approvalId: 'a-1', student, schoolCode: '3465000001', stage: 'senior', programCode: 'SENIOR_NATIONAL_GRANT', period: '2022-autumn', amount: '1000.00', approvedOn: '2022-09-10' }),
      beneficiaryDecider.initialState(),
      context,
    );
    const grant = (overrides: Record<string, unknown>) => pay({ approvalId: 'a-1', programCode: 'SENIOR_NATIONAL_GRANT', stage: 'senior', schoolCode: '3465000001', amount: '1000.00', ...overrides });
    spec.given(approval).when(grant({ amount: '1500.00' })).thenFails('APPROVAL_MISMATCH', 'amount');
    spec.given(approval).when(grant({ schoolCode: '3465000002' })).thenFails('APPROVAL_MISMATCH', 'schoolCode');
    const boarding = beneficiaryDecider.decide(
      parseApproveAid({ approvalId: 'b-1', student, schoolCode: '2165000001', stage: 'primary', programCode: 'BOARDING_LIVING_SUBSIDY', period: '2022-autumn', amount: '500.00', approvedOn: '2022-09-10' }),
      beneficiaryDecider.initialState(),
      context,
    );
    spec.given(boarding).when(pay({ approvalId: 'b-1', stage: 'junior', amount: '625.00' })).thenFails('APPROVAL_MISMATCH', 'stage');
    const settled = beneficiaryDecider.decide(grant({}), beneficiaryDecider.evolve(beneficiaryDecider.initialState(), approval[0]), context);
    expect(settled[0].data).toMatchObject({ approvalId: 'a-1', amount: '1000.00' });
  });

  it('refuses a payment of a program excluded by an approval the student already has for the term', () => {
    const nonBoarding = beneficiaryDecider.decide(
      parseApproveAid({ approvalId: 'a-1', student, schoolCode: '2165000001', stage: 'primary', programCode: 'NON_BOARDING_LIVING_SUBSIDY', period: '2022-autumn', amount: '250.00', approvedOn: '2022-09-10' }),
      beneficiaryDecider.initialState(),
      context,
    );
    spec.given(nonBoarding).when(pay()).thenFails('MUTUALLY_EXCLUSIVE_PROGRAMS', 'programCode');
    spec.given(nonBoarding).when(pay({ period: '2023-spring' })).then([paid({ period: '2023-spring' })]);
  });

  it('refuses a value date outside the period’s dating window, and takes the window’s first and last days', () => {
    spec.given([]).when(pay({ valueDate: '2099-10-20' })).thenFails('DATE_OUTSIDE_PERIOD', 'valueDate');
    spec.given([]).when(pay({ valueDate: '2015-10-20' })).thenFails('DATE_OUTSIDE_PERIOD', 'valueDate');
    spec.given([]).when(pay({ valueDate: '2022-05-31' })).thenFails('DATE_OUTSIDE_PERIOD', 'valueDate');
    spec.given([]).when(pay({ valueDate: '2025-09-01' })).thenFails('DATE_OUTSIDE_PERIOD', 'valueDate');
    expect(paid({ valueDate: '2022-06-01' }).data).toMatchObject({ valueDate: '2022-06-01' });
    expect(paid({ valueDate: '2025-08-31' }).data).toMatchObject({ valueDate: '2025-08-31' });
  });

  describe('against the program’s budget for the fiscal year', () => {
    const budget = (paidBefore: string, allocated = '1000.00') => ({
      ...context,
      budget: { programCode: 'BOARDING_LIVING_SUBSIDY', fiscalYear: 2022, allocated: Money.parse(allocated), paid: Money.parse(paidBefore) },
    });
    const withBudget = (paidBefore: string) => deciderSpecification(beneficiaryDecider, budget(paidBefore));

    it('pays within what is left', () => {
      withBudget('500.00').given([]).when(pay()).then([paid()]);
    });

    it('refuses a payment over the budget', () => {
      withBudget('500.01').given([]).when(pay()).thenFails('BUDGET_EXCEEDED', 'amount');
    });

    it('records a payment over the budget with its override reason, only when over', () => {
      const over = pay({ budgetOverride: { reason: 'carry-over approved by the bureau' } });
      withBudget('900.00').given([]).when(over).then([{ ...paid(), data: { ...paid().data, budgetOverride: { reason: 'carry-over approved by the bureau' } } } as BeneficiaryEvent]);
      withBudget('0.00').given([]).when(over).then([paid()]);
    });

    it('records nothing for a resubmitted payment, whether or not it was recorded over budget', () => {
      const overridden = { ...paid(), data: { ...paid().data, budgetOverride: { reason: 'carry-over' } } } as BeneficiaryEvent;
      withBudget('1000.00').given([overridden]).when(pay({ budgetOverride: { reason: 'carry-over' } })).thenNothingHappens();
      withBudget('1000.00').given([paid()]).when(pay()).thenNothingHappens();
    });

    it('takes only the standing of the payment’s own program and year', () => {
      expect(() => withBudget('0.00').given([]).when(pay({ period: '2023-spring', valueDate: '2023-04-20' })).then([])).toThrow(/budget standing of BOARDING_LIVING_SUBSIDY 2022 given for a payment of BOARDING_LIVING_SUBSIDY in 2023/);
    });
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
    beneficiaryDecider.decide(approve(overrides), beneficiaryDecider.initialState(), context)[0];

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

  it('refuses an approval dated outside the period’s dating window', () => {
    spec.given([]).when(approve({ approvedOn: '2015-10-20' })).thenFails('DATE_OUTSIDE_PERIOD', 'approvedOn');
    spec.given([]).when(approve({ approvedOn: '2099-10-20' })).thenFails('DATE_OUTSIDE_PERIOD', 'approvedOn');
  });

  it('refuses approving a program excluded by a payment the student already has for the term', () => {
    spec.given([paid({ stage: 'junior', amount: '625.00' })]).when(approve({ programCode: 'NON_BOARDING_LIVING_SUBSIDY' })).thenFails('MUTUALLY_EXCLUSIVE_PROGRAMS');
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
    const [reversal] = beneficiaryDecider.decide(reverse({ reasonCode: 'WRONG_ACCOUNT' }), beneficiaryDecider.evolve(beneficiaryDecider.initialState(), paid()), context);
    expect(reversal.data).toMatchObject({ reason: 'paid to the wrong card', reasonCode: 'WRONG_ACCOUNT' });
    expect(() => reverse({ reasonCode: 'BECAUSE' })).toThrow(expect.objectContaining({ code: 'FIELD_INVALID', field: 'reasonCode' }));
  });

  it('refuses to reverse a payment that does not exist', () => {
    spec.given([]).when(reverse()).thenFails('DISBURSEMENT_NOT_FOUND', 'disbursementId');
  });

  it('refuses to reverse a payment twice', () => {
    const [reversal] = beneficiaryDecider.decide(reverse(), beneficiaryDecider.evolve(beneficiaryDecider.initialState(), paid()), context);
    spec.given([paid(), reversal]).when(reverse({ reason: 'again' })).thenFails('DISBURSEMENT_ALREADY_REVERSED');
  });

  it('refuses a reversal dated before the payment it reverses, and takes one on the same day', () => {
    spec.given([paid()]).when(reverse({ valueDate: '2022-10-19' })).thenFails('REVERSAL_BEFORE_PAYMENT', 'valueDate');
    const [sameDay] = beneficiaryDecider.decide(reverse({ valueDate: '2022-10-20' }), beneficiaryDecider.evolve(beneficiaryDecider.initialState(), paid()), context);
    expect(sameDay).toMatchObject({ type: 'DisbursementReversed', data: { valueDate: '2022-10-20' } });
  });

  it('needs a reason', () => {
    expect(() => reverse({ reason: '  ' })).toThrow(/reason is required/);
  });
});

describe('loans', () => {
  const repay = (overrides: Record<string, unknown> = {}) =>
    parseRecordLoanRepayment({ student, repaymentId: 'r-1', loanId: 'loan-2022', amount: '2000.00', valueDate: '2025-12-20', ...overrides });
  const repaid = (overrides: Record<string, unknown> = {}) => {
    const state = beneficiaryDecider.evolve(beneficiaryDecider.initialState(), lent());
    return beneficiaryDecider.decide(repay(overrides), state, context)[0];
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

  it('refuses a loan dated outside its school year’s dating window', () => {
    spec.given([]).when(lend({ valueDate: '2099-10-20' })).thenFails('DATE_OUTSIDE_PERIOD', 'valueDate');
    spec.given([]).when(lend({ valueDate: '2022-05-31' })).thenFails('DATE_OUTSIDE_PERIOD', 'valueDate');
  });

  it('refuses a grant on the loan command', () => {
    spec.given([]).when(lend({ programCode: 'YULU_PLAN', stage: 'higher_vocational', amount: '3000.00' })).thenFails('NOT_A_LOAN_PROGRAM');
  });

  it('records a repayment up to what is outstanding', () => {
    spec.given([lent()]).when(repay()).then([
      {
        type: 'LoanRepaymentRecorded',
        data: { repaymentId: 'r-1', loanId: 'loan-2022', beneficiary, programCode: 'ORIGIN_CREDIT_LOAN', amount: '2000.00', valueDate: '2025-12-20' },
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

describe('dates that have not come yet (today, from the application’s clock, pinned to 2026-12-01)', () => {
  const repay = (overrides: Record<string, unknown> = {}) =>
    parseRecordLoanRepayment({ student, repaymentId: 'r-1', loanId: 'loan-2022', amount: '1.00', valueDate: '2025-12-20', ...overrides });
  const reverse = (overrides: Record<string, unknown> = {}) =>
    parseReverseDisbursement({ student, disbursementId: 'd-1', reason: 'paid to the wrong card', valueDate: '2022-11-01', ...overrides });

  it('refuses a payment dated after today, even within its period’s dating window, and takes one dated today', () => {
    spec.given([]).when(pay({ period: '2099-autumn', amount: '625.00', valueDate: '2099-10-20' })).thenFails('DATE_IN_FUTURE', 'valueDate');
    spec.given([]).when(pay({ period: '2026-autumn', amount: '625.00', valueDate: '2028-05-01' })).thenFails('DATE_IN_FUTURE', 'valueDate');
    spec.given([]).when(pay({ period: '2026-autumn', amount: '625.00', valueDate: '2026-12-02' })).thenFails('DATE_IN_FUTURE', 'valueDate');
    expect(paid({ period: '2026-autumn', amount: '625.00', valueDate: TODAY }).data).toMatchObject({ valueDate: TODAY });
  });

  it('says which day today is', () => {
    const refusal = spec.given([]).when(pay({ period: '2026-autumn', amount: '625.00', valueDate: '2026-12-02' })).thenFails('DATE_IN_FUTURE', 'valueDate');
    expect(refusal.message).toBe('valueDate 2026-12-02 is after today (2026-12-01, China time): the ledger records only what has already happened');
  });

  it('refuses an approval dated after today', () => {
    const approve = (approvedOn: string) =>
      parseApproveAid({ approvalId: 'a-1', student, schoolCode: '2165000001', stage: 'primary', programCode: 'BOARDING_LIVING_SUBSIDY', period: '2027-spring', amount: '625.00', approvedOn });
    spec.given([]).when(approve('2026-12-02')).thenFails('DATE_IN_FUTURE', 'approvedOn');
    expect(beneficiaryDecider.decide(approve(TODAY), beneficiaryDecider.initialState(), context)[0].data).toMatchObject({ approvedOn: TODAY, period: '2027-spring' });
  });

  it('refuses a loan dated after today', () => {
    spec.given([]).when(lend({ period: '2026-2027', valueDate: '2027-09-20' })).thenFails('DATE_IN_FUTURE', 'valueDate');
  });

  it('refuses a reversal dated after today, of a payment long past', () => {
    spec.given([paid()]).when(reverse({ valueDate: '2099-10-22' })).thenFails('DATE_IN_FUTURE', 'valueDate');
    spec.given([paid()]).when(reverse({ valueDate: '2026-12-02' })).thenFails('DATE_IN_FUTURE', 'valueDate');
    expect(beneficiaryDecider.decide(reverse({ valueDate: TODAY }), beneficiaryDecider.evolve(beneficiaryDecider.initialState(), paid()), context)[0].data).toMatchObject({ valueDate: TODAY });
  });

  it('refuses a repayment dated after today', () => {
    spec.given([lent()]).when(repay({ valueDate: '2026-12-02' })).thenFails('DATE_IN_FUTURE', 'valueDate');
    spec.given([lent()]).when(repay({ valueDate: TODAY })).then([
      { type: 'LoanRepaymentRecorded', data: { repaymentId: 'r-1', loanId: 'loan-2022', beneficiary, programCode: 'ORIGIN_CREDIT_LOAN', amount: '1.00', valueDate: TODAY } },
    ]);
  });

  it('counts today as the clock gives it: the same payment is refused on the day before', () => {
    const yesterday = deciderSpecification(beneficiaryDecider, { ...context, today: '2026-11-30' as LocalDate });
    yesterday.given([]).when(pay({ period: '2026-autumn', amount: '625.00', valueDate: TODAY })).thenFails('DATE_IN_FUTURE', 'valueDate');
  });
});

describe('repayments dated before their loan', () => {
  const repay = (valueDate: string) => parseRecordLoanRepayment({ student, repaymentId: 'r-1', loanId: 'loan-2022', amount: '1.00', valueDate });

  it('refuses a repayment dated before the loan was paid (2022-09-20), and takes one on that day', () => {
    spec.given([lent()]).when(repay('1990-01-01')).thenFails('REPAYMENT_BEFORE_LOAN', 'valueDate');
    spec.given([lent()]).when(repay('2022-09-19')).thenFails('REPAYMENT_BEFORE_LOAN', 'valueDate');
    spec.given([lent()]).when(repay('2022-09-20')).then([
      { type: 'LoanRepaymentRecorded', data: { repaymentId: 'r-1', loanId: 'loan-2022', beneficiary, programCode: 'ORIGIN_CREDIT_LOAN', amount: '1.00', valueDate: '2022-09-20' } },
    ]);
  });
});

describe('parsing commands', () => {
  it('names the field of a bad identifier', () => {
    expect(() => pay({ student: { residentId: '110105194912310021' } })).toThrow(/^student\.residentId has a check character that does not match its other 17 characters: one of the 18 is wrong/);
    expect(() => pay({ schoolCode: '12345' })).toThrow(/schoolCode must be exactly 10 digits/);
    expect(() => pay({ student: {} })).toThrow(/student needs a residentId or a studentNumber/);
  });

  it('checks every free-text field with the one text parser (parseFreeText): the student’s name, the payee’s, the account, the reasons', () => {
    const reverse = (overrides: Record<string, unknown>) =>
      parseReverseDisbursement({ student, disbursementId: 'd-1', reason: 'paid to the wrong card', valueDate: '2022-11-01', ...overrides });
    const fieldOf = (parse: () => unknown) => {
      try {
        parse();
      } catch (error) {
        return { code: (error as { code?: string }).code, field: (error as { field?: string }).field };
      }
      return 'accepted';
    };
    expect(fieldOf(() => pay({ student: { ...student, name: '张\u0000三' } }))).toEqual({ code: 'FIELD_INVALID', field: 'student.name' });
    expect(fieldOf(() => pay({ student: { ...student, name: '张'.repeat(101) } }))).toEqual({ code: 'FIELD_INVALID', field: 'student.name' });
    expect(fieldOf(() => pay({ payee: { type: 'student', name: 'canteen\nNo. 2' } }))).toEqual({ code: 'FIELD_INVALID', field: 'payee.name' });
    expect(fieldOf(() => pay({ payee: { type: 'student', account: '6222\u00850001' } }))).toEqual({ code: 'FIELD_INVALID', field: 'payee.account' });
    expect(fieldOf(() => pay({ budgetOverride: { reason: 'approved\u202e' } }))).toEqual({ code: 'FIELD_INVALID', field: 'budgetOverride.reason' });
    expect(fieldOf(() => reverse({ reason: 'wrong student\u001b[2J' }))).toEqual({ code: 'FIELD_INVALID', field: 'reason' });
    expect(pay({ student: { ...student, name: ' 张三 ' } }).data.student.name).toBe('张三');
    expect(reverse({ reason: 'paid twice:\nsee the bank statement' }).data.reason).toBe('paid twice:\nsee the bank statement');
  });

  it('files a student reached by a G student number under the resident ID inside it', () => {
    const byNumber = pay({ student: { studentNumber: 'G654002201001010015' } });
    expect(byNumber.data.student.key).toBe('654002201001010015');
  });
});

describe('erasing a student’s personal data', () => {
  const erase = () => parseEraseStudentData({ student: studentFiledUnder(beneficiary.key) as never, legalBasis: 'RETENTION_ENDED', reference: 'PIPL-2026-1' });
  const erased: BeneficiaryEvent = { type: 'StudentDataErased', data: { beneficiary: { key: beneficiary.key }, legalBasis: 'RETENTION_ENDED', reference: 'PIPL-2026-1' } };

  it('given a paid student, when their data is erased, then the erasure names the record alone, with its legal basis and reference', () => {
    spec.given([paid()]).when(erase()).then([erased]);
  });

  it('given no record, when an erasure is asked, then it is refused as no such record', () => {
    spec.given([]).when(erase()).thenFails('STUDENT_RECORD_NOT_FOUND');
  });

  it('given an erased record, when it is erased again, then it is refused', () => {
    spec.given([paid(), erased]).when(erase()).thenFails('STUDENT_DATA_ALREADY_ERASED');
  });

  it('given an erased record, when anything more is recorded on it, then it is refused', () => {
    spec.given([paid(), erased]).when(parseReverseDisbursement({ student: studentFiledUnder(beneficiary.key) as never, disbursementId: 'd-1', reason: 'late', valueDate: '2022-11-01' })).thenFails('STUDENT_RECORD_ERASED');
    spec.given([paid(), erased]).when(pay({ disbursementId: 'd-2', period: '2023-spring', valueDate: '2023-04-20' })).thenFails('STUDENT_RECORD_ERASED');
  });

  it('given an erasure without a legal basis of the list, when parsed, then legalBasis is the field refused', () => {
    expect(() => parseEraseStudentData({ student, legalBasis: 'BECAUSE', reference: 'x' })).toThrow(expect.objectContaining({ field: 'legalBasis' }));
  });
});

describe('legal hold (storage only)', () => {
  const filed = () => studentFiledUnder(beneficiary.key) as never;
  const hold = () => parsePlaceLegalHold({ student: filed(), legalBasis: 'STATUTORY_RETENTION', reference: 'ARCH-2026-7' });
  const lift = () => parseLiftLegalHold({ student: filed(), reference: 'ARCH-2026-7', reason: 'the court released the file' });
  const held: BeneficiaryEvent = { type: 'StudentPlacedOnLegalHold', data: { beneficiary: { key: beneficiary.key }, legalBasis: 'STATUTORY_RETENTION', reference: 'ARCH-2026-7' } };
  const lifted: BeneficiaryEvent = { type: 'StudentLegalHoldLifted', data: { beneficiary: { key: beneficiary.key }, reference: 'ARCH-2026-7', reason: 'the court released the file' } };
  const erased: BeneficiaryEvent = { type: 'StudentDataErased', data: { beneficiary: { key: beneficiary.key }, legalBasis: 'RETENTION_ENDED', reference: 'PIPL-2026-1' } };

  it('given a paid student, when a hold is placed, then it names the record alone, with its legal basis and reference', () => {
    spec.given([paid()]).when(hold()).then([held]);
  });

  it('given a held student, when a hold is placed again, then it is refused as already on hold', () => {
    spec.given([paid(), held]).when(hold()).thenFails('STUDENT_ALREADY_ON_HOLD');
  });

  it('given no record, when a hold is placed, then it is refused as no such record', () => {
    spec.given([]).when(hold()).thenFails('STUDENT_RECORD_NOT_FOUND');
  });

  it('given an erased record, when a hold is placed, then it is refused: nothing is left to keep', () => {
    spec.given([paid(), erased]).when(hold()).thenFails('STUDENT_RECORD_ERASED');
  });

  it('given a held student, when any other write names them, then it is refused as on legal hold, on the student field, in Chinese and English', () => {
    const refusals = [
      pay({ disbursementId: 'd-2', period: '2023-spring', valueDate: '2023-04-20' }),
      pay({ disbursementId: 'd-1' }),
      parseReverseDisbursement({ student: filed(), disbursementId: 'd-1', reason: 'late', valueDate: '2022-11-01' }),
      parseApproveAid({ approvalId: 'a-1', student, schoolCode: '2165000001', stage: 'primary', programCode: 'BOARDING_LIVING_SUBSIDY', period: '2023-spring', amount: '500.00', approvedOn: '2023-03-01' }),
      lend(),
      parseRecordLoanRepayment({ student, repaymentId: 'r-1', loanId: 'loan-2022', amount: '100.00', valueDate: '2023-09-01' }),
    ];
    for (const command of refusals) {
      spec.given([paid(), lent(), held]).when(command).thenFails('STUDENT_ON_LEGAL_HOLD');
      expect(() => beneficiaryDecider.decide(command, [paid(), held].reduce(beneficiaryDecider.evolve, beneficiaryDecider.initialState()), context)).toThrow(
        expect.objectContaining({ field: 'student', message: expect.stringMatching(/法律保留.*legal hold/) }),
      );
    }
  });

  it('given a held student, when the hold is lifted, then the lift is recorded and writes are accepted again', () => {
    spec.given([paid(), held]).when(lift()).then([lifted]);
    spec.given([paid(), held, lifted]).when(pay({ disbursementId: 'd-2', period: '2023-spring', valueDate: '2023-04-20' })).then([
      paid({ disbursementId: 'd-2', period: '2023-spring', valueDate: '2023-04-20' }),
    ]);
  });

  it('given a student not on hold (never, or lifted), when a lift is asked, then it is refused as not on hold', () => {
    spec.given([paid()]).when(lift()).thenFails('STUDENT_NOT_ON_HOLD');
    spec.given([paid(), held, lifted]).when(lift()).thenFails('STUDENT_NOT_ON_HOLD');
  });

  it('given a held student, when their data is erased on a basis other than retention, then the erasure is recorded and ends the hold', () => {
    const erase = parseEraseStudentData({ student: filed(), legalBasis: 'PURPOSE_ACHIEVED', reference: 'PIPL-2026-1' });
    const erasedForPurpose: BeneficiaryEvent = { type: 'StudentDataErased', data: { beneficiary: { key: beneficiary.key }, legalBasis: 'PURPOSE_ACHIEVED', reference: 'PIPL-2026-1' } };
    spec.given([paid(), held]).when(erase).then([erasedForPurpose]);
    spec.given([paid(), held, erasedForPurpose]).when(lift()).thenFails('STUDENT_RECORD_ERASED');
  });

  it('given a held student, when their data is erased because a retention period ended, then it is refused on the legal basis (a hold keeps the data past its rules)', () => {
    const erase = parseEraseStudentData({ student: filed(), legalBasis: 'RETENTION_ENDED', reference: 'PIPL-2026-1' });
    spec.given([paid(), held]).when(erase).thenFails('STUDENT_ON_LEGAL_HOLD');
    spec.given([paid(), held, lifted]).when(erase).then([erased]);
  });

  it('given a case reference holding personal data (an ID, a card, a phone, a name beside an ID), when an erasure, a hold or a lift is parsed, then it is refused on reference: the reference is kept in clear for good', () => {
    for (const reference of ['吴昊-330102200903032224', '张伟 6222021234567890128', 'ARCH 13912345678', 'PIPL G654002201001010015']) {
      for (const parse of [
        () => parseEraseStudentData({ student, legalBasis: 'PURPOSE_ACHIEVED', reference }),
        () => parsePlaceLegalHold({ student, legalBasis: 'STATUTORY_RETENTION', reference }),
        () => parseLiftLegalHold({ student, reference, reason: 'closed' }),
      ]) {
        expect(parse).toThrow(expect.objectContaining({ field: 'reference', message: expect.stringMatching(/不得包含个人信息.*must hold no personal data/) }));
      }
    }
    // File numbers as offices write them are taken.
    expect(parseEraseStudentData({ student, legalBasis: 'PURPOSE_ACHIEVED', reference: '伊教资〔2026〕12号' }).data.reference).toBe('伊教资〔2026〕12号');
    expect(parsePlaceLegalHold({ student, legalBasis: 'STATUTORY_RETENTION', reference: 'ARCH-2026-0007' }).data.reference).toBe('ARCH-2026-0007');
  });

  it('given a hold without a legal basis of the list, or a lift without a reason, when parsed, then that field is refused', () => {
    expect(() => parsePlaceLegalHold({ student, legalBasis: 'RETENTION_ENDED', reference: 'x' })).toThrow(expect.objectContaining({ field: 'legalBasis' }));
    expect(() => parsePlaceLegalHold({ student, legalBasis: 'STATUTORY_RETENTION' })).toThrow(expect.objectContaining({ field: 'reference' }));
    expect(() => parseLiftLegalHold({ student, reference: 'x' })).toThrow(expect.objectContaining({ field: 'reason' }));
  });
});
