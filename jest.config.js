const { availableParallelism } = require('node:os');

/** One jest run for everything: unit specs beside the code, end-to-end specs under test/. */
module.exports = {
  // Jest's default (a worker fewer than the cores) is one worker on two cores. The end-to-end files wait
  // on fsyncs and on child processes much of the time, so two workers keep both cores busy: the suite
  // ran in 222 s instead of 408 s here. The failure tests (kills under load, a full disk) keep one: they
  // measure what one process does with the machine to itself.
  maxWorkers: process.env.LEDGER_TEST_FAULTS ? 1 : Math.max(2, availableParallelism() - 1),
  testEnvironment: 'node',
  rootDir: '.',
  testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  // The failure tests (kills, fuzzing) run apart: npm run test:faults; the released tree too: npm run test:release.
  testPathIgnorePatterns: [...(process.env.LEDGER_TEST_FAULTS ? [] : ['\\.faults\\.spec\\.ts$']), ...(process.env.LEDGER_TEST_RELEASE ? [] : ['\\.release\\.spec\\.ts$'])],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleNameMapper: {
    // An ES module (of @fastify/static) that jest's loader cannot require() on Node 20: see the file.
    '^content-disposition$': '<rootDir>/test/support/cjs/content-disposition.js',
    '^@ledger/(domain|event-store|projections|application|integrity|personal-data)$': '<rootDir>/libs/$1/src',
  },
  testTimeout: 60000,
};
