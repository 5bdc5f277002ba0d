import { CallHandler, Controller, ExecutionContext, HttpCode, Inject, Injectable, NestInterceptor, PayloadTooLargeException, Post, Query, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { diskStorage } from 'multer';
import { ImportService, SETTINGS, Settings, WriteContext, csvForExcel } from '@ledger/application';
import { RequestInvalidError, RequestRefusedError } from './problem-details.filter';
import { Write } from './write-context.decorator';

interface UploadedList {
  path: string;
  originalname: string;
  size: number;
}

/**
 * The upload of a payment list (multipart field "file"), stored in a temporary file as it arrives and
 * limited to LEDGER_UPLOAD_LIMIT: beyond it multer stops storing it, and the request is refused with
 * 413, naming the limit.
 */
@Injectable()
export class PaymentListUpload implements NestInterceptor {
  private readonly multer: NestInterceptor;

  constructor(@Inject(SETTINGS) private readonly settings: Settings) {
    const Interceptor = FileInterceptor('file', {
      storage: diskStorage({ destination: tmpdir() }),
      limits: { fileSize: settings.uploadLimitBytes },
      // The file name's bytes, one character each (see sentFileName), and its path, which is dropped once decoded.
      defParamCharset: 'latin1',
      preservePath: true,
    });
    this.multer = new Interceptor();
  }

  async intercept(context: ExecutionContext, next: CallHandler) {
    try {
      return await this.multer.intercept(context, next);
    } catch (error) {
      if (!(error instanceof PayloadTooLargeException)) throw error;
      const limit = `${this.settings.uploadLimit} (LEDGER_UPLOAD_LIMIT)`;
      throw new RequestRefusedError(413, 'UPLOAD_TOO_LARGE', [{ field: 'file', message: `the file is larger than ${limit}: import the list in parts, or raise the limit` }]);
    }
  }
}

/**
 * The name of an uploaded file as its client wrote it. busboy gives the bytes of a plain `filename=`
 * one character a byte (latin1); they are read here as UTF-8, which browsers and curl send, or — when
 * they are not UTF-8 — as GB18030, which older clients on Chinese Windows send (GBK is part of it). A
 * name sent as `filename*=UTF-8''…` arrives decoded already. A path before the name is dropped only
 * after decoding: the second byte of a GBK character can be a backslash (淺 is 0x9C 0x5C).
 */
export function sentFileName(received: string): string {
  let name = received;
  if (!/[^\u0000-\u00ff]/.test(received)) {
    const bytes = Buffer.from(received, 'latin1');
    name = new TextDecoder('utf-8').decode(bytes); // neither encoding: UTF-8, with replacement characters
    for (const encoding of ['utf-8', 'gb18030']) {
      try {
        name = new TextDecoder(encoding, { fatal: true }).decode(bytes);
        break;
      } catch {
        // not this encoding
      }
    }
  }
  return name.split(/[\\/]/).pop()!;
}

/** Payment lists (CSV or XLSX) uploaded whole: a dry run first, then all rows or none. */
@ApiTags('record aid')
@ApiBearerAuth()
@Controller('imports')
export class ImportsController {
  constructor(private readonly imports: ImportService) {}

  @Post()
  @HttpCode(200)
  @UseInterceptors(PaymentListUpload)
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } } } })
  @ApiOperation({ summary: 'Import a payment list (CSV or XLSX, Chinese or English headers): dry run by default; commit=true records all rows or none' })
  @ApiQuery({ name: 'commit', required: false, description: 'true to record the rows (only when no row has a problem)' })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv'], description: 'the problem report as CSV' })
  async upload(
    @UploadedFile() file: UploadedList | undefined,
    @Write() write: WriteContext,
    @Res({ passthrough: true }) response: Response,
    @Query('commit') commit?: string,
    @Query('format') format = 'json',
  ) {
    if (!file) throw new RequestInvalidError([{ field: 'file', message: 'send the payment list as multipart field "file"' }]);
    try {
      const fileName = sentFileName(file.originalname);
      const extension = fileName.toLowerCase().split('.').pop();
      if (extension !== 'csv' && extension !== 'xlsx') throw new RequestInvalidError([{ field: 'file', message: 'the file must be .csv or .xlsx' }]);
      if (commit !== undefined && commit !== 'true' && commit !== 'false') throw new RequestInvalidError([{ field: 'commit', message: 'commit must be true or false' }]);
      const report = await this.imports.run(file.path, { format: extension, fileName, commit: commit === 'true', write });
      if (report.problems.length > 0) response.status(422);
      else if (report.committed) response.status(201);
      if (format === 'csv') {
        response.type('text/csv; charset=utf-8');
        return csvForExcel(report.problems, { header: true, columns: ['row', 'column', 'code', 'message'] });
      }
      return report;
    } finally {
      rmSync(file.path, { force: true });
    }
  }
}
