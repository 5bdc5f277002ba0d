import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BodyKeyRepeated, BodyTooDeep } from '@ledger/domain';
import { MalformedJsonError, UnsupportedMediaTypeError } from '../http/problem-details.filter';

/**
 * How deep a JSON body may nest objects and arrays. A request needs 3 (body → student → field);
 * what is deeper is refused before it is parsed, since the code behind the parser (the pipes, the
 * request hash) walks bodies recursively and a body of nested brackets would exhaust its stack.
 */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const COLON = 0x3a;
/** A key named back in a message: a field name as the routes take them, nothing a person could have typed. */
const NAMEABLE_KEY = /^[A-Za-z_$][\w$.-]{0,63}$/;

/**
 * One pass over the raw bytes, outside strings: it counts brackets and stops at the first level too
 * deep, so 1 MB of `[[[[…` costs 33 bytes of reading; and it refuses an object that names a key
 * twice, which JSON.parse would take silently, keeping the last (`{"student": {…}, "student": {…}}`
 * would record other data than a reviewer of the body reads first). The bytes are UTF-8 (RFC 8259
 * §8.1 requires it between systems), where no byte of a multi-byte character can be mistaken for a
 * bracket, a quote or a backslash; other charsets are refused.
 */
export function refuseDeepJson(body: Buffer, charset: string | undefined): void {
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw Object.assign(new Error(`JSON bodies must be UTF-8, not ${charset}`), { status: 415 });
  }
  // The keys of each object open at this point (undefined for an array); the last string read.
  const open: Array<Set<string> | undefined> = [];
  let stringStart = -1;
  let lastString: [number, number] | undefined;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === BACKSLASH) i++; // the escaped character is text, whatever it is
      else if (byte === QUOTE) {
        inString = false;
        lastString = [stringStart, i + 1];
      }
    } else if (byte === QUOTE) {
      inString = true;
      stringStart = i;
    } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      if (open.length >= MAX_JSON_DEPTH) {
        throw new BodyTooDeep(
          `请求体的对象和数组嵌套超过 ${MAX_JSON_DEPTH} 层（一个请求只需 3 层）/ the request body is nested deeper than ${MAX_JSON_DEPTH} levels of objects and arrays (a request needs 3)`,
          'body',
        );
      }
      open.push(byte === OPEN_OBJECT ? new Set() : undefined);
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) open.pop();
    else if (byte === COLON && lastString && open.length > 0) {
      const keys = open[open.length - 1];
      const key = keyOf(body, lastString);
      if (keys && key !== undefined) {
        if (keys.has(key)) {
          const named = NAMEABLE_KEY.test(key) ? `"${key}"` : 'a key';
          throw new BodyKeyRepeated(`请求体的同一对象中 ${named} 出现了两次（第 ${lastString[0]} 字节处）/ the request body names ${named} twice in one object (at byte ${lastString[0]}): name each field once`, 'body');
        }
        keys.add(key);
      }
    }
  }
}

/** A string token of the body as JavaScript reads it (escapes resolved); undefined when it does not parse (the parser then says where). */
function keyOf(body: Buffer, [from, to]: [number, number]): string | undefined {
  try {
    return JSON.parse(body.toString('utf8', from, to)) as string;
  } catch {
    return undefined;
  }
}

const charsetOf = (contentType: string | undefined) => /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1].toLowerCase();

/**
 * A JSON body: depth and charset checked on the bytes first, then parsed with JSON.parse (not a
 * "secure" parser: a key named `__proto__` must reach the validation, which names it as a field it
 * refuses). Only objects and arrays are bodies; an empty body is an empty object. A body that does
 * not parse is BODY_MALFORMED with the position only, never quoting the body back.
 */
export function parseJsonBody(request: FastifyRequest, body: Buffer): unknown {
  refuseDeepJson(body, charsetOf(request.headers['content-type']));
  const text = body.toString('utf8');
  const first = /\S/.exec(text);
  if (!first) return {};
  if (first[0] !== '{' && first[0] !== '[') throw new MalformedJsonError(String(first.index), true);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MalformedJsonError(/at position (\d+)/.exec(String((error as Error).message))?.[1]);
  }
}

/** The routes whose body is not JSON: the import takes a multipart upload. */
const NOT_JSON_ROUTES: ReadonlySet<string> = new Set(['/imports']);

/**
 * Bodies: JSON for every route but the import (multipart, read by uploads.ts). A body sent to a
 * JSON route as anything else (text/plain, curl -d's form encoding, no Content-Type at all) is
 * refused with a 415 before it is read: the route would see an empty body ("every field must be a
 * string"), or, where every field is optional, act on it. A write without a body is left to the route.
 */
export function registerBodyParsers(instance: FastifyInstance, bodyLimit: number): void {
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    try {
      done(null, parseJsonBody(request, body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  instance.addContentTypeParser('*', { bodyLimit }, (request, payload, done) => {
    if (NOT_JSON_ROUTES.has(request.routeOptions.url ?? '')) {
      // The import reads no other body: it answers that the list must be sent as multipart.
      payload.resume();
      payload.once('end', () => done(null, undefined));
      return;
    }
    const sentAs = request.headers['content-type']?.split(';')[0].trim().slice(0, 100);
    const message = `the body must be JSON, sent with Content-Type: application/json (this one was sent ${sentAs ? `as ${sentAs}` : 'without a Content-Type'})`;
    done(new UnsupportedMediaTypeError('Content-Type', message), undefined);
  });
}

/** "512kb", "1mb" (LEDGER_BODY_LIMIT) in bytes. */
export function bytesOf(size: string): number {
  const [, amount, unit] = /^(\d+)(b|kb|mb)$/i.exec(size) ?? [];
  if (!amount) throw new Error(`"${size}" is not a size like 512kb or 1mb`);
  return Number(amount) * 1024 ** ['b', 'kb', 'mb'].indexOf(unit.toLowerCase());
}
