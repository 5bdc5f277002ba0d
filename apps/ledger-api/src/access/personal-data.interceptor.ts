import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable, map } from 'rxjs';
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

/** Masks every response for roles that need no personal data (DOMAIN.md §2 convention). */
@Injectable()
export class PersonalDataInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const actor = context.switchToHttp().getRequest<AuthenticatedRequest>().actor;
    if (!actor || SEES_PERSONAL_DATA[actor.role]) return next.handle();
    return next.handle().pipe(map((body) => maskPersonalData(body)));
  }
}
