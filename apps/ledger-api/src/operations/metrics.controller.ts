import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Reply } from '../edge/replies';
import { LedgerMetrics } from './ledger-metrics';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: LedgerMetrics) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Prometheus metrics: commands by type and outcome, append latency, events per second, projection lag, HTTP requests, process' })
  async scrape() {
    return new Reply(await this.metrics.registry.metrics(), { headers: { 'Content-Type': this.metrics.registry.contentType } });
  }
}
