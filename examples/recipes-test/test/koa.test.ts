import { SpanStatusCode } from '@opentelemetry/api'
import { start } from '../../../docs/recipes/koa'
import { expectChildOf, kindOf, spanNamed, useTracing, waitFor } from './tracing'

const { spans } = useTracing()
let app: Awaited<ReturnType<typeof start>>

beforeAll(async () => {
  app = await start()
})
afterAll(() => app.close())

const PARENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT_SPAN = '00f067aa0ba902b7'

describe('Koa recipe', () => {
  it('continues the caller trace in a SERVER span named after the route, with the handler span as its child', async () => {
    const res = await fetch(`${app.url}/orders/42`, {
      headers: { traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-01` },
    })
    expect(await res.json()).toEqual({ id: '42', status: 'shipped' })

    const server = await spanNamed(spans, 'GET /orders/:id')
    expect(kindOf(server)).toBe('SERVER')
    expect(server.spanContext().traceId).toBe(PARENT_TRACE)
    expect(server.parentSpanContext?.spanId).toBe(PARENT_SPAN)
    expect(server.attributes['http.route']).toBe('/orders/:id')
    expect(server.attributes['http.response.status_code']).toBe(200)

    const load = await spanNamed(spans, 'orders.load')
    expectChildOf(load, server)
    expect(load.attributes['order.id']).toBe('42')
  })

  it('records the error Koa caught and marks the span ERROR', async () => {
    const res = await fetch(`${app.url}/fail`)
    expect(res.status).toBe(500)
    const server = await spanNamed(spans, 'GET /fail')
    expect(server.status.code).toBe(SpanStatusCode.ERROR)
    expect(server.events.map((e) => e.name)).toContain('exception')
  })

  it('leaves /healthz untraced', async () => {
    const res = await fetch(`${app.url}/healthz`)
    expect(await res.text()).toBe('ok')
    // a traced request after it proves spans are flowing, so the absence below means something
    await fetch(`${app.url}/orders/1`)
    await waitFor('the next request span', () => spans().some((s) => s.name === 'GET /orders/:id'))
    expect(spans().filter((s) => s.attributes['url.path'] === '/healthz')).toEqual([])
  })
})
