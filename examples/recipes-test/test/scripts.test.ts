// Recipes run exactly as their "Run it" line says: a Node process of their own, tracing set up by
// @tracehop/node's register entry from OTEL_* variables, the `import.meta.url` block as the
// entry point, spans flushed on the way out. Checked on spans decoded from the OTLP export.
import { SpanKind } from '@opentelemetry/api'
import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedSpan,
} from '../../../test-utils/otlp-receiver'
import { runRecipeScript } from './script'

let receiver: OtlpReceiver
beforeAll(async () => {
  receiver = await startOtlpReceiver()
})
afterEach(() => receiver.clear())
afterAll(() => receiver.close())

function env(service: string): Record<string, string> {
  return {
    OTEL_SERVICE_NAME: service,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '100',
  }
}

function only(spans: ReceivedSpan[], name: string, kind?: SpanKind): ReceivedSpan {
  const found = spans.filter((s) => s.name === name && (kind === undefined || s.kind === kind))
  expect({ name, count: found.length }).toEqual({ name, count: 1 })
  return found[0]!
}

describe('recipes run as scripts', () => {
  it('grpc.ts: checkout -> CLIENT -> SERVER -> orders.lookup, exported from a real process', async () => {
    const result = await runRecipeScript('grpc.ts', env('orders-grpc'))
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 0,
      // nothing from tracehop but the development line saying where spans go
      stderr: expect.not.stringMatching(/@tracehop(?!\/node: spans go to )/),
    })
    expect(result.stdout).toContain("status: 'shipped'")

    const spans = await receiver.waitForSpans((all) => all.length >= 4, 20_000)
    expect(spans).toHaveLength(4)
    const checkout = only(spans, 'checkout')
    const client = only(spans, 'orders.Orders/Get', SpanKind.CLIENT)
    const server = only(spans, 'orders.Orders/Get', SpanKind.SERVER)
    const lookup = only(spans, 'orders.lookup')
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1)
    expect(checkout.parentSpanId).toBeUndefined()
    expect([client.parentSpanId, server.parentSpanId, lookup.parentSpanId]).toEqual([
      checkout.spanId,
      client.spanId,
      server.spanId,
    ])
    expect(server.resource['service.name']).toBe('orders-grpc')
  }, 90_000)

  it('nats.ts: orders.place -> PRODUCER -> CONSUMER -> orders.fulfil on the real server', async () => {
    const result = await runRecipeScript('nats.ts', env('orders-nats'))
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 0,
      // nothing from tracehop but the development line saying where spans go
      stderr: expect.not.stringMatching(/@tracehop(?!\/node: spans go to )/),
    })
    expect(result.stdout).toMatch(/^fulfilled [0-9a-f-]{36}$/m)

    const spans = await receiver.waitForSpans((all) => all.length >= 4, 20_000)
    expect(spans).toHaveLength(4)
    const place = only(spans, 'orders.place')
    const producer = only(spans, 'send orders.created', SpanKind.PRODUCER)
    const consumer = only(spans, 'process orders.created', SpanKind.CONSUMER)
    const fulfil = only(spans, 'orders.fulfil')
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1)
    expect([producer.parentSpanId, consumer.parentSpanId, fulfil.parentSpanId]).toEqual([
      place.spanId,
      producer.spanId,
      consumer.spanId,
    ])
  }, 90_000)

  it('databases.ts: pg and ioredis spans children of the SERVER span, on the real PostgreSQL and Redis', async () => {
    const result = await runRecipeScript('databases.ts', env('orders-db'), {
      preload: 'databases-tracing.ts',
    })
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 0,
      stderr: expect.not.stringMatching(/@tracehop(?!\/node: spans go to )/),
    })
    const order = /"id":"([0-9a-f-]{36})","sku":"book-1"/.exec(result.stdout)?.[1]
    expect(result.stdout).toBe(
      [
        `first ${order}: 200 {"id":"${order}","sku":"book-1"}`,
        `again ${order}: 200 {"id":"${order}","sku":"book-1"}`,
        '',
      ].join('\n'),
    )

    // per request: the fetch CLIENT span, the SERVER span, and the driver calls under it
    const spans = await receiver.waitForSpans((all) => all.length >= 13, 20_000)
    expect(spans).toHaveLength(13)
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(3)
    const children = (parent: ReceivedSpan) =>
      spans
        .filter((s) => s.parentSpanId === parent.spanId)
        .sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1))
        .map(
          (s) => `${SpanKind[s.kind]} ${s.name} (${s.scope.name.replace('@opentelemetry/', '')})`,
        )
    const post = only(spans, 'POST /orders', SpanKind.SERVER)
    const [miss, hit] = spans
      .filter((s) => s.name === 'GET /orders/:id' && s.kind === SpanKind.SERVER)
      .sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1))
    expect(children(post)).toEqual([
      'CLIENT pg-pool.connect (instrumentation-pg)',
      'CLIENT pg.query:INSERT test (instrumentation-pg)',
    ])
    // all four under the SERVER span, compared as a set: in one loaded CI run the ioredis `get`
    // span carried a start time after the SELECT's (cause not yet found)
    expect(children(miss!).sort()).toEqual([
      'CLIENT get (instrumentation-ioredis)',
      'CLIENT pg-pool.connect (instrumentation-pg)',
      'CLIENT pg.query:SELECT test (instrumentation-pg)',
      'CLIENT set (instrumentation-ioredis)',
    ])
    expect(children(hit!)).toEqual(['CLIENT get (instrumentation-ioredis)'])
    expect(post.parentSpanId).toBe(only(spans, 'POST', SpanKind.CLIENT).spanId)
  }, 90_000)
})
