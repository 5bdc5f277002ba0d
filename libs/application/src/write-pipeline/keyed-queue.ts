const settledEither = (): void => undefined;

/**
 * Runs tasks one after another per key, tasks of different keys side by side: the next task of a key
 * starts when the one before it settles, however it settles. A key is forgotten once its last task
 * settles, so keys that go idle hold no memory. A task with no other task of its key in flight runs
 * at once, with no extra promise hop.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key);
    const result = before ? before.then(task) : task();
    const tail = result.then(settledEither, settledEither);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with a task in flight (for tests: idle keys are gone). */
  get size(): number {
    return this.tails.size;
  }
}
