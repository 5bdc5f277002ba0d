import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { EventStore } from '@ledger/event-store';
import { ReadModels } from '@ledger/projections';
import { EVENT_STORE, READ_MODELS } from '@ledger/application';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_MODELS) private readonly models: ReadModels,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Ready: the store answers and the read models follow the log (503 when they stopped); shows their lag' })
  async health() {
    const head = await this.store.headPosition();
    const checkpoint = this.models.checkpoint;
    if (this.models.failure) throw new ServiceUnavailableException(`read models stopped at position ${checkpoint}: ${this.models.failure.message}`);
    return { status: 'ok', logPosition: head.toString(), readModelsPosition: checkpoint.toString(), readModelsLag: (head - checkpoint).toString() };
  }
}
