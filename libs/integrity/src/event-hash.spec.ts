import { canonicalJson, eventHash } from './event-hash';

describe('the canonical form events are hashed in', () => {
  it('sorts keys, drops undefined fields, keeps arrays in order, no whitespace', () => {
    expect(canonicalJson({ z: undefined, y: { c: true, B: 2, a: '\u0000' }, '': 1, a: [3, undefined, { b: 1, a: '中' }] })).toBe(
      '{"":1,"a":[3,null,{"a":"中","b":1}],"y":{"B":2,"a":"\\u0000","c":true}}',
    );
  });

  it('gives the same hash for the same event however its keys were ordered, and another for any change', () => {
    const event = { eventId: 'e-1', streamId: 's', revision: 0, type: 'DisbursementRecorded', schemaVersion: 1, data: { amount: '500.00', period: '2022-autumn' }, metadata: { actor: { id: 'a', role: 'r' } } };
    const reordered = { ...event, data: { period: '2022-autumn', amount: '500.00' } };
    // A hash fixed here: if it changes, every stored chain would stop verifying.
    expect(eventHash(event, null)).toBe(eventHash(reordered, null));
    expect(eventHash(event, null)).toBe('87bf9ceab6f455f04b518384d2af0944abdb0f6584bf51f616c4fd3d22704779');
    expect(eventHash({ ...event, data: { ...event.data, amount: '500.01' } }, null)).not.toBe(eventHash(event, null));
    expect(eventHash(event, 'ab')).not.toBe(eventHash(event, null));
  });
});
