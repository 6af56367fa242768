import { SpanKind } from '@opentelemetry/api'
import { IncomingMessage, ServerResponse } from 'node:http'
import * as copyA from '../../src/index.js'
import { listen, request, setupTracing, waitForSpans } from '../support/tracing.js'

// Two loaded copies of @tracehop/core (the ESM and the CommonJS build of one install, or two
// versions) must see the same request traces: jest.isolateModules evaluates a second copy.
function loadSecondCopy(): typeof copyA {
  let copy: typeof copyA | undefined
  jest.isolateModules(() => {
    copy = jest.requireActual<typeof copyA>('../../src/index.ts')
  })
  return copy!
}

describe('two loaded copies of @tracehop/core', () => {
  let tracing: ReturnType<typeof setupTracing>
  beforeEach(() => {
    tracing = setupTracing()
  })
  afterEach(async () => {
    await tracing.teardown()
  })

  it('share the trace of each request and start one SERVER span for it', async () => {
    const copyB = loadSecondCopy()
    expect(copyB.tryGetRequestTrace).not.toBe(copyA.tryGetRequestTrace)
    const lifecycleB = copyB.createRequestLifecycle(
      { tracerProvider: tracing.provider, metrics: false },
      '@tracehop/copy-b',
    )
    let seenByB: unknown
    let startedByB: unknown
    let traceA: unknown
    const app = await listen(
      copyA.traceHandler(
        (req, res) => {
          traceA = copyA.getRequestTrace(req)
          seenByB = copyB.tryGetRequestTrace(req)
          startedByB = lifecycleB.start(req, res)
          res.end('ok')
        },
        { tracerProvider: tracing.provider, metrics: false },
      ),
    )
    try {
      expect((await request(`${app.url}/orders/1`)).status).toBe(200)
      const spans = await waitForSpans(tracing.exporter, 1)
      expect(traceA).toBeDefined()
      expect(seenByB).toBe(traceA)
      expect(startedByB).toBe(traceA)
      expect(spans.filter((span) => span.kind === SpanKind.SERVER)).toHaveLength(1)
    } finally {
      await app.close()
    }
  })
})

describe('a request a framework re-prototyped (Express)', () => {
  let tracing: ReturnType<typeof setupTracing>
  beforeEach(() => {
    tracing = setupTracing()
  })
  afterEach(async () => {
    await tracing.teardown()
  })

  // Express 5's `app.handle` does this to every request before the first middleware runs
  const expressLikeRequest = Object.create(IncomingMessage.prototype) as object

  it('keeps its trace under the shared symbol, found by every copy', async () => {
    const copyB = loadSecondCopy()
    const lifecycleA = copyA.createRequestLifecycle(
      { tracerProvider: tracing.provider, metrics: false },
      '@tracehop/copy-a',
    )
    const lifecycleB = copyB.createRequestLifecycle(
      { tracerProvider: tracing.provider, metrics: false },
      '@tracehop/copy-b',
    )
    const seen: Record<string, unknown> = {}
    const app = await listen((req, res) => {
      Object.setPrototypeOf(req, expressLikeRequest)
      Object.setPrototypeOf(res, Object.create(ServerResponse.prototype) as object)
      seen.traceA = lifecycleA.start(req, res)
      seen.hasKey = Object.prototype.hasOwnProperty.call(req, copyA.REQUEST_TRACE_KEY)
      seen.seenByA = copyA.tryGetRequestTrace(req)
      seen.seenByB = copyB.getRequestTrace(req)
      seen.startedByB = lifecycleB.start(req, res)
      res.end('ok')
    })
    try {
      expect((await request(`${app.url}/orders/1`)).status).toBe(200)
      const spans = await waitForSpans(tracing.exporter, 1)
      expect(seen.traceA).toBeDefined()
      expect(seen.seenByA).toBe(seen.traceA)
      expect(seen.seenByB).toBe(seen.traceA)
      expect(seen.startedByB).toBe(seen.traceA)
      // older copies read the trace from the request itself
      expect(seen.hasKey).toBe(true)
      // the response's listeners found the trace: the span ended with the status
      const server = spans.filter((span) => span.kind === SpanKind.SERVER)
      expect(server).toHaveLength(1)
      expect(server[0]!.attributes['http.response.status_code']).toBe(200)
    } finally {
      await app.close()
    }
  })
})
