import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { LogDigest } from '@ledger/integrity';
import { AuditService } from '../audit.service';
import { WriteContext } from '../write-context';

/**
 * Sign a digest of the log now, as the service has checked it (an auditor's or an admin's request;
 * the service also signs one at every LEDGER_DIGEST_EVERY events and after a quiet spell). Answers
 * the latest digest when the log has not grown since; undefined for an empty log.
 */
export class SignDigestCommand extends Command<LogDigest | undefined> {
  constructor(readonly write: WriteContext) {
    super();
  }
}

@CommandHandler(SignDigestCommand)
export class SignDigestHandler implements ICommandHandler<SignDigestCommand, LogDigest | undefined> {
  constructor(private readonly audit: AuditService) {}

  execute({ write }: SignDigestCommand): Promise<LogDigest | undefined> {
    const { actor, correlationId, causationId } = write;
    return this.audit.signDigestNow({ requestedBy: actor, correlationId, causationId });
  }
}
