import { Controller, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CommandBus } from '@nestjs/cqrs';
import { ImportPaymentListCommand, WriteContext, csvForExcel, formatProblem, refuseProblems, unknownParameterProblems } from '@ledger/application';
import { ImportFileUnreadable } from '@ledger/domain';
import { RequestInvalidError } from './problem-details.filter';
import { Reply } from '../edge/replies';
import { UPLOAD_FIELD, UploadedList, UploadedPaymentList } from '../edge/uploads';
import { Write } from './write-context.decorator';

/** Payment lists (CSV or XLSX) uploaded whole: a dry run first, then all rows or none. */
@ApiTags('record aid')
@ApiBearerAuth()
@Controller('imports')
export class ImportsController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post()
  @HttpCode(200)
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } } } })
  @ApiOperation({ summary: 'Import a payment list (CSV or XLSX, Chinese or English headers): dry run by default; commit=true records all rows or none' })
  @ApiQuery({ name: 'commit', required: false, description: 'true to record the rows (only when no row has a problem)' })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv'], description: 'the problem report as CSV' })
  async upload(
    @UploadedPaymentList() file: UploadedList | undefined,
    @Write() write: WriteContext,
    @Query() query: Record<string, string | undefined>,
  ) {
    // The query string first, as every query route reads it: unknown parameters and bad values named, none echoed.
    const { commit, format = 'json' } = query;
    const problems = unknownParameterProblems(query, ['commit', 'format']);
    const badFormat = formatProblem(format, ['json', 'csv']);
    if (badFormat) problems.push(badFormat);
    if (commit !== undefined && commit !== 'true' && commit !== 'false') problems.push({ field: 'commit', message: 'commit must be true or false' });
    refuseProblems(problems);
    if (!file) throw new RequestInvalidError([{ field: UPLOAD_FIELD, message: `send the payment list as the multipart field "${UPLOAD_FIELD}"` }]);
    // The same answer for either kind of file (an empty CSV would read as a list of no rows, an empty XLSX as no workbook).
    if (file.size === 0) throw new ImportFileUnreadable('the file is empty: there is no list in it', UPLOAD_FIELD);
    const { fileName } = file;
    const extension = fileName.toLowerCase().split('.').pop();
    if (extension !== 'csv' && extension !== 'xlsx') throw new RequestInvalidError([{ field: UPLOAD_FIELD, message: 'the file must be .csv or .xlsx' }]);
    // The temporary file is removed by the edge once this is answered.
    const report = await this.commandBus.execute(new ImportPaymentListCommand(file.path, { format: extension, fileName, commit: commit === 'true', write }));
    const status = report.problems.length > 0 ? 422 : report.committed ? 201 : 200;
    if (format === 'csv') {
      return new Reply(csvForExcel(report.problems, { header: true, columns: ['row', 'column', 'code', 'message'] }), { status, headers: { 'Content-Type': 'text/csv; charset=utf-8' }, personalData: true });
    }
    return new Reply(report, { status });
  }
}
