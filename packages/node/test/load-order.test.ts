import { hasRequestCreatedChannel } from '../src/outbound-http.js'
import { runFixture } from './helpers/fixtures.js'

// Node >= 22.12 traces http from node:http's channels: a `get` taken early is traced there too
const channels = hasRequestCreatedChannel(process.versions.node)

// A CommonJS app with @opentelemetry/instrumentation-pg that requires pg, and takes `get` from
// node:http, before or after startTracing(); in one span, a query on the machine's PostgreSQL
// (127.0.0.1:5432, database test) and an http.get to a local server.
const APP = 'packages/node/test/fixtures/load-order-app.ts'

interface Outcome {
  warnings: string[]
  spans: string[]
  /** Whether the http.get carried a traceparent. */
  traceparent: boolean
}

async function run(order: 'early' | 'late'): Promise<Outcome> {
  const result = await runFixture(APP, { args: [order], env: { NODE_ENV: 'production' } })
  if (result.code !== 0) throw new Error(`app exited ${result.code}\n${result.stderr}`)
  return JSON.parse(result.stdout) as Outcome
}

describe('startTracing() after the modules an instrumentation targets', () => {
  it('warns once each, naming them, the instrumentation and the fix', async () => {
    const { warnings, spans, traceparent } = await run('early')
    const pgWarning =
      '@tracehop/node: pg, pg-pool (for @opentelemetry/instrumentation-pg) were loaded before ' +
      'startTracing() ran; an instrumentation patches a module as it is required, so the copy ' +
      'already in use records no spans. Call startTracing() before requiring them (first thing ' +
      'in the entry file), or start with node --require @tracehop/node/register (CommonJS) or ' +
      '--import @tracehop/node/register (ESM)'
    const httpWarning = expect.stringMatching(
      new RegExp(
        '^@tracehop/node: an outgoing http request \\(GET http://127\\.0\\.0\\.1:\\d+/downstream\\) ' +
          'was made inside a span but carried no trace context, so it is untraced and the callee ' +
          'starts a new trace: the function was taken from node:http before startTracing\\(\\) ran ' +
          "\\(such as const \\{ get \\} = require\\('node:http'\\) above it\\)\\. Call startTracing\\(\\) first, " +
          'use http\\.get\\(\\.\\.\\.\\) on the module, or start with node --require @tracehop/node/register$',
      ),
    )
    expect(warnings).toEqual(channels ? [pgWarning] : [pgWarning, httpWarning])
    // what the warnings say: no pg spans; on Node 20 no CLIENT span and no context sent either
    expect(spans).toEqual(channels ? expect.arrayContaining(['GET', 'work']) : ['work'])
    expect(spans.some((name) => name.startsWith('pg.'))).toBe(false)
    expect(traceparent).toBe(channels)
  })
})

describe('startTracing() before them', () => {
  it('says nothing, and the queries are traced', async () => {
    const { warnings, spans, traceparent } = await run('late')
    expect(warnings).toEqual([])
    expect(spans).toEqual(expect.arrayContaining(['pg.connect', 'GET', 'work']))
    expect(traceparent).toBe(true)
    expect(spans.some((name) => name.startsWith('pg.query'))).toBe(true)
  })
})
