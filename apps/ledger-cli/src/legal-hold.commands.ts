import { Inject } from '@nestjs/common';
import { Command, CommandRunner as CliCommand, Option } from 'nest-commander';
import { CommandBus } from '@nestjs/cqrs';
import { AccessControl, LiftLegalHoldCommand, PlaceLegalHoldCommand, SETTINGS, Settings } from '@ledger/application';
import { LEGAL_HOLD_BASES } from '@ledger/domain';
import { operatorWrite } from './access.commands';

interface LegalHoldOptions {
  as?: string;
  lift?: boolean;
  legalBasis?: string;
  reference: string;
  reason?: string;
}

/**
 * `legal-hold <student>`: the same legal hold as `POST /students/:studentKey/legal-hold`, and with
 * `--lift` the same lift as `POST /students/:studentKey/legal-hold/lift`, through the same commands —
 * the record's key or any identifier of the student's; an admin names themselves with --as. Prints
 * the record's key, never an identifier.
 */
@Command({
  name: 'legal-hold',
  arguments: '<student>',
  description: "put a student on legal hold (storage only: nothing more recorded, personal data read by auditors alone), or lift it with --lift (by the record's key, resident ID or student number)",
})
export class LegalHoldCommand extends CliCommand {
  constructor(
    @Inject(AccessControl) private readonly access: AccessControl,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(CommandBus) private readonly commandBus: CommandBus,
  ) {
    super();
  }

  async run([student]: string[], options: LegalHoldOptions): Promise<void> {
    const write = await operatorWrite(this.access, this.settings, 'legal-hold', options.as, 'hold_personal_data');
    if (options.lift) {
      const outcome = await this.commandBus.execute(new LiftLegalHoldCommand(student, { reference: options.reference, reason: options.reason }, write));
      console.log(`lifted the legal hold of record ${outcome.ids.studentKey} (${options.reference})`);
      return;
    }
    const outcome = await this.commandBus.execute(new PlaceLegalHoldCommand(student, { legalBasis: options.legalBasis, reference: options.reference }, write));
    console.log(`placed record ${outcome.ids.studentKey} on legal hold (${options.legalBasis}, ${options.reference}): storage only until it is lifted`);
  }

  @Option({ flags: '--as <userId>', description: 'you: an admin of this ledger, recorded as the actor (required)' })
  as(value: string): string {
    return value;
  }

  @Option({ flags: '--lift', description: 'lift the hold instead of placing it (with --reference and --reason)' })
  lift(): boolean {
    return true;
  }

  @Option({ flags: '--legal-basis <basis>', description: `why the data must be kept (placing a hold): ${LEGAL_HOLD_BASES.join(', ')}` })
  legalBasis(value: string): string {
    return value;
  }

  @Option({ flags: '--reference <reference>', description: "the case's reference (a file or ticket number, no name)", required: true })
  reference(value: string): string {
    return value;
  }

  @Option({ flags: '--reason <reason>', description: 'why the hold is lifted (with --lift)' })
  reason(value: string): string {
    return value;
  }
}
