// The HTTP benchmark's reference points: what this machine serves with nothing of the ledger behind
// the endpoints — `node:http` alone, or Nest 11 on Express (the ledger's framework before it moved to
// Fastify; bench/peer-fastify/server.js is the same on Fastify, the ledger's stack now). POST /disbursements answers 201
// with a small JSON body, GET /totals a fixed answer of the size of the ledger's.
// Run by bench/http.ts: node -r ./test/support/register-ts.js bench/http-reference-server.ts node|nest PORT
import 'reflect-metadata';
import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const [kind, port] = [process.argv[2], Number(process.argv[3])];
// A fixed answer of the size of the ledger's totals for three programs (shared with bench/peer-fastify).
const TOTALS = JSON.stringify(JSON.parse(readFileSync(join(__dirname, 'http-reference-answer.json'), 'utf8')));

@Controller()
class ReferenceController {
  @Post('disbursements')
  @HttpCode(201)
  record(@Body() body: { amount?: string }) {
    return { disbursementId: 'reference', amount: body.amount ?? null };
  }

  @Get('totals')
  totals() {
    return TOTALS;
  }
}

@Module({ controllers: [ReferenceController] })
class ReferenceModule {}

async function main() {
  if (kind === 'node') {
    createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const post = request.method === 'POST';
        const body = post ? JSON.stringify({ disbursementId: 'reference', amount: JSON.parse(Buffer.concat(chunks).toString()).amount }) : TOTALS;
        response.writeHead(post ? 201 : 200, { 'content-type': 'application/json' }).end(body);
      });
    }).listen(port);
    return;
  }
  const app = await NestFactory.create(ReferenceModule, { logger: false });
  await app.listen(port, '127.0.0.1');
}

void main();
