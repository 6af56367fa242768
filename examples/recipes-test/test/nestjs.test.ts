import { SpanStatusCode } from '@opentelemetry/api'
import { start } from '../../../docs/recipes/nestjs'
import { expectChildOf, kindOf, spanNamed, useTracing, waitFor } from './tracing'

const { spans } = useTracing()
const TRACE = '5b8efff798038103d269b633813fc60c'

describe.each(['express', 'fastify'] as const)('NestJS recipe on the %s adapter', (adapter) => {
  let app: Awaited<ReturnType<typeof start>>
  beforeAll(async () => {
    app = await start({ adapter, logger: false })
  })
  afterAll(() => app.close())

  it('one SERVER span named after the Nest route, continuing the caller, with the service span inside', async () => {
    const res = await fetch(`${app.url}/orders/42`, {
      headers: { traceparent: `00-${TRACE}-eee19b7ec3c1b174-01` },
    })
    expect(await res.json()).toEqual({ id: '42', status: 'shipped' })
    const server = await spanNamed(spans, 'GET /orders/:id')
    expect(kindOf(server)).toBe('SERVER')
    expect(server.spanContext().traceId).toBe(TRACE)
    expect(server.parentSpanContext?.spanId).toBe('eee19b7ec3c1b174')
    expect(server.attributes['http.route']).toBe('/orders/:id')
    expectChildOf(await spanNamed(spans, 'orders.load'), server)
    expect(spans().filter((s) => kindOf(s) === 'SERVER')).toHaveLength(1)
  })

  it('a server error is ERROR with its exception; a NotFoundException is a 404 with UNSET status', async () => {
    expect((await fetch(`${app.url}/orders/explode`)).status).toBe(500)
    const failed = await spanNamed(spans, 'GET /orders/:id')
    expect(failed.status.code).toBe(SpanStatusCode.ERROR)
    const exception = failed.events.find((e) => e.name === 'exception')
    expect(exception?.attributes?.['exception.message']).toBe('ledger unavailable')

    const before = spans().length
    expect((await fetch(`${app.url}/orders/missing`)).status).toBe(404)
    const notFound = await waitFor('the 404 span', () =>
      spans()
        .slice(before)
        .find((s) => kindOf(s) === 'SERVER'),
    )
    expect(notFound.attributes['http.response.status_code']).toBe(404)
    expect(notFound.status.code).toBe(SpanStatusCode.UNSET)
    expect(notFound.events.filter((e) => e.name === 'exception')).toEqual([])
  })
})
