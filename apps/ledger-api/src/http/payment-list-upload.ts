import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import multer, { MulterError, diskStorage } from 'multer';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Observable, finalize } from 'rxjs';
import { FieldProblem } from '@ledger/domain';
import { RequestInvalidError, UploadTooLargeError } from './problem-details.filter';

/** The multipart field that holds the payment list. */
export const UPLOAD_FIELD = 'file';
const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;

/** What multer found wrong with the body, as the problem of the field at fault. */
function uploadProblem(error: unknown): unknown {
  if (error instanceof MulterError) {
    const field = error.field ?? UPLOAD_FIELD;
    switch (error.code) {
      case 'LIMIT_FILE_SIZE':
        return new UploadTooLargeError([{ field, message: `the file is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB` }]);
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
  // File names as browsers and curl send them: UTF-8 (multer's default, latin1, garbles 发放名单.xlsx).
  // An upload is one file: a body of thousands of parts is refused early, as Nest's own interceptor does.
  private readonly upload = multer({ storage: diskStorage({ destination: tmpdir() }), limits: { fileSize: MAX_UPLOAD_BYTES, parts: 100 }, defParamCharset: 'utf8' }).single(UPLOAD_FIELD);

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<Request>();
    const response = context.switchToHttp().getResponse<Response>();
    await new Promise<void>((resolve, reject) => this.upload(request, response, (error?: unknown) => (error ? reject(uploadProblem(error)) : resolve())));
    return next.handle().pipe(
      finalize(() => {
        if (request.file) rmSync(request.file.path, { force: true });
      }),
    );
  }
}
