// Plain ESM rather than jest.config.ts: Node 24 strips types natively and loads a .ts config as
// an ES module, where the __dirname a CommonJS-compiled config relies on does not exist.
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('.', import.meta.url))

/** Node's environment, failing a test file that leaves `node:http` patched (see the file). */
const testEnvironment = '<rootDir>/scripts/jest-environment.cjs'

const packages = ['core', 'express', 'fastify', 'node', 'viewer']

/** @type {[string, Record<string, unknown>]} */
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
]

/** @type {Record<string, string>} */
const moduleNameMapper = {
  '^(\\.{1,2}/.*)\\.js$': '$1',
}
for (const name of packages) {
  moduleNameMapper[`^@tracehop/${name}$`] = `<rootDir>/packages/${name}/src/index.ts`
}

/** @type {import('jest').Config} */
const config = {
  projects: [
    ...packages.map((name) => ({
      displayName: name,
      rootDir: root,
      testEnvironment,
      testMatch: [`<rootDir>/packages/${name}/test/**/*.test.ts`],
      transform: { '^.+\\.(t|j)sx?$': swc },
      moduleNameMapper,
    })),
    {
      // docs/recipes, run as a user would run them (see examples/recipes-test)
      displayName: 'recipes',
      rootDir: root,
      testEnvironment,
      testMatch: ['<rootDir>/examples/recipes-test/test/**/*.test.ts'],
      transform: { '^.+\\.(t|j)sx?$': '<rootDir>/examples/recipes-test/transform.cjs' },
      moduleDirectories: ['node_modules', '<rootDir>/examples/recipes-test/node_modules'],
      moduleNameMapper,
    },
  ],
  coverageProvider: 'v8',
  collectCoverageFrom: ['packages/*/src/**/*.ts'],
  coverageReporters: ['text-summary', 'json-summary'],
  coverageThreshold: {
    global: {},
    './packages/core/src/': { lines: 95, branches: 95 },
  },
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.cjs'],
  testTimeout: 30000,
}

export default config
