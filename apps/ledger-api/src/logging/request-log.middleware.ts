import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

const logger = new Logger('HTTP');

/** One line per request: method, path, status, duration, caller. (The logger redacts IDs in paths.) */
export function requestLog(request: Request & { actor?: { id: string } }, response: Response, next: NextFunction) {
  const started = process.hrtime.bigint();
  response.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const who = request.actor ? ` by ${request.actor.id}` : '';
    logger.log(`${request.method} ${request.originalUrl} ${response.statusCode} ${ms.toFixed(1)} ms${who}`);
  });
  next();
}
