/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Property suites do real numeric work; give them room on a loaded 2-core machine.
  testTimeout: 120000,
  globalSetup: '<rootDir>/scripts/jest-global-setup.js',
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
};
