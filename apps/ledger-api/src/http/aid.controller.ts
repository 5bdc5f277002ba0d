import { Body, Controller, Get, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import {
  DisbursementNotFound,
  DomainError,
  LoanNotFound,
  StudentIdentity,
  identityFromKey,
  parseAllocateBudget,
  parseApproveAid,
  parseRecordDisbursement,
  parseRecordLoanDisbursement,
  parseRecordLoanRepayment,
  parseReverseDisbursement,
} from '@ledger/domain';
import { queryDisbursements, queryLoans, queryStudentNames } from '@ledger/projections';
import { ExecuteBeneficiaryCommand, ExecuteBudgetCommand, WriteContext } from '@ledger/application';
import { ReadSide } from '../queries/read-side.service';
import { withKnownNames } from '../access/personal-data';
import {
  AllocateBudgetDto,
  ApproveAidDto,
  RecordDisbursementDto,
  RecordLoanDisbursementDto,
  RecordLoanRepaymentDto,
  ReverseDisbursementDto,
} from './dto';
import { Write } from './write-context.decorator';
import { recordIdFor, sendWriteOutcome } from './write-response';

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description: 'Retry with the same key and body: nothing is recorded twice and the first answer is repeated',
};

class AmbiguousRecordId extends DomainError {
  constructor(what: string, id: string) {
    super('RECORD_ID_AMBIGUOUS', 'conflict', `several students have a ${what} ${id}: name the student in the body`, 'student');
  }
}

/** The finance officer's writes: approve, pay, reverse, lend, take repayments, allocate budget. */
@ApiTags('record aid')
@Controller()
export class AidController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly readSide: ReadSide,
  ) {}

  @Post('approvals')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Approve aid for a student and period (拟享受: approved, not yet paid)' })
  async approve(@Body() body: ApproveAidDto, @Write() write: WriteContext, @Res({ passthrough: true }) response: Response) {
    const approvalId = recordIdFor(body.approvalId, write);
    const command = parseApproveAid({ ...body, approvalId });
    const outcome = await this.commandBus.execute(new ExecuteBeneficiaryCommand(command, write));
    return sendWriteOutcome(response, outcome, { approvalId });
  }

  @Post('disbursements')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Record a payment of a subsidy, grant or waiver' })
  async disburse(@Body() body: RecordDisbursementDto, @Write() write: WriteContext, @Res({ passthrough: true }) response: Response) {
    const disbursementId = recordIdFor(body.disbursementId, write);
    const command = parseRecordDisbursement({ ...body, disbursementId });
    const outcome = await this.commandBus.execute(new ExecuteBeneficiaryCommand(command, write));
    return sendWriteOutcome(response, outcome, { disbursementId });
  }

  @Post('disbursements/:disbursementId/reversal')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Reverse a payment, with a reason (the payment itself is never changed)' })
  async reverse(
    @Param('disbursementId') disbursementId: string,
    @Body() body: ReverseDisbursementDto,
    @Write() write: WriteContext,
    @Res({ passthrough: true }) response: Response,
  ) {
    const student = body.student ?? (await this.studentOfDisbursement(disbursementId));
    const command = parseReverseDisbursement({ ...body, student, disbursementId });
    const outcome = await this.commandBus.execute(new ExecuteBeneficiaryCommand(command, write));
    return sendWriteOutcome(response, outcome, { disbursementId });
  }

  @Get('disbursements/:disbursementId')
  @ApiOperation({ summary: 'One payment and its status' })
  async disbursement(@Param('disbursementId') disbursementId: string) {
    const db = await this.readSide.current();
    const found = queryDisbursements(db, disbursementId);
    if (found.length === 0) throw new DisbursementNotFound(`no disbursement ${disbursementId}`, 'disbursementId');
    if (found.length > 1) throw new AmbiguousRecordId('disbursement', disbursementId);
    const { amount, position, reversal, ...rest } = found[0];
    const view = {
      ...rest,
      amount: amount.toString(),
      position: position.toString(),
      ...(reversal && { reversal: { reason: reversal.reason, reasonCode: reversal.reasonCode, position: reversal.position.toString() } }),
    };
    // The reversal reason may name the student, whom the view names only by key: the masking knows the record's names.
    return withKnownNames(view, queryStudentNames(db, rest.beneficiaryKey));
  }

  @Post('loans')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: "Record a loan disbursement (paid to the university's fee account)" })
  async lend(@Body() body: RecordLoanDisbursementDto, @Write() write: WriteContext, @Res({ passthrough: true }) response: Response) {
    const loanId = recordIdFor(body.loanId, write);
    const command = parseRecordLoanDisbursement({ ...body, loanId });
    const outcome = await this.commandBus.execute(new ExecuteBeneficiaryCommand(command, write));
    return sendWriteOutcome(response, outcome, { loanId });
  }

  @Post('loans/:loanId/repayments')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Record a loan repayment (not above what is outstanding)' })
  async repay(
    @Param('loanId') loanId: string,
    @Body() body: RecordLoanRepaymentDto,
    @Write() write: WriteContext,
    @Res({ passthrough: true }) response: Response,
  ) {
    const repaymentId = recordIdFor(body.repaymentId, write);
    const student = body.student ?? (await this.studentOfLoan(loanId));
    const command = parseRecordLoanRepayment({ ...body, student, loanId, repaymentId });
    const outcome = await this.commandBus.execute(new ExecuteBeneficiaryCommand(command, write));
    return sendWriteOutcome(response, outcome, { loanId, repaymentId });
  }

  @Post('budgets/allocations')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: "Allocate budget to a program's fiscal year from a funding source" })
  async allocate(@Body() body: AllocateBudgetDto, @Write() write: WriteContext, @Res({ passthrough: true }) response: Response) {
    const allocationId = recordIdFor(body.allocationId, write);
    const command = parseAllocateBudget({ ...body, allocationId });
    const outcome = await this.commandBus.execute(new ExecuteBudgetCommand(command, write));
    return sendWriteOutcome(response, outcome, { allocationId });
  }

  private async studentOfDisbursement(disbursementId: string): Promise<StudentIdentity> {
    const found = queryDisbursements(await this.readSide.current(), disbursementId);
    if (found.length === 0) throw new DisbursementNotFound(`no disbursement ${disbursementId}`, 'disbursementId');
    if (found.length > 1) throw new AmbiguousRecordId('disbursement', disbursementId);
    return identityFromKey(found[0].beneficiaryKey);
  }

  private async studentOfLoan(loanId: string): Promise<StudentIdentity> {
    const found = queryLoans(await this.readSide.current(), loanId);
    if (found.length === 0) throw new LoanNotFound(`no loan ${loanId}`, 'loanId');
    if (found.length > 1) throw new AmbiguousRecordId('loan', loanId);
    return identityFromKey(found[0].beneficiaryKey);
  }
}
