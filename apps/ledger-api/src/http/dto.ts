import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsNotEmptyObject, IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import {
  BUDGET_NOTE_MAX_LENGTH,
  IDENTIFIER_INPUT_MAX_LENGTH,
  PAYEE_ACCOUNT_MAX_LENGTH,
  PAYEE_NAME_MAX_LENGTH,
  PAYEE_TYPES,
  REASON_MAX_LENGTH,
  ERASURE_LEGAL_BASES,
  ERASURE_REFERENCE_MAX_LENGTH,
  LEGAL_HOLD_BASES,
  LEGAL_HOLD_REASON_MAX_LENGTH,
  LEGAL_HOLD_REFERENCE_MAX_LENGTH,
  REVERSAL_REASON_CODES,
  STAGES,
  STUDENT_NAME_MAX_LENGTH,
} from '@ledger/domain';

/**
 * Request bodies. These check shape and types (and refuse unknown fields); the values themselves
 * — check characters, amounts, periods, program rules — are checked by the domain's parsers and
 * deciders, the one place every entry point shares.
 */

const AMOUNT_EXAMPLE = '312.50';
const amountMessage = { message: 'amount must be a decimal string such as "312.50" (not a JSON number)' };

export class StudentDto {
  @ApiPropertyOptional({ description: '18-character resident ID (GB 11643)', example: '11010519491231002X' })
  @IsOptional()
  @IsString()
  @MaxLength(IDENTIFIER_INPUT_MAX_LENGTH)
  residentId?: string;

  @ApiPropertyOptional({ description: 'National student number: G/J + 18 characters, or temporary L + 18 digits', example: 'G11010519491231002X' })
  @IsOptional()
  @IsString()
  @MaxLength(IDENTIFIER_INPUT_MAX_LENGTH)
  studentNumber?: string;

  @ApiPropertyOptional({ description: 'Name (personal data)', example: '张三' })
  @IsOptional()
  @IsString()
  @MaxLength(STUDENT_NAME_MAX_LENGTH)
  name?: string;
}

export class PayeeDto {
  @ApiProperty({ enum: PAYEE_TYPES, description: 'Who receives the money: must match the program' })
  @IsIn(PAYEE_TYPES)
  type!: string;

  @ApiPropertyOptional({ description: 'Canteen, school or university name' })
  @IsOptional()
  @IsString()
  @MaxLength(PAYEE_NAME_MAX_LENGTH)
  name?: string;

  @ApiPropertyOptional({ description: 'Bank card or fee account (personal data)' })
  @IsOptional()
  @IsString()
  @MaxLength(PAYEE_ACCOUNT_MAX_LENGTH)
  account?: string;
}

class AidLineDto {
  @ApiProperty({ type: StudentDto })
  @IsObject()
  @IsNotEmptyObject()
  @ValidateNested()
  @Type(() => StudentDto)
  student!: StudentDto;

  @ApiProperty({ description: '10-digit school code (学校标识码)', example: '2165000001' })
  @IsString()
  schoolCode!: string;

  @ApiProperty({ enum: STAGES })
  @IsIn(STAGES)
  stage!: string;

  @ApiProperty({ description: 'Program code from GET /programs', example: 'BOARDING_LIVING_SUBSIDY' })
  @IsString()
  @IsNotEmpty()
  programCode!: string;

  @ApiProperty({ description: 'Term ("2022-autumn", "2023-spring") or school year ("2022-2023"), by the program', example: '2022-autumn' })
  @IsString()
  period!: string;

  @ApiProperty({ description: 'Yuan as a decimal string, at most 2 decimals', example: AMOUNT_EXAMPLE })
  @IsString(amountMessage)
  amount!: string;
}

export class ApproveAidDto extends AidLineDto {
  @ApiPropertyOptional({ description: 'Your id for the approval; generated when absent' })
  @IsOptional()
  @IsString()
  approvalId?: string;

  @ApiProperty({ description: 'Date of approval (YYYY-MM-DD): fixes the fiscal year', example: '2022-09-15' })
  @IsString()
  approvedOn!: string;
}

export class BudgetOverrideDto {
  @ApiProperty({ description: 'Why the payment is recorded over the budget (kept forever, with who recorded it)', example: 'paid from the carry-over the bureau approved on 2022-10-20' })
  @IsString()
  @IsNotEmpty({ message: 'budgetOverride.reason is required' })
  @MaxLength(REASON_MAX_LENGTH)
  reason!: string;
}

export class RecordDisbursementDto extends AidLineDto {
  @ApiPropertyOptional({ description: 'Your id for the payment; generated when absent' })
  @IsOptional()
  @IsString()
  disbursementId?: string;

  @ApiProperty({ type: PayeeDto })
  @IsObject()
  @ValidateNested()
  @Type(() => PayeeDto)
  payee!: PayeeDto;

  @ApiProperty({ description: 'Day the money moved (YYYY-MM-DD): fixes the fiscal year', example: '2022-10-20' })
  @IsString()
  valueDate!: string;

  @ApiPropertyOptional({ description: 'The approval (拟享受) this payment settles' })
  @IsOptional()
  @IsString()
  approvalId?: string;

  @ApiPropertyOptional({ description: 'Funding source code from the catalog', example: 'CENTRAL' })
  @IsOptional()
  @IsString()
  fundingSource?: string;

