import { ValidationError, ValidationPipe } from '@nestjs/common';
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

/** DTO validation: unknown fields refused, every problem reported with its field path. */
export const requestValidationPipe = () =>
  new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => new RequestInvalidError(flatten(errors)),
  });
