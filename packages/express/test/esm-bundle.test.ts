import { join } from 'node:path'
import {
  describeIfBuilt,
  observeFixture,
  useFixtureBundle,
} from '../../../test-utils/fixture-app.js'

// The fixture app as CommonJS, as ESM run by plain `node` (no loader flags), and as ESM bundled
// by esbuild into one file run outside the repository: all three must print the same spans.
// The fixtures use the BUILT package (dist/), which `pnpm test` builds before jest runs.

const fixtures = join(__dirname, 'fixtures')
const describeBuilt = describeIfBuilt('express', join(__dirname, '..', 'dist'))

function observe(file: string, express: '4' | '5') {
  return observeFixture(file, { FIXTURE_EXPRESS: express }, (reply, span) => {
    const handler =
      reply.status === 404 ? undefined : (JSON.parse(reply.body) as { handler: string }).handler
    return { handlerSawServerSpan: handler === span.spanId }
  })
}

describeBuilt('the same app as CommonJS, ESM and an esbuild bundle', () => {
  const bundle = useFixtureBundle(join(fixtures, 'app.mjs'), 'cjs')

  describe.each(['4', '5'] as const)('express %s', (express) => {
    it('prints the expected spans from the CommonJS app', async () => {
      const observed = await observe(join(fixtures, 'app.cjs'), express)
      expect(observed).toEqual([
        {
          span: {
            name: 'GET /api/orders/:id',
            kind: 1,
            traceId: '0af7651916cd43dd8448eb211c80319c',
            parentSpanId: 'b7ad6b7169203331',
            status: 0,
            route: '/api/orders/:id',
            path: '/api/orders/7',
            statusCode: 200,
            errorType: undefined,
          },
          reply: { path: '/api/orders/7', status: 200, handlerSawServerSpan: true },
        },
        {
          span: {
            name: 'POST /api/orders/:id/fail',
            kind: 1,
            traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
            parentSpanId: '00f067aa0ba902b7',
            status: 2,
            route: '/api/orders/:id/fail',
            path: '/api/orders/7/fail',
            statusCode: 500,
            errorType: '500',
          },
          reply: { path: '/api/orders/7/fail', status: 500, handlerSawServerSpan: true },
        },
        {
          span: {
            name: 'GET',
            kind: 1,
            traceId: '5bf92f3577b34da6a3ce929d0e0e4736',
            parentSpanId: '00f067aa0ba902b8',
            status: 0,
            route: undefined,
            path: '/nothing',
            statusCode: 404,
            errorType: undefined,
          },
          reply: { path: '/nothing', status: 404, handlerSawServerSpan: false },
        },
      ])
    }, 60_000)

    it('prints the same spans from the ESM app run with plain node', async () => {
      const [cjs, esm] = await Promise.all([
        observe(join(fixtures, 'app.cjs'), express),
        observe(join(fixtures, 'app.mjs'), express),
      ])
      expect(esm).toEqual(cjs)
    }, 60_000)

    it('prints the same spans from the esbuild bundle run outside the repository', async () => {
      const [cjs, bundled] = await Promise.all([
        observe(join(fixtures, 'app.cjs'), express),
        observe(bundle, express),
      ])
      expect(bundled).toEqual(cjs)
    }, 60_000)
  })
})
