import { Provider } from '@nestjs/common';
import { AccessControl } from './access/access-control.service';
import { AuditService } from './audit.service';
import { ReadSide } from './read-side';
import { StudentRecords } from './student-records';
import { WritePipeline } from './write-pipeline';
import { ApproveAidHandler } from './approve-aid/approve-aid';
import { RecordDisbursementHandler } from './record-disbursement/record-disbursement';
import { ReverseDisbursementHandler } from './reverse-disbursement/reverse-disbursement';
import { RecordLoanHandler } from './record-loan/record-loan';
import { RecordRepaymentHandler } from './record-repayment/record-repayment';
import { EraseStudentDataHandler } from './erase-student-data/erase-student-data';
import { PlaceLegalHoldHandler } from './place-legal-hold/place-legal-hold';
import { LiftLegalHoldHandler } from './lift-legal-hold/lift-legal-hold';
import { AllocateBudgetHandler } from './allocate-budget/allocate-budget';
import { ImportPaymentListHandler, ImportService } from './import-payment-list';
import { SignDigestHandler } from './sign-digest/sign-digest';
import { MigrateLedgerHandler } from './migrate-ledger/migrate-ledger';
import { RecordDisclosureHandler } from './record-disclosure/record-disclosure';
import { PersonalDataAccessHandler } from './personal-data-access/personal-data-access';
import { RetentionDueHandler } from './retention-due/retention-due';
import { SeedDemoLedgerHandler } from './seed-demo/seed-demo';
import { AddUserHandler, ChangeUserRoleHandler, IssueTokenHandler, ListUsersHandler, RevokeTokenHandler } from './manage-access/manage-access';
import { ProgramCatalogHandler, ProgramHandler } from './program-catalog/program-catalog';
import { ProgramTotalsHandler, ReplayedProgramTotalsHandler } from './program-totals/program-totals';
import { BudgetAllocationsHandler } from './budget-allocations/budget-allocations';
import { BeneficiaryHistoryHandler } from './beneficiary-history/beneficiary-history';
import { DisbursementLookupHandler } from './disbursement-lookup/disbursement-lookup';
import { AnomaliesHandler, ReplayedAnomaliesHandler } from './anomalies/anomalies';
import { DeclaredReportsHandler, ReconcileOnReplayHandler, ReconciliationHandler } from './reconciliation/reconciliation';
import { ConsistencyProofHandler, DigestsHandler, InclusionProofHandler, LogExportHandler, PublicKeyHandler, VerifyLogHandler } from './audit-evidence/audit-evidence';

/** Every command and query handler of the ledger, registered on the CommandBus and QueryBus. */
export const USE_CASE_HANDLERS = [
  ApproveAidHandler,
  RecordDisbursementHandler,
  ReverseDisbursementHandler,
  RecordLoanHandler,
  RecordRepaymentHandler,
  EraseStudentDataHandler,
  PlaceLegalHoldHandler,
  LiftLegalHoldHandler,
  AllocateBudgetHandler,
  ImportPaymentListHandler,
  SignDigestHandler,
  MigrateLedgerHandler,
  RecordDisclosureHandler,
  PersonalDataAccessHandler,
  RetentionDueHandler,
  SeedDemoLedgerHandler,
  AddUserHandler,
  ChangeUserRoleHandler,
  IssueTokenHandler,
  RevokeTokenHandler,
  ListUsersHandler,
  ProgramCatalogHandler,
  ProgramHandler,
  ProgramTotalsHandler,
  ReplayedProgramTotalsHandler,
  BudgetAllocationsHandler,
  BeneficiaryHistoryHandler,
  DisbursementLookupHandler,
  AnomaliesHandler,
  ReplayedAnomaliesHandler,
  DeclaredReportsHandler,
  ReconciliationHandler,
  ReconcileOnReplayHandler,
  PublicKeyHandler,
  DigestsHandler,
  InclusionProofHandler,
  ConsistencyProofHandler,
  VerifyLogHandler,
  LogExportHandler,
];

/**
 * The application for a Nest module (the service's and the CLI's alike, with CqrsModule imported):
 * the write pipeline, the services the use cases share, and every handler. The module provides the
 * infrastructure tokens (SETTINGS, CATALOG, EVENT_STORE, READ_MODELS; COMMAND_OBSERVER, CLOCK optional).
 */
export const APPLICATION_PROVIDERS: Provider[] = [WritePipeline, StudentRecords, AccessControl, AuditService, ImportService, ReadSide, ...USE_CASE_HANDLERS];
