import type { NextFunction, Request, Response } from 'express';
import { maskAccount, maskName, maskStudentKey, maskStudentNumber, maskResidentId } from '@ledger/domain';
import { AuthenticatedRequest } from './access.guard';
import { SEES_PERSONAL_DATA } from './route-permissions';

const MASK_BY_KEY: Record<string, (value: string) => string> = {
  residentId: maskResidentId,
  studentNumber: maskStudentNumber,
  beneficiaryKey: maskStudentKey,
  studentKey: maskStudentKey,
  key: maskStudentKey,
  account: maskAccount,
};

/** Objects whose `name` is a person's (a payee's `name` is a canteen or a university). */
const PERSON_OBJECTS = new Set(['beneficiary', 'student']);

/** A copy of `value` with every personal field masked, wherever it sits in the response. */
export function maskPersonalData(value: unknown, parentKey = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => maskPersonalData(item, parentKey));
  // Only plain data is walked: files and buffers (XLSX downloads) pass through as they are.
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value;
  const masked: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    if (typeof field === 'string') {
      if (key === 'key' && !PERSON_OBJECTS.has(parentKey)) masked[key] = field;
      else if (MASK_BY_KEY[key]) masked[key] = MASK_BY_KEY[key](field);
      else if (key === 'name' && PERSON_OBJECTS.has(parentKey)) masked[key] = maskName(field);
      else if (key === 'streamId' && field.startsWith('beneficiary-')) masked[key] = `beneficiary-${maskStudentKey(field.slice(12))}`;
      else masked[key] = field;
    } else masked[key] = maskPersonalData(field, key);
  }
  return masked;
}

/**
 * Masks every JSON answer for roles that need no personal data (DOMAIN.md §2 convention), where the
 * answer is written: every handler's result goes out through `response.json`, and so does anything a
 * handler sends as JSON itself. (A Nest interceptor did this before; Nest binds an AsyncResource per
 * request for interceptors, which cost 15–30 % of the write throughput, measured with bench:http.)
 * The role is the one the access guard found, which runs before any handler.
 */
export function maskPersonalDataInAnswers(request: Request, response: Response, next: NextFunction): void {
  const json = response.json;
  response.json = function (this: Response, body?: unknown) {
    const actor = (request as AuthenticatedRequest).actor;
    return json.call(this, actor && !SEES_PERSONAL_DATA[actor.role] ? maskPersonalData(body) : body);
  };
  next();
}
