import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RetentionDueQuery } from '@ledger/application';

/** Retention: the students whose personal data is due for erasure (the list, and its count for the dashboard). */
@ApiTags('personal data')
@ApiBearerAuth()
@Controller('personal-data')
export class RetentionController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('retention-due')
  @ApiOperation({
    summary:
      "The students whose personal data is due for erasure today: every program's retention rule (catalog) has run out. By the record's opaque key, with each program's anchor and due date; erased students are not listed. Erase them with `npm run cli -- retention --erase`",
  })
  async due(@Query() query: Record<string, string | undefined>) {
    return this.queryBus.execute(new RetentionDueQuery(query));
  }

  @Get('retention-due/count')
  @ApiOperation({ summary: 'How many students are due for erasure today (no student named): the dashboard’s tile' })
  async count(@Query() query: Record<string, string | undefined>) {
    const { today, asOfPosition, count } = await this.queryBus.execute(new RetentionDueQuery(query));
    return { today, asOfPosition, due: count };
  }
}
