import { CanActivate, Controller, ExecutionContext, Get, INestApplication, Injectable, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import { Download, Reply, Streamed } from './replies';
import { LedgerRequest } from './request-context';
import { LedgerFastifyAdapter } from './reply-writer';
import { ProblemDetailsFilter } from '../http/problem-details.filter';

const STUDENT = { student: { residentId: '654002201001010015', name: '阿依古丽' }, payee: { account: '6222020200112233' }, note: '联系 13912345678' };

/** Plays the access guard's part: the caller named by the `x-test-role` header, or none. */
@Injectable()
class TestCaller implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<LedgerRequest>();
    const role = request.headers['x-test-role'];
    if (typeof role === 'string') request.actor = { id: 'someone', role } as LedgerRequest['actor'];
    return true;
  }
}

@Controller()
@UseGuards(TestCaller)
class AnswersController {
  @Get('student')
  student() {
    return STUDENT;
  }

  @Get('reply')
  reply() {
    return new Reply({ ...STUDENT, ok: false }, { status: 503, headers: { 'Retry-After': '5' } });
  }

  @Get('download')
  download() {
    return new Download('text/csv; charset=utf-8', '2022年秋季发放名单.csv', 'a,b\n1,2\n');
  }

  @Get('ascii-download')
  asciiDownload() {
    return new Download('text/csv; charset=utf-8', 'totals.csv', 'a\n');
  }

  @Get('personal-stream')
  personalStream() {
    async function* lines() {
      yield `${JSON.stringify(STUDENT)}\n`;
    }
    return new Streamed('application/x-ndjson; charset=utf-8', lines(), 'ledger.ndjson', true);
  }

  @Get('personal-text')
  personalText() {
    return new Reply('row,message\n1,654002201001010015 paid twice\n', { headers: { 'Content-Type': 'text/csv; charset=utf-8' }, personalData: true });
  }

  // A route of ANSWERS_PERSONAL_DATA: its unmasked answers are disclosures.
  @Get('disbursements/:disbursementId')
  disbursement() {
    return STUDENT;
  }

  @Get('stream')
  stream() {
    async function* lines() {
      for (let i = 0; i < 5000; i++) yield `{"line":${i}}\n`;
    }
    return new Streamed('application/x-ndjson; charset=utf-8', lines(), 'ledger.ndjson');
  }
}

@Module({ controllers: [AnswersController], providers: [TestCaller] })
class AnswersModule {}

describe('the reply writer', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await NestFactory.create(AnswersModule, new LedgerFastifyAdapter(), { logger: false });
    await app.init();
    await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  });
  afterAll(() => app.close());

  it('masks personal data for a caller who sees it masked, and leaves it whole for one who sees it', async () => {
    const bureau = await request(app.getHttpServer()).get('/student').set('x-test-role', 'bureau_staff').expect(200);
    expect(bureau.body).toEqual({ student: { residentId: '654002********0015', name: '阿***' }, payee: { account: '622202******2233' }, note: '联系 139****5678' });
    const officer = await request(app.getHttpServer()).get('/student').set('x-test-role', 'finance_officer').expect(200);
    expect(officer.body).toEqual(STUDENT);
  });

  it('fails closed: an answer to a caller nobody authenticated is masked as for the most restricted role', async () => {
    const anonymous = await request(app.getHttpServer()).get('/student').expect(200);
    const bureau = await request(app.getHttpServer()).get('/student').set('x-test-role', 'bureau_staff').expect(200);
    expect(anonymous.body).toEqual(bureau.body);
    expect(JSON.stringify(anonymous.body)).not.toContain('654002201001010015');
    const unknownRole = await request(app.getHttpServer()).get('/student').set('x-test-role', 'janitor').expect(200);
    expect(unknownRole.body).toEqual(bureau.body);
  });

  it('writes a Reply with its status and headers, its body masked all the same', async () => {
    const response = await request(app.getHttpServer()).get('/reply').expect(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body.student.residentId).toBe('654002********0015');
  });

  it('sends a download with its type and a Content-Disposition that keeps a Chinese file name', async () => {
    const response = await request(app.getHttpServer()).get('/download').expect(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    // RFC 6266: the name in UTF-8 for browsers, an ASCII stand-in for clients that know only `filename`.
    expect(response.headers['content-disposition']).toBe(`attachment; filename="2022_______.csv"; filename*=UTF-8''${encodeURIComponent('2022年秋季发放名单.csv')}`);
    expect(response.text).toBe('a,b\n1,2\n');
    const ascii = await request(app.getHttpServer()).get('/ascii-download').expect(200);
    expect(ascii.headers['content-disposition']).toBe('attachment; filename="totals.csv"');
  });

  it('streams an answer chunk by chunk, whole', async () => {
    const response = await request(app.getHttpServer()).get('/stream').buffer(true).parse((res, done) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => done(null, text));
    });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(response.headers['content-disposition']).toBe('attachment; filename="ledger.ndjson"');
    expect(response.headers['transfer-encoding']).toBe('chunked');
    const lines = (response.body as string).trim().split('\n');
    expect(lines).toHaveLength(5000);
    expect(JSON.parse(lines[4999])).toEqual({ line: 4999 });
  });

  it('does not send text or streams that hold personal data to a caller who would see it masked, or to no known caller', async () => {
    for (const path of ['/personal-stream', '/personal-text']) {
      const statuses: Record<string, number> = {};
      for (const role of ['auditor', 'finance_officer', 'bureau_staff', 'admin', undefined]) {
        const call = request(app.getHttpServer()).get(path);
        const response = await (role ? call.set('x-test-role', role) : call);
        statuses[role ?? 'nobody'] = response.status;
        if (response.status === 403) expect(response.text).not.toContain('654002201001010015');
      }
      expect({ path, statuses }).toEqual({ path, statuses: { auditor: 200, finance_officer: 200, bureau_staff: 403, admin: 403, nobody: 403 } });
    }
  });
});

describe('the reply writer with no recorder of disclosures', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await NestFactory.create(AnswersModule, new LedgerFastifyAdapter(), { logger: false });
    app.useGlobalFilters(new ProblemDetailsFilter());
    await app.init();
    await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  });
  afterAll(() => app.close());

  it('fails closed: an unmasked answer of a route that answers personal data is refused (503), a masked one and any other route are sent', async () => {
    const refused = await request(app.getHttpServer()).get('/disbursements/d-1').set('x-test-role', 'auditor').expect(503);
    expect(refused.body).toMatchObject({ code: 'DISCLOSURE_NOT_RECORDED' });
    expect(refused.text).not.toContain('654002201001010015');
    const masked = await request(app.getHttpServer()).get('/disbursements/d-1').set('x-test-role', 'bureau_staff').expect(200);
    expect(masked.body.student.residentId).toBe('654002********0015');
    await request(app.getHttpServer()).get('/student').set('x-test-role', 'auditor').expect(200);
  });
});
