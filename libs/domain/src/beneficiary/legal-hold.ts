import { Role } from '../access/access';

/**
 * Reading a student on legal hold (PIPL Art. 47: storage and security only). Their personal fields
 * are read for the audit that keeps them and for nothing else: by auditors alone, each read with its
 * purpose stated and recorded. Every other role sees this in their place.
 */
export const ON_LEGAL_HOLD = '封存 on legal hold';

/** Whether a role reads a held student's personal fields (only an auditor does; everyone else sees ON_LEGAL_HOLD). */
export const readsPersonalDataOnHold = (role: Role | undefined): boolean => role === 'auditor';
