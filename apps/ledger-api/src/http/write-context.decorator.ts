/** The write's metadata (actor, Idempotency-Key, request hash, correlation and causation ids): read from the request by the edge. */
export { Write } from '../edge/request-context';
