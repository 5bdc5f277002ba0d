import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { PERSONAL_DATA_DISCLOSURES_STREAM, RecordDisclosure, disclosureDecider } from '@ledger/domain';
import { CommandOutcome, WritePipeline } from '../write-pipeline';
import { WriteContext } from '../write-context';

/**
 * Record that an answer holding personal data is about to leave the ledger unmasked (the record of
 * processing). Sent by the HTTP edge before it writes such an answer; when it cannot be recorded
 * (the store is read-only, full, or away) the answer is not sent. Who and when are the event's
 * metadata, from `write` (the caller, the request id).
 */
export class RecordDisclosureCommand extends Command<CommandOutcome> {
  constructor(
    readonly disclosure: RecordDisclosure['data'],
    readonly write: WriteContext,
  ) {
    super();
  }
}

@CommandHandler(RecordDisclosureCommand)
export class RecordDisclosureHandler implements ICommandHandler<RecordDisclosureCommand, CommandOutcome> {
  constructor(private readonly pipeline: WritePipeline) {}

  execute({ disclosure, write }: RecordDisclosureCommand): Promise<CommandOutcome> {
    // Each answer is a disclosure of its own, a repeated request too: no Idempotency-Key applies.
    const { idempotencyKey: _, ...once } = write;
    return this.pipeline.appendFacts(PERSONAL_DATA_DISCLOSURES_STREAM, disclosureDecider, undefined, { type: 'RecordDisclosure', data: disclosure }, once);
  }
}
