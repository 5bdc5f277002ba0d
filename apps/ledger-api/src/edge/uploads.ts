import { ExecutionContext, createParamDecorator } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import multipart from '@fastify/multipart';
import { randomUUID } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { FieldProblem } from '@ledger/domain';
import { RequestInvalidError, UploadTooLargeError } from '../http/problem-details.filter';

/** The multipart field that holds the payment list. */
export const UPLOAD_FIELD = 'file';

/** A payment list as uploaded: a temporary file (removed once the request is answered), the name its client gave it (decoded, without a path), its size. */
export interface UploadedList {
  path: string;
  fileName: string;
  size: number;
}

interface UploadLimits {
  fileSize: number;
  /** LEDGER_UPLOAD_LIMIT as written, for the message. */
  limitText: string;
}

/**
 * Multipart bodies (the import's), through @fastify/multipart: one file of at most
 * LEDGER_UPLOAD_LIMIT; a body of thousands of parts is refused early. The file name keeps its path
 * (preservePath): sentFileName drops it once the name is decoded.
 */
export async function registerUploads(instance: FastifyInstance, limits: UploadLimits): Promise<void> {
  await instance.register(multipart, { preservePath: true, limits: { fileSize: limits.fileSize, parts: 100 } });
  instance.decorate('ledgerUploadLimits', limits);
  // A body that says it is larger than the limit allows is refused at once, before a byte of it is
  // read: else the answer waits for bytes a client may never send (or sends for minutes).
  instance.addHook('onRequest', (request, _reply, done) => {
    const declared = Number(request.headers['content-length']);
    // (By its header: isMultipart() is known only once the body parsers have run.)
    if (/^multipart\//i.test(request.headers['content-type'] ?? '') && declared > limits.fileSize + MULTIPART_FRAMING_BYTES) done(tooLarge(limits.limitText));
    else done();
  });
}

/** What a multipart body may hold besides its file: boundaries, part headers, a few small fields. */
const MULTIPART_FRAMING_BYTES = 1024 * 1024;

const tooLarge = (limitText: string) =>
  new UploadTooLargeError([{ field: UPLOAD_FIELD, message: `the file is larger than ${limitText} (LEDGER_UPLOAD_LIMIT): import the list in parts, or raise the limit` }]);

const kUpload = Symbol('payment list upload');
type WithUpload = FastifyRequest & { [kUpload]?: Promise<UploadedList | undefined> };

/** What the multipart reader found wrong with the body, as the problem of the field at fault. */
function uploadProblem(error: unknown, limitText: string): unknown {
  const code = (error as { code?: unknown })?.code;
  if (error instanceof RequestInvalidError) return error;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return tooLarge(limitText);
  if (code === 'FST_PARTS_LIMIT') return new RequestInvalidError([{ field: UPLOAD_FIELD, message: 'the multipart body is refused: too many parts' }]);
  if (typeof code === 'string' && code.startsWith('FST_')) {
    return new RequestInvalidError([{ field: UPLOAD_FIELD, message: `the multipart body is refused: ${String((error as Error).message).toLowerCase()}` }]);
  }
  // The operating system's errors (a full temporary directory) are ours, not the caller's.
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return error;
  // The multipart parser's own (busboy's): the body is not the multipart form it says it is.
  const message = String((error as Error)?.message ?? error);
  const problem: FieldProblem = /unexpected end|terminated early|premature/i.test(message)
    ? { field: UPLOAD_FIELD, message: 'the multipart body ended before the file did (the upload was cut short): send it again' }
    : { field: UPLOAD_FIELD, message: `the multipart body cannot be read (${message.replace(/^Multipart: /, '').toLowerCase()}): send the list as multipart/form-data` };
  return new RequestInvalidError([problem]);
}

/**
 * Reads the one payment list of a multipart body into a temporary file, refusing what cannot be
 * read as a `REQUEST_INVALID` problem naming the field (a second file, a file in another field, a
 * body cut short, too many parts) or 413 `UPLOAD_TOO_LARGE`, and removes the file once the request
 * is answered, however it ended. Undefined when the body holds no file (or is not multipart).
 */
async function readPaymentList(request: FastifyRequest, response: ServerResponse): Promise<UploadedList | undefined> {
  const { limitText } = (request.server as unknown as { ledgerUploadLimits: UploadLimits }).ledgerUploadLimits;
  if (!request.isMultipart()) return undefined;
  let upload: UploadedList | undefined;
  const remove = () => upload && rmSync(upload.path, { force: true });
  response.once('close', remove);
  // Attached in the same tick as the multipart parser's own reading (the loop's first step), so both see every byte.
  const fileNames = rawFileNames(request.raw);
  try {
    for await (const part of request.parts()) {
      if (part.type !== 'file') continue;
      if (part.fieldname !== UPLOAD_FIELD || upload) {
        part.file.resume();
        throw new RequestInvalidError([
          part.fieldname === UPLOAD_FIELD
            ? { field: UPLOAD_FIELD, message: `send one file only in the field "${UPLOAD_FIELD}": one payment list per import` }
            : { field: part.fieldname, message: `send the payment list as the multipart field "${UPLOAD_FIELD}", not "${part.fieldname}"` },
        ]);
      }
      upload = { path: join(tmpdir(), `ledger-upload-${randomUUID()}`), fileName: sentFileName(fileNames.of(part.filename)), size: 0 };
      fileNames.stop();
      const counted = upload;
      part.file.on('data', (chunk: Buffer) => (counted.size += chunk.length));
      await pipeline(part.file, createWriteStream(upload.path));
      if (part.file.truncated) throw Object.assign(new Error('request file too large'), { code: 'FST_REQ_FILE_TOO_LARGE' });
    }
  } catch (error) {
    remove();
    throw uploadProblem(error, limitText);
  } finally {
    fileNames.stop();
  }
  // Answered already (a client gone): nothing will remove the file later.
  if (response.destroyed || response.writableFinished) remove();
  return upload;
}

/** How far into a body the file's part header is looked for (fields before the file are small). */
const FILE_HEADER_WINDOW = 256 * 1024;

/**
 * The file name of the upload as the bytes its client sent, one character a byte (latin1). The
 * multipart parser decodes a plain `filename="…"` as UTF-8 and replaces what is not UTF-8 (GBK names
 * from older clients on Chinese Windows) for good, and reads a backslash in it as an escape (the
 * second byte of a GBK character can be one); sentFileName needs the bytes. A name sent as
 * `filename*=UTF-8''…` is decoded by the parser already and taken from it.
 */
/** The Content-Disposition line of the upload's file part, with its plain `filename="…"`. */
const FILE_PART_HEADER = new RegExp(`content-disposition:[^\\r\\n]*?\\bname="${UPLOAD_FIELD}"[^\\r\\n]*?;\\s*filename="([^"\\r\\n]*)"[^\\r\\n]*\\r\\n`, 'i');

function rawFileNames(body: NodeJS.ReadableStream) {
  let seen = '';
  let found: string | undefined;
  const scan = (chunk: Buffer) => {
    seen += chunk.toString('latin1');
    const header = FILE_PART_HEADER.exec(seen);
    if (header && !/filename\*=/i.test(header[0])) found = header[1];
    if (header || seen.length > FILE_HEADER_WINDOW) stop();
  };
  const stop = () => body.off('data', scan);
  body.on('data', scan);
  return { stop, of: (parsed: string) => found ?? parsed };
}

/** The uploaded payment list (see readPaymentList), read once per request, after the access guard. */
export const UploadedPaymentList = createParamDecorator((_: unknown, context: ExecutionContext): Promise<UploadedList | undefined> => {
  const request = context.switchToHttp().getRequest<WithUpload>();
  request[kUpload] ??= readPaymentList(request, context.switchToHttp().getResponse<FastifyReply>().raw);
  return request[kUpload];
});

/**
 * The name of an uploaded file as its client wrote it. rawFileNames gives the bytes of a plain
 * `filename=` one character a byte (latin1); they are read here as UTF-8, which browsers and curl send, or — when
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
