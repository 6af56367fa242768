import { SpanStatusCode } from '@opentelemetry/api'
import { randomUUID } from 'node:crypto'
import { start } from '../../../docs/recipes/express'
import { expectChildOf, kindOf, spanNamed, useTracing, waitFor } from './tracing'

const { spans } = useTracing()
let app: Awaited<ReturnType<typeof start>>
const logLines: string[] = []

beforeAll(async () => {
  app = await start({ rateLimitPerMinute: 5, rateLimitPrefix: `rl:recipes:${randomUUID()}:` })
})
afterAll(() => app.close())

const TRACE = 'a3ce929d0e0e47364bf92f3577b34da6'
const traceparent = (span: string) => `00-${TRACE}-${span}-01`

async function login(): Promise<string> {
  const res = await fetch(`${app.url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: traceparent('00f067aa0ba902b7') },
    body: JSON.stringify({ username: 'ada', password: 'lovelace' }),
  })
  expect(res.status).toBe(200)
  return res.headers.get('set-cookie')!.split(';')[0]
}

describe('Express recipe (passport, express-session, express-rate-limit on real Redis)', () => {
  it('traces login and an authenticated request through session, passport and rate limit', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation((line: string) => {
      logLines.push(line)
    })
    try {
      const cookie = await login()
      const loginSpan = await spanNamed(spans, 'POST /login')
      expect(loginSpan.parentSpanContext?.spanId).toBe('00f067aa0ba902b7')

      const res = await fetch(`${app.url}/orders/42`, {
        headers: { cookie, traceparent: traceparent('b7ad6b7169203331') },
      })
      expect(await res.json()).toEqual({ id: '42', status: 'shipped' })
      const server = await spanNamed(spans, 'GET /orders/:id')
      expect(kindOf(server)).toBe('SERVER')
      expect(server.spanContext().traceId).toBe(TRACE)
      expect(server.parentSpanContext?.spanId).toBe('b7ad6b7169203331')
      expect(server.attributes['enduser.id']).toBe('u-1')

      // deserializeUser called back from a timer; the handler still runs in the request's trace
      const load = await spanNamed(spans, 'orders.load')
      expectChildOf(load, server)
      expect(load.attributes).toMatchObject({ 'order.id': '42', 'enduser.id': 'u-1' })

      const line = JSON.parse(logLines.find((l) => l.includes('order loaded'))!)
      expect(line).toMatchObject({
        trace_id: TRACE,
        span_id: server.spanContext().spanId,
        trace_flags: '01',
      })
    } finally {
      log.mockRestore()
    }
  })

  it('records errors through traceErrors(): ERROR status and the exception event', async () => {
    const res = await fetch(`${app.url}/boom`)
    expect(res.status).toBe(500)
    const span = await spanNamed(spans, 'GET /boom')
    expect(span.status.code).toBe(SpanStatusCode.ERROR)
    expect(span.events.some((e) => e.name === 'exception')).toBe(true)
  })

  it('a request the Redis rate limiter refuses is a 429 span, not an error', async () => {
    let status = 0
    for (let i = 0; i < 10 && status !== 429; i++) {
      status = (await fetch(`${app.url}/orders/1`)).status
    }
    expect(status).toBe(429)
    const refused = await waitFor('the 429 span', () =>
      spans().find((s) => s.attributes['http.response.status_code'] === 429),
    )
    expect(refused.status.code).toBe(SpanStatusCode.UNSET)
    expect(refused.name).toMatch(/^GET/)
  })
})
