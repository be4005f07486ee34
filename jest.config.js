// Native ESM jest: the @actions packages are ESM-only, so tests run as ES modules too
// (node --experimental-vm-modules, see package.json) and ts-jest emits ESM.
const transform = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }]
};
const common = {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform
};
export default {
  // Coverage is global in jest, not per project; scripts/test.sh asks for it on the unit run only.
  collectCoverageFrom: ['<rootDir>/src/**/*.ts'],
  // The table leaves out files every line of which is covered, so the untested ones stand out.
  coverageReporters: [['text', { skipFull: true, maxCols: 120 }], 'text-summary'],
  // Line coverage each file already has (checked per file for a glob): a change may not lower it.
  coverageThreshold: {
    './src/plan/**/*.ts': { lines: 95 },
    './src/inputs/!(nodes).ts': { lines: 95 },
    // Its 'is not readable' branch cannot be reached as root, which every test machine runs as.
    './src/inputs/nodes.ts': { lines: 90 },
    './src/cli/args.ts': { lines: 95 },
    './src/cli/help.ts': { lines: 95 },
    './src/cli/io.ts': { lines: 95 },
    './src/cli/run.ts': { lines: 80 },
    './src/tools/exec.ts': { lines: 95 },
    './src/tools/qemu.ts': { lines: 90 },
    './src/tools/retry.ts': { lines: 95 },
    './src/tools/buildx/find.ts': { lines: 95 },
    './src/tools/buildx/install.ts': { lines: 95 }
  },
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
      testPathIgnorePatterns: ['/__tests__/e2e/']
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/__tests__/e2e/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/__tests__/e2e/support/setup.ts']
    }
  ]
};
