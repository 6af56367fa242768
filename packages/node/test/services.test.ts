import { runFixture } from './helpers/fixtures.js'
import type { PrintedSpan } from './helpers/printed-span.js'

describe('forService and outgoing fetch', () => {
  let spans: PrintedSpan[]
  let received: Record<string, string>[]
  let same: boolean
  beforeAll(async () => {
    const result = await runFixture('packages/node/test/fixtures/services-app.ts')
    expect(result).toMatchObject({
      code: 0,
      stderr: '@tracehop/node: spans go to the exporter given in options\n',
    })
    ;({ spans, received, same } = JSON.parse(result.stdout) as {
      spans: PrintedSpan[]
      received: Record<string, string>[]
      same: boolean
    })
  })
  const byName = (name: string): PrintedSpan => spans.find((s) => s.name === name)!
  const clientsOf = (parent: string): PrintedSpan[] =>
    spans.filter((s) => s.kind === 'CLIENT' && s.parentSpanId === byName(parent).spanId)

  it('gives the same provider for the same service', () => {
    expect(same).toBe(true)
  })

  it('records spans of another service with its own resource', () => {
    expect(byName('orders-work')).toMatchObject({ service: 'orders', version: '2.0.0' })
    expect(byName('gateway-work').service).toBe('gateway')
  })

  it('attributes an outgoing call to the service whose span made it', () => {
    const [call] = clientsOf('orders-work')
    expect(call).toMatchObject({ name: 'GET', service: 'orders', version: '2.0.0' })
    expect(clientsOf('gateway-work').map((s) => s.service)).toEqual(['gateway'])
  })

  it('sends the CLIENT span as the parent, and redacts the query in url.full', () => {
    const [call] = clientsOf('orders-work')
    // sampled, and the Level 2 random flag: the SDK's trace ids are random
    expect(received[0]!.traceparent).toBe(`00-${call!.traceId}-${call!.spanId}-03`)
    expect(call!.attributes).toEqual({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(call!.attributes['url.full'] as string).port),
      'url.full': expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/x\?token=REDACTED$/),
      'http.response.status_code': 200,
    })
    expect(call!.status.code).toBe(0)
  })

  it('marks a 4xx response on a CLIENT span as an error', () => {
    const [missing] = clientsOf('gateway-work')
    expect(missing!.attributes).toMatchObject({
      'http.response.status_code': 404,
      'error.type': '404',
    })
    expect(missing!.status.code).toBe(2)
  })

  it('leaves a call alone when the caller set traceparent itself, or tracing is suppressed', () => {
    expect(clientsOf('manual-work')).toEqual([])
    const manual = received.find((r) => r.path === '/manual')!
    expect(manual.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
    const suppressed = received.find((r) => r.path === '/suppressed')!
    expect(suppressed.traceparent).toBeUndefined()
  })
})