  @ApiPropertyOptional({
    type: BudgetOverrideDto,
    description: "Record the payment even if it takes the program over its budget for the fiscal year (else refused: BUDGET_EXCEEDED); recorded in the event only when it was needed",
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => BudgetOverrideDto)
  budgetOverride?: BudgetOverrideDto;
}

export class ReverseDisbursementDto {
  @ApiProperty({ description: 'Why the payment is reversed (kept forever)', example: 'paid to the wrong student' })
  @IsString()
  @IsNotEmpty({ message: 'reason is required' })
  @MaxLength(REASON_MAX_LENGTH)
  reason!: string;

  @ApiPropertyOptional({ description: 'The reason as a category (UNSPECIFIED when absent)', enum: REVERSAL_REASON_CODES, example: 'WRONG_ACCOUNT' })
  @IsOptional()
  @IsIn(REVERSAL_REASON_CODES, { message: `reasonCode must be one of ${REVERSAL_REASON_CODES.join(', ')}` })
  reasonCode?: string;

  @ApiProperty({ description: 'Date of the reversal (YYYY-MM-DD)', example: '2022-11-02' })
  @IsString()
  valueDate!: string;

  @ApiPropertyOptional({ type: StudentDto, description: 'The student paid; looked up from the payment when absent' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => StudentDto)
  student?: StudentDto;
}

export class EraseStudentDataDto {
  @ApiProperty({ description: 'The legal ground of the erasure (PIPL Art. 47)', enum: ERASURE_LEGAL_BASES, example: 'RETENTION_ENDED' })
  @IsIn(ERASURE_LEGAL_BASES, { message: `legalBasis must be one of ${ERASURE_LEGAL_BASES.join(', ')}` })
  legalBasis!: string;

  @ApiProperty({ description: "The case's reference (a file or ticket number — no name: it is kept in clear, for ever)", example: '2026-PIPL-0042' })
  @IsString()
  @IsNotEmpty({ message: 'reference is required' })
  @MaxLength(ERASURE_REFERENCE_MAX_LENGTH)
  reference!: string;
}

export class PlaceLegalHoldDto {
  @ApiProperty({ description: 'Why the data must still be kept (PIPL Art. 47: storage only)', enum: LEGAL_HOLD_BASES, example: 'STATUTORY_RETENTION' })
  @IsIn(LEGAL_HOLD_BASES, { message: `legalBasis must be one of ${LEGAL_HOLD_BASES.join(', ')}` })
  legalBasis!: string;

  @ApiProperty({ description: "The case's reference (a file or ticket number — no name: it is kept in clear, for ever)", example: 'ARCH-2026-0007' })
  @IsString()
  @IsNotEmpty({ message: 'reference is required' })
  @MaxLength(LEGAL_HOLD_REFERENCE_MAX_LENGTH)
  reference!: string;
}

export class LiftLegalHoldDto {
  @ApiProperty({ description: "The case's reference (a file or ticket number, no name)", example: 'ARCH-2026-0007' })
  @IsString()
  @IsNotEmpty({ message: 'reference is required' })
  @MaxLength(LEGAL_HOLD_REFERENCE_MAX_LENGTH)
  reference!: string;

  @ApiProperty({ description: 'Why the hold is lifted (sealed with the student’s data key, like every reason)', example: 'the archive period is over' })
  @IsString()
  @IsNotEmpty({ message: 'reason is required' })
  @MaxLength(LEGAL_HOLD_REASON_MAX_LENGTH)
  reason!: string;
}

export class RecordLoanDisbursementDto extends AidLineDto {
  @ApiPropertyOptional({ description: 'Your id for the loan; generated when absent' })
  @IsOptional()
  @IsString()
  loanId?: string;

  @ApiProperty({ type: PayeeDto, description: "The university's fee account" })
  @IsObject()
  @ValidateNested()
  @Type(() => PayeeDto)
  payee!: PayeeDto;

  @ApiProperty({ example: '2022-09-20' })
  @IsString()
  valueDate!: string;
}

export class RecordLoanRepaymentDto {
  @ApiPropertyOptional({ description: 'Your id for the repayment; generated when absent' })
  @IsOptional()
  @IsString()
  repaymentId?: string;

  @ApiProperty({ example: '1000.00' })
  @IsString(amountMessage)
  amount!: string;

  @ApiProperty({ example: '2025-12-20' })
  @IsString()
  valueDate!: string;

  @ApiPropertyOptional({ type: StudentDto, description: 'The borrower; looked up from the loan when absent' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => StudentDto)
  student?: StudentDto;
}

export class AllocateBudgetDto {
  @ApiPropertyOptional({ description: 'Your id for the allocation; generated when absent' })
  @IsOptional()
  @IsString()
  allocationId?: string;

  @ApiProperty({ example: 'YULU_PLAN' })
  @IsString()
  programCode!: string;

  @ApiProperty({ example: 2022 })
  @IsInt({ message: 'fiscalYear must be a whole year such as 2022' })
  fiscalYear!: number;

  @ApiProperty({ example: 'RURAL_REVITALISATION' })
  @IsString()
  fundingSource!: string;

  @ApiProperty({ example: '1302000.00' })
  @IsString(amountMessage)
  amount!: string;

  @ApiProperty({ example: '2022-03-01' })
  @IsString()
  valueDate!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(BUDGET_NOTE_MAX_LENGTH)
  note?: string;
}
