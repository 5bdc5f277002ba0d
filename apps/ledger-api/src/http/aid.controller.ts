import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiHeader, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  AllocateBudgetCommand,
  ApproveAidCommand,
  DisbursementLookupQuery,
  EraseStudentDataCommand,
  LiftLegalHoldCommand,
  PlaceLegalHoldCommand,
  RecordDisbursementCommand,
  RecordLoanCommand,
  RecordRepaymentCommand,
  ReverseDisbursementCommand,
  STUDENT_QUERY_PARAMETERS,
  WriteContext,
} from '@ledger/application';
import type { Actor } from '@ledger/application';
import { withKnownNames } from '../access/personal-data';
import { SEES_PERSONAL_DATA } from '../access/route-permissions';
import { CurrentActor } from '../edge/request-context';
import { PURPOSE_HEADER, withRecordCount } from '../edge/replies';
import { ParametersForbiddenError } from './problem-details.filter';
import {
  AllocateBudgetDto,
  ApproveAidDto,
  EraseStudentDataDto,
  LiftLegalHoldDto,
  PlaceLegalHoldDto,
  RecordDisbursementDto,
  RecordLoanDisbursementDto,
  RecordLoanRepaymentDto,
  ReverseDisbursementDto,
} from './dto';
import { Write } from './write-context.decorator';
import { writeOutcome } from './write-response';

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description: 'Retry with the same key and body: nothing is recorded twice and the first answer is repeated',
};

/** The finance officer's writes: approve, pay, reverse, lend, take repayments, allocate budget. */
@ApiTags('record aid')
@Controller()
export class AidController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @Post('approvals')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Approve aid for a student and period (拟享受: approved, not yet paid)' })
  async approve(@Body() body: ApproveAidDto, @Write() write: WriteContext) {
    const outcome = await this.commandBus.execute(new ApproveAidCommand({ ...body }, write));
    return writeOutcome(outcome, outcome.ids);
  }

  @Post('disbursements')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Record a payment of a subsidy, grant or waiver' })
  async disburse(@Body() body: RecordDisbursementDto, @Write() write: WriteContext) {
    const outcome = await this.commandBus.execute(new RecordDisbursementCommand({ ...body }, write));
    return writeOutcome(outcome, outcome.ids);
  }

  @Post('disbursements/:disbursementId/reversal')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Reverse a payment, with a reason (the payment itself is never changed)' })
  async reverse(
    @Param('disbursementId') disbursementId: string,
    @Body() body: ReverseDisbursementDto,
    @Write() write: WriteContext,
  ) {
    const outcome = await this.commandBus.execute(new ReverseDisbursementCommand(disbursementId, { ...body }, write));
    return writeOutcome(outcome, outcome.ids);
  }

  @Post('students/:studentKey/erasure')
  @ApiOperation({
    summary:
      "Erase a student's personal data (PIPL Art. 47): their data key is destroyed, every sealed field reads `erased`; amounts, totals and every proof are unchanged. By the record's key or any identifier of the student's",
  })
  async erase(@Param('studentKey') studentKey: string, @Body() body: EraseStudentDataDto, @Write() write: WriteContext) {
    const outcome = await this.commandBus.execute(new EraseStudentDataCommand(studentKey, { ...body }, write));
    return writeOutcome(outcome, outcome.ids);
  }

  @Post('students/:studentKey/legal-hold')
  @ApiOperation({
    summary:
      'Put a student on legal hold (PIPL Art. 47, storage only): nothing more is recorded on their record, and only auditors read their personal data, stating why (X-Purpose), each read recorded. By the record’s key or any identifier of the student’s',
  })
  async placeLegalHold(@Param('studentKey') studentKey: string, @Body() body: PlaceLegalHoldDto, @Write() write: WriteContext) {
    const outcome = await this.commandBus.execute(new PlaceLegalHoldCommand(studentKey, { ...body }, write));
    return writeOutcome(outcome, outcome.ids);
  }

  @Post('students/:studentKey/legal-hold/lift')
  @ApiOperation({ summary: "Lift a student's legal hold: their record is processed again as any other" })
  async liftLegalHold(@Param('studentKey') studentKey: string, @Body() body: LiftLegalHoldDto, @Write() write: WriteContext) {
    const outcome = await this.commandBus.execute(new LiftLegalHoldCommand(studentKey, { ...body }, write));
    return writeOutcome(outcome, outcome.ids);
  }

  @Get('disbursements/:disbursementId')
  @ApiHeader(PURPOSE_HEADER)
  @ApiOperation({ summary: 'One payment and its status; where several students have a payment of this id, name the student (any of their identifiers)' })
  @ApiQuery({ name: 'residentId', required: false, description: 'the student paid, by resident ID (not for roles that see personal data masked: 403)' })
  @ApiQuery({ name: 'studentNumber', required: false, description: 'the student paid, by national student number (G, J or L; not for roles that see personal data masked: 403)' })
  async disbursement(@Param('disbursementId') disbursementId: string, @Query() query: Record<string, unknown>, @CurrentActor() actor: Actor) {
    // Whether a payment id answers beside a person's identifier says whether that person received
    // aid (imported ids are 1, 2, 3 …): refused before any look-up, the same answer whoever is named.
    if (!SEES_PERSONAL_DATA[actor.role] && STUDENT_QUERY_PARAMETERS.some((name) => query[name] !== undefined)) {
      throw new ParametersForbiddenError(
        STUDENT_QUERY_PARAMETERS,
        `the role ${actor.role} sees personal data masked: it may not name a student with residentId or studentNumber (whether a person has a payment is personal data); ask for the payment by its id alone`,
      );
    }
    const { view, knownNames } = await this.queryBus.execute(new DisbursementLookupQuery(disbursementId, query, { role: actor.role }));
    // The reversal reason may name the student, whom the view names only by key: the masking knows the record's names.
    return withRecordCount(withKnownNames(view, knownNames), 1);
  }

  @Post('loans')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: "Record a loan disbursement (paid to the university's fee account)" })
  async lend(@Body() body: RecordLoanDisbursementDto, @Write() write: WriteContext) {
    const outcome = await this.commandBus.execute(new RecordLoanCommand({ ...body }, write));
    return writeOutcome(outcome, outcome.ids);
  }

  @Post('loans/:loanId/repayments')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Record a loan repayment (not above what is outstanding)' })
  async repay(
    @Param('loanId') loanId: string,
    @Body() body: RecordLoanRepaymentDto,
    @Write() write: WriteContext,
  ) {
    const outcome = await this.commandBus.execute(new RecordRepaymentCommand(loanId, { ...body }, write));
    return writeOutcome(outcome, outcome.ids);
  }

  @Post('budgets/allocations')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: "Allocate budget to a program's fiscal year from a funding source" })
  async allocate(@Body() body: AllocateBudgetDto, @Write() write: WriteContext) {
    const outcome = await this.commandBus.execute(new AllocateBudgetCommand({ ...body }, write));
    return writeOutcome(outcome, outcome.ids);
  }
}
