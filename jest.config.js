// Three jest projects: unit (pure logic, next to the code), integration (real etcd +
// kube-apiserver + MinIO started by test/harness), e2e (a kind cluster, see test/e2e).
// Sources import each other with `.ts` extensions (Node 24 runs them by type stripping);
// ts-jest transpiles them as ESM, so tests need NODE_OPTIONS=--experimental-vm-modules.
const transform = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
};
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform,
  testEnvironment: 'node',
};

export default {
  // testTimeout is a global option in jest (ignored inside a project): long tests set their own.
  testTimeout: 60000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/api/src/**/*.test.ts',
        '<rootDir>/operator/src/**/*.test.ts',
        '<rootDir>/runtime-image/src/**/*.test.ts',
        '<rootDir>/bench/**/*.test.ts',
        '<rootDir>/hack/**/*.test.ts',
      ],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/harness/global-setup.ts',
      globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
    },
  ],
};
