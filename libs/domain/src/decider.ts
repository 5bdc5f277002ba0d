/**
 * The shape of every aggregate's logic (after Emmett's Decider): `decide` turns a command and
 * the current state into new events or throws a DomainError; `evolve` folds one event into the
 * state. Both are pure: time, ids and configuration come in through the command or context.
 */
export interface Decider<Command, Event, State, Context> {
  initialState(): State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State, context: Context): Event[];
}

export const foldEvents = <Event, State>(
  decider: Pick<Decider<unknown, Event, State, unknown>, 'initialState' | 'evolve'>,
  events: Iterable<Event>,
): State => {
  let state = decider.initialState();
  for (const event of events) state = decider.evolve(state, event);
  return state;
};
