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
