import { randomBytes } from 'node:crypto';

/**
 * Random bytes for IVs, keys and student keys, drawn from a pool filled 4 KiB at a time: a call of
 * node's randomBytes costs some microseconds whatever its size, and an import makes several per row
 * (15 % of its time, npm run bench:import). The bytes handed out are copied and wiped from the pool,
 * so no key stays in it.
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

export function freshRandom(bytes: number): Buffer {
  if (bytes > POOL_BYTES) return randomBytes(bytes);
  if (offset + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const drawn = Buffer.from(pool.subarray(offset, offset + bytes));
  pool.fill(0, offset, offset + bytes);
  offset += bytes;
  return drawn;
}
