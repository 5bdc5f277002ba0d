import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldProblem } from '@ledger/domain';
import { RequestInvalidError } from './problem-details.filter';

function flatten(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field,
      message: message.startsWith('property ') ? `${field} is not an accepted field` : message,
    }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * The names every object inherits (`__proto__`, `constructor`, `toString`, `valueOf`, …) and
 * `prototype`. Nest's pipe deletes some of them from a body and class-transformer skips the others,
 * so the whitelist never sees them: they would vanish without a word instead of being refused.
 */
const INHERITED_NAMES: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

/** Every key of `body`, at any depth, named like an inherited property, with its field path. */
export function inheritedNameProblems(body: unknown): FieldProblem[] {
  const problems: FieldProblem[] = [];
  // Iterative, so that no body can exhaust the stack here (depth is bounded earlier anyway).
  const pending: Array<{ value: unknown; path: string }> = [{ value: body, path: '' }];
  while (pending.length > 0) {
    const { value, path } = pending.pop()!;
    if (value === null || typeof value !== 'object') continue;
    for (const key of Object.keys(value)) {
      const field = path ? `${path}.${key}` : key;
      if (INHERITED_NAMES.has(key)) problems.push({ field, message: `${field} is not an accepted field` });
      else pending.push({ value: (value as Record<string, unknown>)[key], path: field });
    }
  }
  return problems.sort((a, b) => a.field.localeCompare(b.field));
}

/** DTO validation: unknown fields refused (those named like inherited properties too), every problem reported with its field path. */
class RequestValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata) {
    if (metadata.type === 'body') {
      const problems = inheritedNameProblems(value);
      if (problems.length > 0) throw new RequestInvalidError(problems);
    }
    return super.transform(value, metadata);
  }
}

export const requestValidationPipe = () =>
  new RequestValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => new RequestInvalidError(flatten(errors)),
  });
