import { Decider } from '../decider';
import { DomainError } from '../errors';

/**
 * Given/when/then for deciders (after Emmett's DeciderSpecification), for jest:
 *
 *   spec.given([...events]).when(command).then([...events])
 *   spec.given([...events]).when(command).thenFails('DUPLICATE_PAYMENT')
 */
export function deciderSpecification<Command, Event, State, Context>(
  decider: Decider<Command, Event, State, Context>,
  context: Context,
) {
  return {
    given(events: Event[]) {
      return {
        when(command: Command) {
          const run = () => {
            let state = decider.initialState();
            for (const event of events) state = decider.evolve(state, event);
            return decider.decide(command, state, context);
          };
          return {
            then(expected: Event[]) {
              expect(run()).toEqual(expected);
            },
            thenNothingHappens() {
              expect(run()).toEqual([]);
            },
            /** The command is refused with this stable code (and, when given, on this field). */
            thenFails(code: string, field?: string) {
              let caught: unknown;
              try {
                run();
              } catch (error) {
                caught = error;
              }
              expect(caught).toBeInstanceOf(DomainError);
              expect({ code: (caught as DomainError).code, ...(field && { field: (caught as DomainError).field }) }).toEqual({
                code,
                ...(field && { field }),
              });
              return caught as DomainError;
            },
          };
        },
      };
    },
  };
}

/**
 * Given/when/then for a rule that compares a new line with a record's history (history-rules.ts):
 *
 *   ruleSpecification(duplicatedPayments).given([...record]).when(payment).then([...found])
 *   ruleSpecification(loanCap).given([...loans]).when(loan).thenFails('PROGRAM_NOT_OPEN')
 */
export function ruleSpecification<Line, Record, Finding>(rule: (line: Line, record: Record) => Finding) {
  return {
    given(record: Record) {
      return {
        when(line: Line) {
          const run = () => rule(line, record);
          return {
            then(expected: Finding) {
              expect(run()).toEqual(expected);
            },
            /** The rule cannot be answered, with this stable code. */
            thenFails(code: string) {
              let caught: unknown;
              try {
                run();
              } catch (error) {
                caught = error;
              }
              expect(caught).toBeInstanceOf(DomainError);
              expect((caught as DomainError).code).toBe(code);
            },
          };
        },
      };
    },
  };
}
