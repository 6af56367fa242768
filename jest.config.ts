import type { Config } from 'jest'

const packages = ['core', 'express', 'fastify', 'node', 'viewer']

const swc: [string, Record<string, unknown>] = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
]

const moduleNameMapper: Record<string, string> = {
  '^(\\.{1,2}/.*)\\.js$': '$1',
}
for (const name of packages) {
  moduleNameMapper[`^@tracehop/${name}$`] = `<rootDir>/packages/${name}/src/index.ts`
}

const config: Config = {
  projects: [
    ...packages.map((name) => ({
      displayName: name,
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: [`<rootDir>/packages/${name}/test/**/*.test.ts`],
      transform: { '^.+\\.(t|j)sx?$': swc },
      moduleNameMapper,
    })),
    {
      // docs/recipes, run as a user would run them (see examples/recipes-test)
      displayName: 'recipes',
      rootDir: __dirname,
      testEnvironment: 'node',
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
