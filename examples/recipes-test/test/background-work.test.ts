import { start } from '../../../docs/recipes/background-work'
import { expectChildOf, kindOf, spanNamed, useTracing, waitFor } from './tracing'

const { spans } = useTracing()
let app: Awaited<ReturnType<typeof start>>

beforeAll(async () => {
  app = await start()
})
afterAll(() => app.close())

describe('background work recipe', () => {
  it('timer and after-response work are children of the request span; the queued job is a linked new trace', async () => {
    const TRACE = '6e0c63257de34c926f9efcd03927272e'
    expect(
      await (
        await fetch(app.url, { headers: { traceparent: `00-${TRACE}-5b4185666d50f68b-01` } })
      ).text(),
    ).toBe('accepted')

    const server = await spanNamed(spans, 'GET')
    expect(kindOf(server)).toBe('SERVER')
    expect(server.spanContext().traceId).toBe(TRACE)

    expectChildOf(await spanNamed(spans, 'cache.refresh'), server)
    expectChildOf(await spanNamed(spans, 'audit.write'), server)

    const job = await spanNamed(spans, 'job email.receipt')
    expect(job.parentSpanContext).toBeUndefined()
    expect(job.spanContext().traceId).not.toBe(TRACE)
    expect(job.links.map((l) => l.context)).toEqual([
      expect.objectContaining({ traceId: TRACE, spanId: server.spanContext().spanId }),
    ])
  })

  it('concurrent requests never share background spans', async () => {
    await Promise.all(Array.from({ length: 10 }, async () => (await fetch(app.url)).text()))
    await waitFor('40 spans', () => spans().length === 40)
    const servers = spans().filter((s) => kindOf(s) === 'SERVER')
    expect(servers).toHaveLength(10)
    for (const server of servers) {
      const id = server.spanContext().spanId
      const children = spans().filter((s) => s.parentSpanContext?.spanId === id)
      expect(children.map((s) => s.name).sort()).toEqual(['audit.write', 'cache.refresh'])
      const linked = spans().filter((s) => s.links.some((l) => l.context.spanId === id))
      expect(linked.map((s) => s.name)).toEqual(['job email.receipt'])
    }
  })
})
