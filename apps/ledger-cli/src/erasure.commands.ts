import { Inject } from '@nestjs/common';
import { Command, CommandRunner as CliCommand, Option } from 'nest-commander';
import { CommandBus } from '@nestjs/cqrs';
import { AccessControl, EraseStudentDataCommand, SETTINGS, Settings } from '@ledger/application';
import { ERASURE_LEGAL_BASES } from '@ledger/domain';
import { operatorWrite } from './access.commands';

/**
 * `erase-student <student>`: the same erasure as `POST /students/:studentKey/erasure`, through the
 * same command — the record's key or any identifier of the student's; an admin names themselves
 * with --as. Prints the record's key, never an identifier.
 */
@Command({ name: 'erase-student', arguments: '<student>', description: "erase a student's personal data (by the record's key, resident ID or student number): the data key is destroyed, amounts stay" })
export class EraseStudentCommand extends CliCommand {
  constructor(
    @Inject(AccessControl) private readonly access: AccessControl,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(CommandBus) private readonly commandBus: CommandBus,
  ) {
    super();
  }

  async run([student]: string[], options: { as?: string; legalBasis: string; reference: string }): Promise<void> {
    const write = await operatorWrite(this.access, this.settings, 'erase-student', options.as, 'erase_personal_data');
    const outcome = await this.commandBus.execute(new EraseStudentDataCommand(student, { legalBasis: options.legalBasis, reference: options.reference }, write));
    console.log(`erased the personal data of record ${outcome.ids.studentKey} (${options.legalBasis}, ${options.reference}): its data key is destroyed`);
  }

  @Option({ flags: '--as <userId>', description: 'you: an admin of this ledger, recorded as the actor (required)' })
  as(value: string): string {
    return value;
  }

  @Option({ flags: '--legal-basis <basis>', description: `the legal ground: ${ERASURE_LEGAL_BASES.join(', ')}`, required: true })
  legalBasis(value: string): string {
    return value;
  }

  @Option({ flags: '--reference <reference>', description: "the case's reference (a file or ticket number, no name)", required: true })
  reference(value: string): string {
    return value;
  }
}
