import { Body, Controller, Get, Inject, Param, Post, Query } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiHeader, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  DisbursementNotFound,
  LoanNotFound,
  RecordIdAmbiguous,
  StudentIdentity,
  identityFromKey,
  parseStudentIdentity,
  parseAllocateBudget,
  parseApproveAid,
  parseRecordDisbursement,
  parseRecordLoanDisbursement,
  parseRecordLoanRepayment,
  parseReverseDisbursement,
} from '@ledger/domain';
import { DisbursementView, queryDisbursements, queryLoans, queryStudentNames } from '@ledger/projections';
import { EVENT_STORE, ExecuteBeneficiaryCommand, ExecuteBudgetCommand, StudentDirectory, WriteContext, studentDirectoryOn } from '@ledger/application';
import { EventStore } from '@ledger/event-store';
import { ReadSide } from '../queries/read-side.service';
import { withKnownNames } from '../access/personal-data';
import { RequestInvalidError } from './problem-details.filter';
import {
  AllocateBudgetDto,
  ApproveAidDto,
  RecordDisbursementDto,
  RecordLoanDisbursementDto,
  RecordLoanRepaymentDto,
  ReverseDisbursementDto,
} from './dto';
import { Write } from './write-context.decorator';
import { recordIdFor, writeOutcome } from './write-response';

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description: 'Retry with the same key and body: nothing is recorded twice and the first answer is repeated',
};

/**
 * Payment and loan ids are chosen per student, not across the ledger: school lists number their
 * rows 1, 2, 3 … and every school's list would collide, and a ledger already holding such ids could
 * not be made unique without rewriting it. An id that several students hold is read or reversed
 * with the student named — in the query for a GET (no body), in the body for a write.
 */
const ambiguousInQuery = (what: string, id: string, students: number) =>
  new RecordIdAmbiguous(`${students} students have a ${what} ${id}: name the student with ?residentId=… or ?studentNumber=… (any of their identifiers)`, ['residentId', 'studentNumber']);
const ambiguousInBody = (what: string, id: string, students: number) =>
  new RecordIdAmbiguous(`${students} students have a ${what} ${id}: name the student in the body, "student": {"residentId": …} or {"studentNumber": …}`, ['student']);

/** The query parameters that name a student beside a record id. */
const STUDENT_QUERY = ['residentId', 'studentNumber'];

/** The finance officer's writes: approve, pay, reverse, lend, take repayments, allocate budget. */
@ApiTags('record aid')
@Controller()
export class AidController {
  private readonly students: StudentDirectory;

  constructor(
    private readonly commandBus: CommandBus,
    private readonly readSide: ReadSide,
    @Inject(EVENT_STORE) store: EventStore,
  ) {
    this.students = studentDirectoryOn(store);
  }

  @Post('approvals')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Approve aid for a student and period (拟享受: approved, not yet paid)' })
  async approve(@Body() body: ApproveAidDto, @Write() write: WriteContext) {
    const approvalId = recordIdFor(body.approvalId, write);
    const command = parseApproveAid({ ...body, approvalId });
    const outcome = await this.commandBus.execute(new ExecuteBeneficiaryCommand(command, write));
    return writeOutcome(outcome, { approvalId });
  }

  @Post('disbursements')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Record a payment of a subsidy, grant or waiver' })
  async disburse(@Body() body: RecordDisbursementDto, @Write() write: WriteContext) {
    const disbursementId = recordIdFor(body.disbursementId, write);
    const command = parseRecordDisbursement({ ...body, disbursementId });
    const outcome = await this.commandBus.execute(new ExecuteBeneficiaryCommand(command, write));
    return writeOutcome(outcome, { disbursementId });
  }

  @Post('disbursements/:disbursementId/reversal')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Reverse a payment, with a reason (the payment itself is never changed)' })
  async reverse(
    @Param('disbursementId') disbursementId: string,
    @Body() body: ReverseDisbursementDto,
    @Write() write: WriteContext,
  ) {
    const student = body.student ?? (await this.studentOfDisbursement(disbursementId));
    const command = parseReverseDisbursement({ ...body, student, disbursementId });
    const outcome = await this.commandBus.execute(new ExecuteBeneficiaryCommand(command, write));
    return writeOutcome(outcome, { disbursementId });
  }

