import { runFixture } from './helpers/fixtures.js'

// A CommonJS app with @opentelemetry/instrumentation-pg that requires pg before or after
// startTracing(), one query on the machine's PostgreSQL (127.0.0.1:5432, database test).
const APP = 'packages/node/test/fixtures/load-order-app.ts'

async function run(order: 'early' | 'late'): Promise<{ warnings: string[]; spans: string[] }> {
  const result = await runFixture(APP, { args: [order], env: { NODE_ENV: 'production' } })
  if (result.code !== 0) throw new Error(`app exited ${result.code}\n${result.stderr}`)
  return JSON.parse(result.stdout) as { warnings: string[]; spans: string[] }
}

describe('startTracing() after the modules an instrumentation targets', () => {
  it('warns once, naming them, the instrumentation and the fix', async () => {
    const { warnings, spans } = await run('early')
    expect(warnings).toEqual([
      '@tracehop/node: pg, pg-pool (for @opentelemetry/instrumentation-pg) were loaded before ' +
        'startTracing() ran; an instrumentation patches a module as it is required, so the copy ' +
        'already in use records no spans. Call startTracing() before requiring them (first thing ' +
        'in the entry file), or start with node --require @tracehop/node/register (CommonJS) or ' +
        '--import @tracehop/node/register (ESM)',
    ])
    expect(spans).toEqual(['work']) // what the warning says: no pg spans
  })
})

describe('startTracing() before them', () => {
  it('says nothing, and the queries are traced', async () => {
    const { warnings, spans } = await run('late')
    expect(warnings).toEqual([])
    expect(spans).toEqual(expect.arrayContaining(['pg.connect', 'work']))
    expect(spans.some((name) => name.startsWith('pg.query'))).toBe(true)
  })
})
