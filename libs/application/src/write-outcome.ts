import { CommandOutcome } from './write-pipeline';

/** What a write use case answers: how the command ended, and the ids of the records it names (chosen by the client or made for it). */
export interface WriteOutcome extends CommandOutcome {
  ids: Record<string, string>;
}
