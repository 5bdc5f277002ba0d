import { deciderSpecification } from '../testing/decider-specification';
import { PURPOSE_MAX_LENGTH, RecordDisclosure, disclosureDecider } from './personal-data-disclosure';

const spec = deciderSpecification(disclosureDecider, undefined);
const lookUp = (data: Partial<RecordDisclosure['data']> = {}): RecordDisclosure => ({
  type: 'RecordDisclosure',
  data: { route: 'GET /disbursements/:disbursementId', path: '/disbursements/d-1', format: 'json', records: 1, ...data },
});

describe('the record of a disclosure of personal data', () => {
  it('given any earlier disclosures, when an answer is disclosed, then one PersonalDataDisclosed is recorded with route, path, format and count', () => {
    const event = { type: 'PersonalDataDisclosed' as const, data: { route: 'GET /disbursements/:disbursementId', path: '/disbursements/d-1', format: 'json' as const, records: 1 } };
    spec.given([]).when(lookUp()).then([event]);
    spec.given([event, event]).when(lookUp()).then([event]);
  });

  it('given a path or query naming a student, when recorded, then no part of an identifier is kept (the record outlives an erasure), percent-encoded ones too', () => {
    const [history] = disclosureDecider.decide(lookUp({ route: 'GET /beneficiaries/:studentKey/history', path: '/beneficiaries/654002201001010015/history' }), null, undefined);
    expect(history.data.path).toBe('/beneficiaries/[redacted]/history');
    const [byQuery] = disclosureDecider.decide(lookUp({ path: '/disbursements/7?studentNumber=G654002201001010015&residentId=%36%35%34%30%30%32%32%30%31%30%30%31%30%31%30%30%31%35' }), null, undefined);
    expect(byQuery.data.path).toBe('/disbursements/7?studentNumber=[redacted]&residentId=[redacted]');
    expect(JSON.stringify(byQuery)).not.toMatch(/654002|0015|%3[0-9]%3/);
  });

  it('given a purpose, when recorded, then it is kept trimmed; one holding personal data is refused on X-Purpose (it is kept for good); blank is none', () => {
    const [event] = disclosureDecider.decide(lookUp({ purpose: ' 年度审计 2026-07 ' }), null, undefined);
    expect(event.data.purpose).toBe('年度审计 2026-07');
    for (const purpose of ['年度审计 654002201001010015', 'check 13912345678', '核对 李娜（654002201001010015）']) {
      expect(() => disclosureDecider.decide(lookUp({ purpose }), null, undefined)).toThrow(expect.objectContaining({ field: 'X-Purpose', message: expect.stringMatching(/不得包含个人信息.*must hold no personal data/) }));
    }
    expect(disclosureDecider.decide(lookUp({ purpose: '  ' }), null, undefined)[0].data).not.toHaveProperty('purpose');
  });

  it('given a purpose with control characters, a line break or too long, when recorded, then it is refused on X-Purpose', () => {
    for (const purpose of ['audit\u0000', 'audit\nnext', 'audit\u202e', 'x'.repeat(PURPOSE_MAX_LENGTH + 1), 42]) {
      spec.given([]).when(lookUp({ purpose })).thenFails('FIELD_INVALID', 'X-Purpose');
    }
  });

  it('given a count that is no whole number or an unknown format, when recorded, then it is refused', () => {
    spec.given([]).when(lookUp({ records: -1 })).thenFails('FIELD_INVALID', 'records');
    spec.given([]).when(lookUp({ records: 1.5 })).thenFails('FIELD_INVALID', 'records');
    spec.given([]).when(lookUp({ format: 'pdf' as never })).thenFails('FIELD_INVALID', 'format');
    spec.given([]).when(lookUp({ path: 'disbursements' })).thenFails('FIELD_INVALID', 'path');
  });

  it('given no count (the streamed log export), when recorded, then the record says none', () => {
    const [event] = disclosureDecider.decide(lookUp({ route: 'GET /audit/export', path: '/audit/export', format: 'ndjson', records: undefined }), null, undefined);
    expect(event.data).toEqual({ route: 'GET /audit/export', path: '/audit/export', format: 'ndjson' });
  });

  it('given a read of students on legal hold, when recorded, then it names their records’ keys; anything but a key (an identifier) is refused', () => {
    const held = 's0123456789abcdefghjkmnpqrs';
    expect(disclosureDecider.decide(lookUp({ studentsOnHold: [held] }), null, undefined)[0].data.studentsOnHold).toEqual([held]);
    expect(disclosureDecider.decide(lookUp({ studentsOnHold: [] }), null, undefined)[0].data).not.toHaveProperty('studentsOnHold');
    spec.given([]).when(lookUp({ studentsOnHold: ['654002201001010015'] })).thenFails('FIELD_INVALID', 'studentsOnHold');
  });
});
