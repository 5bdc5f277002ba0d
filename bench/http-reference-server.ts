// The HTTP benchmark's floor: what this machine serves with `node:http` alone and nothing of the
// ledger behind the endpoints (bench/peer-fastify/server.js is the same on Nest 11 with Fastify, the
// ledger's stack). POST /disbursements answers 201 with a small JSON body, GET /totals a fixed answer
// of the size of the ledger's. Run by bench/http.ts: node -r ./test/support/register-ts.js bench/http-reference-server.ts node PORT
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const [kind, port] = [process.argv[2], Number(process.argv[3])];
// A fixed answer of the size of the ledger's totals for three programs (shared with bench/peer-fastify).
const TOTALS = JSON.stringify(JSON.parse(readFileSync(join(__dirname, 'http-reference-answer.json'), 'utf8')));

if (kind !== 'node') throw new Error(`unknown reference server "${kind}" (only: node)`);
createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const post = request.method === 'POST';
    const body = post ? JSON.stringify({ disbursementId: 'reference', amount: JSON.parse(Buffer.concat(chunks).toString()).amount }) : TOTALS;
    response.writeHead(post ? 201 : 200, { 'content-type': 'application/json' }).end(body);
  });
}).listen(port);
