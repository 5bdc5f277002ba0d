import { DOMAIN } from '@ledger/domain';
console.log('hello', DOMAIN);
