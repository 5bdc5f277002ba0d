// Lets a child process `require()` the project's TypeScript sources directly, compiled by the same
// swc the tests use: node -r ./test/support/register-ts.js script.ts
const { transformSync } = require('@swc/core');
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const aliases = { '@ledger/domain': 'libs/domain/src', '@ledger/event-store': 'libs/event-store/src', '@ledger/projections': 'libs/projections/src', '@ledger/application': 'libs/application/src', '@ledger/integrity': 'libs/integrity/src', '@ledger/personal-data': 'libs/personal-data/src' };
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const target = aliases[request];
  return resolve.call(this, target ? path.join(root, target) : request, ...rest);
};
require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
