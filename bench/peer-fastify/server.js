// The HTTP benchmark's third reference point: the same empty endpoints as bench/http-reference-server.ts,
// on Nest 11 with the Fastify adapter (installed here, not in the product). Plain JavaScript so that it
// loads this folder's own Nest. Run by bench/http.ts: node bench/peer-fastify/server.js PORT
require('reflect-metadata');
const { Body, Controller, Get, HttpCode, Module, Post } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { FastifyAdapter } = require('@nestjs/platform-fastify');
const TOTALS = JSON.stringify(require('../http-reference-answer.json'));

class ReferenceController {
  record(body) {
    return { disbursementId: 'reference', amount: body.amount ?? null };
  }
  totals() {
    return TOTALS;
  }
}
const method = (name) => Object.getOwnPropertyDescriptor(ReferenceController.prototype, name);
Reflect.decorate([Post('disbursements'), HttpCode(201)], ReferenceController.prototype, 'record', method('record'));
Body()(ReferenceController.prototype, 'record', 0);
Reflect.decorate([Get('totals')], ReferenceController.prototype, 'totals', method('totals'));
const controller = Reflect.decorate([Controller()], ReferenceController);
const ReferenceModule = Reflect.decorate([Module({ controllers: [controller] })], class ReferenceModule {});

NestFactory.create(ReferenceModule, new FastifyAdapter(), { logger: false }).then((app) => app.listen(Number(process.argv[2]), '127.0.0.1'));
