import { SpanKind } from '@opentelemetry/api'
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
