import { trace } from '@opentelemetry/api'
import { randomBytes } from 'node:crypto'
import { getRequestTrace, traceHandler, traceId, withSpan } from '../../src/index.js'
import { listen, request, setupTracing, sleep, waitForSpans } from '../support/tracing.js'

const COUNT = 500

describe('concurrency', () => {
  let tracing: ReturnType<typeof setupTracing>
  beforeEach(() => {
    tracing = setupTracing()
    trace.setGlobalTracerProvider(tracing.provider)
  })
  afterEach(async () => {
    await tracing.teardown()
  })

  it(`keeps ${COUNT} concurrent requests with distinct traceparents and random delays apart`, async () => {
    const app = await listen(
      traceHandler(async (req, res) => {
        const before = traceId()
        await sleep(Math.floor(Math.random() * 20))
        await withSpan('work', async () => {
          await sleep(Math.floor(Math.random() * 10))
        })
        const after = traceId()
        getRequestTrace(req).setRoute('/work/:n')
        res.end(`${before} ${after}`)
      }),
    )
    try {
      const parents = Array.from({ length: COUNT }, () => ({
        traceId: randomBytes(16).toString('hex'),
        spanId: randomBytes(8).toString('hex'),
      }))
      const replies = await Promise.all(
        parents.map((p, n) =>
          request(`${app.url}/work/${n}`, {
            headers: { traceparent: `00-${p.traceId}-${p.spanId}-01` },
          }),
        ),
      )
      replies.forEach((reply, n) => {
        expect(reply.body).toBe(`${parents[n]!.traceId} ${parents[n]!.traceId}`)
      })
      const spans = await waitForSpans(tracing.exporter, COUNT * 2, 30_000)
      const servers = spans.filter((s) => s.name === 'GET /work/:n')
      const works = spans.filter((s) => s.name === 'work')
      expect(servers).toHaveLength(COUNT)
      expect(works).toHaveLength(COUNT)
      const serverByTrace = new Map(servers.map((s) => [s.spanContext().traceId, s]))
      expect(serverByTrace.size).toBe(COUNT)
      for (const [n, parent] of parents.entries()) {
        const server = serverByTrace.get(parent.traceId)
        expect(server?.parentSpanContext?.spanId).toBe(parent.spanId)
        expect(server?.attributes['url.path']).toBe(`/work/${n}`)
      }
      for (const work of works) {
        const server = serverByTrace.get(work.spanContext().traceId)
        expect(work.parentSpanContext?.spanId).toBe(server?.spanContext().spanId)
      }
    } finally {
      await app.close()
    }
  }, 60_000)
})
