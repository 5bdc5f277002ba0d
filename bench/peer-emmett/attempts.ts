/**
 * The peer's store can fail on a busy machine for reasons of its own (Emmett's SQLite store takes
 * BEGIN IMMEDIATE with no busy timeout: `SQLITE_BUSY: cannot commit transaction`). Its run is tried
 * again, from scratch, a few times; if it still fails, the failure is the result to report.
 */
export type Attempted<T> = { value: T; attempts: number } | { failure: string; attempts: number };

export async function withAttempts<T>(attempts: number, run: () => Promise<T>, onFailure: (error: Error, attempt: number) => void = () => undefined): Promise<Attempted<T>> {
  let last: Error | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return { value: await run(), attempts: attempt };
    } catch (error) {
      last = error instanceof Error ? error : new Error(String(error));
      onFailure(last, attempt);
    }
  }
  return { failure: `${last!.message} (${attempts} attempt${attempts === 1 ? '' : 's'})`, attempts };
}
