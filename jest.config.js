/** One jest run for everything: unit specs beside the code, end-to-end specs under test/. */
module.exports = {
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
