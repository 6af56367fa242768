import * as copyA from '@tracehop/express'
import type { NextFunction, Request, Response } from 'express'
import {
  EXPRESS_VERSIONS,
  eventually,
  listen,
  request,
  serverSpans,
  setupTracing,
} from './helpers.js'

const tracing = setupTracing()
afterEach(() => tracing.exporter.reset())
afterAll(() => tracing.teardown())

// Two loaded copies of @tracehop/express (its ESM and CommonJS builds in one process) share the
// per-request state: jest.isolateModules evaluates a second copy.
function loadSecondCopy(): typeof copyA {
  let copy: typeof copyA | undefined
  jest.isolateModules(() => {
    copy = jest.requireActual<typeof copyA>('../src/index.ts')
  })
  return copy!
}

describe.each(EXPRESS_VERSIONS)(
  'two loaded copies of @tracehop/express (%s)',
  (_label, express) => {
    it("see one request's state: an error passing both copies' traceErrors() is recorded once", async () => {
      const copyB = loadSecondCopy()
      expect(copyB.traceErrors).not.toBe(copyA.traceErrors)
      const app = express()
      app.use(copyA.traceMiddleware({ tracerProvider: tracing.provider, metrics: false }))
      app.get('/fail', (_req, _res, next) => next(new Error('declined')))
      app.use(copyB.traceErrors())
      app.use(copyA.traceErrors())
      // eslint-disable-next-line @typescript-eslint/no-unused-vars
      app.use((_error: unknown, _req: Request, res: Response, _next: NextFunction) => {
        res.status(500).send('handled')
      })
      const server = await listen(app)
      try {
        expect((await request(`${server.url}/fail`)).status).toBe(500)
        await eventually(() => expect(serverSpans(tracing.exporter)).toHaveLength(1))
        const [span] = serverSpans(tracing.exporter)
        expect(span!.events.filter((event) => event.name === 'exception')).toHaveLength(1)
        expect(span!.name).toBe('GET /fail')
      } finally {
        await server.close()
      }
    })
  },
)
