/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // @swc/jest strips types only; `npm run typecheck` (tsc --noEmit) does the type checking.
    '^.+\\.(t|j)sx?$': ['@swc/jest'],
  },
  // middy is ESM-only: let swc turn it into CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!(@middy)/)'],
  // As in every bundle (lib/constructs/hardened-function.ts BUNDLE_ALIASES): the X-Ray SDK's context on AsyncLocalStorage.
  moduleNameMapper: { '^cls-hooked/context$': '<rootDir>/lambdas/shared/xray-context.ts' },
  setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean'],
  testTimeout: 120000,
  // One worker per core. Jest's default (cores - 1) runs the suites one at a time on a 2-core CI machine; most
  // suites synthesize stacks on one core, so two workers cut the run by about a fifth there.
  maxWorkers: '100%',
};
