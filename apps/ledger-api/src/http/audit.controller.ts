import { ArgumentsHost, Catch, Controller, ExceptionFilter, Get, HttpCode, Post, Query, UseFilters } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  AuditUnavailableError,
  ConsistencyProofQuery,
  DigestsQuery,
  InclusionProofQuery,
  PublicKeyQuery,
  SignDigestCommand,
  VerifyLogQuery,
  WriteContext,
} from '@ledger/application';
import { problemOf } from './problem-details.filter';
import { problemAnswerOf } from '../edge/reply-writer';
import { Write } from './write-context.decorator';

/**
 * No evidence now (the witness is still checking the log, found a difference, or there is no key
 * to sign with): 503 with the reason, and the integrity status (the witness's progress, its alarm).
 */
@Catch(AuditUnavailableError)
class AuditUnavailableFilter implements ExceptionFilter {
  catch(error: AuditUnavailableError, host: ArgumentsHost): void {
    const answer = problemAnswerOf(host);
    const problem = { ...problemOf(503, error.code, error.message), instance: answer.path, integrity: error.integrity };
    answer.send(problem, error.code === 'INTEGRITY_CHECK_IN_PROGRESS' ? { 'Retry-After': '5' } : {});
  }
}

/** The auditor's evidence: digests, proofs, verification. */
@ApiTags('audit')
@ApiBearerAuth()
@UseFilters(AuditUnavailableFilter)
@Controller('audit')
export class AuditController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @Get('public-key')
  @ApiOperation({ summary: 'The Ed25519 public key that signs the log digests (keep it with your digests)' })
  publicKey() {
    return this.queryBus.execute(new PublicKeyQuery());
  }

  @Get('digests')
  @ApiOperation({ summary: 'Every signed digest of the log: tree size, Merkle root (RFC 6962), last position, signature' })
  async digests() {
    return this.queryBus.execute(new DigestsQuery());
  }

  @Post('digests')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Sign a digest of the log now, as the service has checked it, to keep off the machine (auditors, admins; it also signs one at every tree size that is a multiple of LEDGER_DIGEST_EVERY); 503 while it cannot vouch for the log',
  })
  async signDigest(@Write() write: WriteContext) {
    return { digest: (await this.commandBus.execute(new SignDigestCommand(write))) ?? null };
  }

  @Get('proofs/inclusion')
  @ApiOperation({ summary: 'Inclusion proof (RFC 6962 audit path): this event is leaf i of the tree of size N' })
  @ApiQuery({ name: 'eventId' })
  @ApiQuery({ name: 'treeSize', required: false, description: 'default: the latest digest' })
  async inclusion(@Query('eventId') eventId?: string, @Query('treeSize') treeSize?: string) {
    return this.queryBus.execute(new InclusionProofQuery(eventId, treeSize));
  }

  @Get('proofs/consistency')
  @ApiOperation({ summary: 'Consistency proof (RFC 6962): the tree of size M is a prefix of the tree of size N' })
  @ApiQuery({ name: 'firstSize' })
  @ApiQuery({ name: 'secondSize', required: false, description: 'default: the whole log' })
  async consistency(@Query('firstSize') firstSize?: string, @Query('secondSize') secondSize?: string) {
    return this.queryBus.execute(new ConsistencyProofQuery(firstSize, secondSize));
  }

  @Get('verify')
  @ApiOperation({ summary: 'Recompute the hash chains, the Merkle roots and the digest signatures; name the first bad position' })
  verify() {
    return this.queryBus.execute(new VerifyLogQuery());
  }
}
