import { SpanStatusCode } from '@opentelemetry/api'
import { randomUUID } from 'node:crypto'
import { Writable } from 'node:stream'
import { start } from '../../../docs/recipes/fastify'
import { expectChildOf, kindOf, spanNamed, useTracing, waitFor } from './tracing'

const { spans } = useTracing()
const lines: Record<string, unknown>[] = []
const stream = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line))
    done()
  },
})
let app: Awaited<ReturnType<typeof start>>

beforeAll(async () => {
  app = await start({
    rateLimitPerMinute: 5,
    rateLimitNamespace: `rl-recipes-${randomUUID()}-`,
    logger: { level: 'info', stream },
  })
})
afterAll(() => app.close())

const TRACE = '0af7651916cd43dd8448eb211c80319c'

describe('Fastify recipe (@fastify/jwt, @fastify/rate-limit on real Redis)', () => {
  it('continues the trace through the JWT hook and Redis rate limit; request.log lines carry the ids', async () => {
    const { token } = (await (
      await fetch(`${app.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'ada' }),
      })
    ).json()) as { token: string }

    const res = await fetch(`${app.url}/orders/42`, {
      headers: {
        authorization: `Bearer ${token}`,
        traceparent: `00-${TRACE}-b7ad6b7169203331-01`,
      },
    })
    expect(await res.json()).toEqual({ id: '42', status: 'shipped' })

    const server = await spanNamed(spans, 'GET /orders/:id')
    expect(kindOf(server)).toBe('SERVER')
    expect(server.spanContext().traceId).toBe(TRACE)
    expect(server.parentSpanContext?.spanId).toBe('b7ad6b7169203331')
    expect(server.attributes).toMatchObject({ 'http.route': '/orders/:id', 'enduser.id': 'ada' })
    expectChildOf(await spanNamed(spans, 'orders.load'), server)

    const line = await waitFor('the log line', () => lines.find((l) => l.msg === 'order loaded'))
    expect(line).toMatchObject({ trace_id: TRACE, span_id: server.spanContext().spanId })
  })

  it('a bad token is a 401 span with UNSET status; a thrown error is ERROR', async () => {
    expect(
      (await fetch(`${app.url}/orders/1`, { headers: { authorization: 'Bearer x' } })).status,
    ).toBe(401)
    const denied = await spanNamed(spans, 'GET /orders/:id')
    expect(denied.attributes['http.response.status_code']).toBe(401)
    expect(denied.status.code).toBe(SpanStatusCode.UNSET)

    expect((await fetch(`${app.url}/boom`)).status).toBe(500)
    expect((await spanNamed(spans, 'GET /boom')).status.code).toBe(SpanStatusCode.ERROR)
  })

  it('rate-limited requests (Redis counter) end as 429 spans', async () => {
    let status = 0
    for (let i = 0; i < 10 && status !== 429; i++) status = (await fetch(`${app.url}/boom`)).status
    expect(status).toBe(429)
    const limited = await waitFor('a 429 span', () =>
      spans().find((s) => s.attributes['http.response.status_code'] === 429),
    )
    expect(limited.name).toBe('GET /boom')
    expect(limited.status.code).toBe(SpanStatusCode.UNSET)
  })
})