  @Get('disbursements/:disbursementId')
  @ApiOperation({ summary: 'One payment and its status; where several students have a payment of this id, name the student (any of their identifiers)' })
  @ApiQuery({ name: 'residentId', required: false, description: 'the student paid, by resident ID' })
  @ApiQuery({ name: 'studentNumber', required: false, description: 'the student paid, by national student number (G, J or L)' })
  async disbursement(@Param('disbursementId') disbursementId: string, @Query() query: Record<string, unknown>) {
    const { amount, position, reversal, ...rest } = await this.paymentNamed(disbursementId, query);
    const view = {
      ...rest,
      amount: amount.toString(),
      position: position.toString(),
      ...(reversal && { reversal: { reason: reversal.reason, reasonCode: reversal.reasonCode, position: reversal.position.toString() } }),
    };
    // The reversal reason may name the student, whom the view names only by key: the masking knows the record's names.
    return withKnownNames(view, queryStudentNames(await this.readSide.current(), rest.beneficiaryKey));
  }

  @Post('loans')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: "Record a loan disbursement (paid to the university's fee account)" })
  async lend(@Body() body: RecordLoanDisbursementDto, @Write() write: WriteContext) {
    const loanId = recordIdFor(body.loanId, write);
    const command = parseRecordLoanDisbursement({ ...body, loanId });
    const outcome = await this.commandBus.execute(new ExecuteBeneficiaryCommand(command, write));
    return writeOutcome(outcome, { loanId });
  }

  @Post('loans/:loanId/repayments')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Record a loan repayment (not above what is outstanding)' })
  async repay(
    @Param('loanId') loanId: string,
    @Body() body: RecordLoanRepaymentDto,
    @Write() write: WriteContext,
  ) {
    const repaymentId = recordIdFor(body.repaymentId, write);
    const student = body.student ?? (await this.studentOfLoan(loanId));
    const command = parseRecordLoanRepayment({ ...body, student, loanId, repaymentId });
    const outcome = await this.commandBus.execute(new ExecuteBeneficiaryCommand(command, write));
    return writeOutcome(outcome, { loanId, repaymentId });
  }

  @Post('budgets/allocations')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: "Allocate budget to a program's fiscal year from a funding source" })
  async allocate(@Body() body: AllocateBudgetDto, @Write() write: WriteContext) {
    const allocationId = recordIdFor(body.allocationId, write);
    const command = parseAllocateBudget({ ...body, allocationId });
    const outcome = await this.commandBus.execute(new ExecuteBudgetCommand(command, write));
    return writeOutcome(outcome, { allocationId });
  }

  /** The payment of this id, of the student the query names (through the student directory: any of their identifiers), or the only one. */
  private async paymentNamed(disbursementId: string, query: Record<string, unknown>): Promise<DisbursementView> {
    const unknown = Object.keys(query).filter((name) => !STUDENT_QUERY.includes(name));
    if (unknown.length > 0) {
      throw new RequestInvalidError(unknown.map((name) => ({ field: name, message: `${name} is not a parameter of this route: name the student with residentId or studentNumber` })));
    }
    const named = STUDENT_QUERY.some((name) => query[name] !== undefined);
    const student = named ? parseStudentIdentity({ residentId: query.residentId, studentNumber: query.studentNumber }, '') : undefined;
    const found = queryDisbursements(await this.readSide.current(), disbursementId);
    if (!student) {
      if (found.length === 0) throw new DisbursementNotFound(`no disbursement ${disbursementId}`, 'disbursementId');
      if (found.length > 1) throw ambiguousInQuery('disbursement', disbursementId, found.length);
      return found[0];
    }
    const recordKey = await this.students.recordKeyOf(student, '');
    const own = found.find((payment) => payment.beneficiaryKey === recordKey);
    if (!own) throw new DisbursementNotFound(`the student named has no disbursement ${disbursementId}`, 'disbursementId');
    return own;
  }

  private async studentOfDisbursement(disbursementId: string): Promise<StudentIdentity> {
    const found = queryDisbursements(await this.readSide.current(), disbursementId);
    if (found.length === 0) throw new DisbursementNotFound(`no disbursement ${disbursementId}`, 'disbursementId');
    if (found.length > 1) throw ambiguousInBody('disbursement', disbursementId, found.length);
    return identityFromKey(found[0].beneficiaryKey);
  }

  private async studentOfLoan(loanId: string): Promise<StudentIdentity> {
    const found = queryLoans(await this.readSide.current(), loanId);
    if (found.length === 0) throw new LoanNotFound(`no loan ${loanId}`, 'loanId');
    if (found.length > 1) throw ambiguousInBody('loan', loanId, found.length);
    return identityFromKey(found[0].beneficiaryKey);
  }
}
