import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ImportFormat, ImportReport, ImportService } from './import-payment-list.service';
import { WriteContext } from '../write-context';

/** Check a payment list (a dry run), or with `commit` record its new rows, all or none. */
export class ImportPaymentListCommand extends Command<ImportReport> {
  constructor(
    /** The file on disk (an upload's temporary file, or the CLI's argument). */
    readonly path: string,
    readonly options: { format: ImportFormat; fileName: string; commit: boolean; write: WriteContext; onProgress?: (rows: number) => void },
  ) {
    super();
  }
}

@CommandHandler(ImportPaymentListCommand)
export class ImportPaymentListHandler implements ICommandHandler<ImportPaymentListCommand, ImportReport> {
  constructor(private readonly imports: ImportService) {}

  execute({ path, options }: ImportPaymentListCommand): Promise<ImportReport> {
    return this.imports.run(path, options);
  }
}
