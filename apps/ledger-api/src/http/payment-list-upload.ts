import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import multer, { MulterError, diskStorage } from 'multer';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Observable, finalize } from 'rxjs';
import { SETTINGS, Settings } from '@ledger/application';
import { FieldProblem } from '@ledger/domain';
import { RequestInvalidError, UploadTooLargeError } from './problem-details.filter';

/** The multipart field that holds the payment list. */
export const UPLOAD_FIELD = 'file';

/** What multer found wrong with the body, as the problem of the field at fault. */
function uploadProblem(error: unknown, limit: string): unknown {
  if (error instanceof MulterError) {
    const field = error.field ?? UPLOAD_FIELD;
    switch (error.code) {
      case 'LIMIT_FILE_SIZE':
        return new UploadTooLargeError([{ field, message: `the file is larger than ${limit} (LEDGER_UPLOAD_LIMIT): import the list in parts, or raise the limit` }]);
      case 'LIMIT_UNEXPECTED_FILE':
      case 'LIMIT_FILE_COUNT':
        return new RequestInvalidError([
          field === UPLOAD_FIELD
            ? { field, message: `send one file only in the field "${UPLOAD_FIELD}": one payment list per import` }
            : { field, message: `send the payment list as the multipart field "${UPLOAD_FIELD}", not "${field}"` },
        ]);
      default:
        return new RequestInvalidError([{ field, message: `the multipart body is refused: ${error.message.toLowerCase()}` }]);
    }
  }
  // The operating system's errors (a full temporary directory) are ours, not the caller's.
  if (typeof (error as { code?: unknown })?.code === 'string' && /^E[A-Z]+$/.test((error as { code: string }).code)) return error;
  // The multipart parser's own (busboy's): the body is not the multipart form it says it is.
  const message = String((error as Error)?.message ?? error);
  const problem: FieldProblem = /unexpected end/i.test(message)
    ? { field: UPLOAD_FIELD, message: 'the multipart body ended before the file did (the upload was cut short): send it again' }
    : { field: UPLOAD_FIELD, message: `the multipart body cannot be read (${message.replace(/^Multipart: /, '').toLowerCase()}): send the list as multipart/form-data` };
  return new RequestInvalidError([problem]);
}

/**
 * Reads the payment list of an import from the multipart body into a temporary file (multer),
 * refusing what cannot be read as a `REQUEST_INVALID` problem naming the field (Nest's own
 * FileInterceptor answers "Unexpected file field - file" or "Multipart: Unexpected end of form",
 * without a field), and removes the file once the request is answered, however it ended.
 */
@Injectable()
export class PaymentListUpload implements NestInterceptor {
  private readonly upload: ReturnType<ReturnType<typeof multer>['single']>;

  constructor(@Inject(SETTINGS) private readonly settings: Settings) {
    // The file name's bytes, one character each (sentFileName decodes them), and its path, which is
    // dropped once decoded. An upload is one file, at most LEDGER_UPLOAD_LIMIT: a body of thousands of
    // parts is refused early, as Nest's own interceptor does.
    this.upload = multer({
      storage: diskStorage({ destination: tmpdir() }),
      limits: { fileSize: settings.uploadLimitBytes, parts: 100 },
      defParamCharset: 'latin1',
      preservePath: true,
    }).single(UPLOAD_FIELD);
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<Request>();
    const response = context.switchToHttp().getResponse<Response>();
    await new Promise<void>((resolve, reject) => this.upload(request, response, (error?: unknown) => (error ? reject(uploadProblem(error, this.settings.uploadLimit)) : resolve())));
    return next.handle().pipe(
      finalize(() => {
        if (request.file) rmSync(request.file.path, { force: true });
      }),
    );
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
