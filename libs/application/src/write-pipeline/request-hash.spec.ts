import { hashRequest } from './write-pipeline';

describe('the request hash behind Idempotency-Key replays', () => {
  const body = { params: {}, body: { student: { residentId: '654002201001010011', name: '学生' }, amount: '500.00', list: [1, 'a', null, { b: 2, a: [true] }], skip: undefined } };

  it('is the same whatever the order of the fields, and leaves undefined fields out', () => {
    const reordered = { body: { list: [1, 'a', null, { a: [true], b: 2 }], amount: '500.00', student: { name: '学生', residentId: '654002201001010011' } }, params: {} };
    expect(hashRequest('POST', '/disbursements', reordered)).toBe(hashRequest('POST', '/disbursements', body));
  });

  it('stays the hash stored in earlier events’ metadata (a change would turn their replays into IDEMPOTENCY_KEY_REUSED)', () => {
    expect(hashRequest('POST', '/disbursements', body)).toBe('4da889e168c4970b8c1940116738065756c3da33a9d87854e0921635e3734a77');
  });

  it('differs for another amount, route or method', () => {
    const other = { ...body, body: { ...body.body, amount: '500.01' } };
    expect(hashRequest('POST', '/disbursements', other)).not.toBe(hashRequest('POST', '/disbursements', body));
    expect(hashRequest('POST', '/approvals', body)).not.toBe(hashRequest('POST', '/disbursements', body));
    expect(hashRequest('PUT', '/disbursements', body)).not.toBe(hashRequest('POST', '/disbursements', body));
  });
});
