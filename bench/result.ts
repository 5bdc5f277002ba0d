/** One benchmark's figures, printed as a line `bench/run-all.ts` picks up to write docs/benchmarks.md. */
export const RESULT_PREFIX = 'BENCH_RESULT ';

export function reportResult(name: string, figures: Record<string, number | string>): void {
  console.log(`${RESULT_PREFIX}${JSON.stringify({ name, ...figures })}`);
}
