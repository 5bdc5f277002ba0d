import { ROLES } from '../access/access';
import { readsPersonalDataOnHold } from './legal-hold';

describe('who reads the personal data of a student on legal hold', () => {
  it('given each role, when a held student is read, then only the auditor reads their personal fields', () => {
    expect(ROLES.filter(readsPersonalDataOnHold)).toEqual(['auditor']);
  });

  it('given no known reader, when a held student is read, then nothing is opened (fails closed)', () => {
    expect(readsPersonalDataOnHold(undefined)).toBe(false);
  });
});
