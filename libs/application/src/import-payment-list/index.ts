export * from './import-payment-list.service';
export * from './import-payment-list';
