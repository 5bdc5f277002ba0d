import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { EventStore } from '@ledger/event-store';
import { ReadModels } from '@ledger/projections';
import { AuditService, EVENT_STORE, READ_MODELS } from '@ledger/application';
import { GracefulShutdown } from '../operations/graceful-shutdown';
import { Reply } from '../edge/replies';

/** How long readiness waits for the projections to reach the log head before answering "behind". */
const READY_WAIT_MS = 250;

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_MODELS) private readonly models: ReadModels,
    private readonly shutdown: GracefulShutdown,
    private readonly audit: AuditService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Alive: the store answers and the read models follow the log (503 when they stopped); shows their lag, and whether the service vouches for the log (the witness, the signing key)',
  })
  async health() {
    // The checkpoint first: read after the head, it could be past it (events applied meanwhile).
    const checkpoint = this.models.checkpoint;
    const head = await this.store.headPosition();
    if (this.models.failure) throw new ServiceUnavailableException(`read models stopped at position ${checkpoint}: ${this.models.failure.message}`);
    return {
      status: 'ok',
      logPosition: head.toString(),
      readModelsPosition: checkpoint.toString(),
      readModelsLag: (head - checkpoint).toString(),
      ...(this.models.refusedAtStart && { readModelsRefusedAtStart: this.models.refusedAtStart }),
      integrity: this.audit.integrityStatus(),
    };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Ready for traffic: the store answers, every projection has applied the whole log, no integrity alarm is raised, and the service is not stopping (else 503 with the reasons)' })
  async ready() {
    const reasons: string[] = [];
    let head: bigint | undefined;
    try {
      head = await this.store.headPosition();
    } catch (error) {
      reasons.push(`the event store is unreachable: ${(error as Error).message}`);
    }
    // Under a write load the projections trail the log by a few milliseconds: give them a moment
    // (as a read would) so that readiness means "can answer reads now", and does not flap.
    if (head !== undefined) await this.models.waitFor(head, READY_WAIT_MS).catch(() => undefined);
    if (this.models.failure) reasons.push(`the read models stopped: ${this.models.failure.message}`);
    const projections = Object.fromEntries([...this.models.checkpointsByProjection].map(([name, position]) => [name, position.toString()]));
    if (head !== undefined) {
      for (const [name, position] of this.models.checkpointsByProjection) {
        if (position < head) reasons.push(`projection ${name} is at position ${position}, the log at ${head}`);
      }
    }
    const { witness } = this.audit.integrityStatus();
    if (witness.alarm) reasons.push(`integrity alarm: ${witness.alarm.kind} at position ${witness.alarm.position}: ${witness.alarm.detail}`);
    if (this.shutdown.draining) reasons.push('the service is shutting down');
    const body = { ready: reasons.length === 0, logPosition: head?.toString() ?? null, projections, ...(reasons.length > 0 && { reasons }) };
    // A plain JSON body either way: load balancers and orchestrators read the status, people the reasons.
    return reasons.length > 0 ? new Reply(body, { status: 503 }) : body;
  }
}
