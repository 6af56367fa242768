import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { startOtlpReceiver, type OtlpReceiver } from '../../../test-utils/otlp-receiver.js'
import { runFixture } from './helpers/fixtures.js'

// The receiver other tests trust: each real OTLP exporter's payload must decode to what was sent.
// The exporters run in a child process (they load `http` through a dynamic import Jest refuses).
async function send(mode: string, receiver: OtlpReceiver): Promise<void> {
  const result = await runFixture('packages/node/test/fixtures/send-otlp.ts', {
    args: [mode, receiver.url],
  })
  expect(result).toMatchObject({ code: 0, stdout: 'sent\n' })
}

function expectTrace(receiver: OtlpReceiver): void {
  const parent = receiver.spans.find((s) => s.name === 'parent')!
  const child = receiver.spans.find((s) => s.name === 'child')!
  expect(parent.parentSpanId).toBeUndefined()
  expect(parent.kind).toBe(SpanKind.SERVER)
  expect(parent.traceId).toMatch(/^[0-9a-f]{32}$/)
  expect(parent.spanId).toMatch(/^[0-9a-f]{16}$/)
  expect(child).toMatchObject({
    traceId: parent.traceId,
    parentSpanId: parent.spanId,
    kind: SpanKind.CLIENT,
    status: { code: SpanStatusCode.ERROR, message: 'boom' },
    attributes: { 'a.str': 'x', 'a.int': 42, 'a.double': 1.5, 'a.bool': true, 'a.arr': ['p', 'q'] },
    resource: { 'service.name': 'receiver-test' },
    scope: { name: 'scope-a', version: '1.2.3' },
  })
  expect(child.events).toEqual([expect.objectContaining({ name: 'ev', attributes: { k: 'v' } })])
  expect(child.durationMs).toBeGreaterThanOrEqual(0)
}

describe('otlp-receiver', () => {
  let receiver: OtlpReceiver
  afterEach(() => receiver.close())

  it('decodes OTLP/HTTP protobuf spans', async () => {
    receiver = await startOtlpReceiver()
    await send('proto', receiver)
    // SimpleSpanProcessor: one request per span
    expect(receiver.requests).toEqual([
      expect.objectContaining({ signal: 'traces', encoding: 'protobuf', path: '/v1/traces' }),
      expect.objectContaining({ signal: 'traces', encoding: 'protobuf', path: '/v1/traces' }),
    ])
    expectTrace(receiver)
  })

  it('decodes OTLP/HTTP JSON spans', async () => {
    receiver = await startOtlpReceiver()
    await send('json', receiver)
    expect(receiver.requests[0]).toMatchObject({ encoding: 'json' })
    expectTrace(receiver)
  })

  it('decodes gzip-compressed protobuf spans', async () => {
    receiver = await startOtlpReceiver()
    await send('gzip', receiver)
    expect(receiver.requests[0]!.headers['content-encoding']).toBe('gzip')
    expectTrace(receiver)
  })

  it('decodes OTLP/gRPC spans', async () => {
    receiver = await startOtlpReceiver({ grpc: true })
    await send('grpc', receiver)
    expect(receiver.requests[0]).toMatchObject({ transport: 'grpc', signal: 'traces' })
    expectTrace(receiver)
  })

  it('decodes protobuf metrics', async () => {
    receiver = await startOtlpReceiver()
    await send('metrics', receiver)
    expect(receiver.metrics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'c',
          type: 'sum',
          dataPoints: [{ attributes: { route: '/a' }, value: 3 }],
        }),
        expect.objectContaining({
          name: 'h',
          unit: 's',
          type: 'histogram',
          dataPoints: [expect.objectContaining({ count: 1, sum: 0.2 })],
        }),
      ]),
    )
  })

  it('refuses connections while stopped and receives again on the same port after start', async () => {
    receiver = await startOtlpReceiver()
    const port = receiver.port
    await receiver.stop()
    await expect(fetch(`${receiver.url}/v1/traces`, { method: 'POST' })).rejects.toThrow()
    await receiver.start()
    expect(receiver.port).toBe(port)
    await send('proto', receiver)
    expectTrace(receiver)
  })

  it('answers with the configured status, to play a failing collector', async () => {
    receiver = await startOtlpReceiver({ status: 503 })
    const res = await fetch(`${receiver.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array(0),
    })
    expect(res.status).toBe(503)
    expect(receiver.requests).toEqual([])
  })

  it('waitForSpans rejects with what arrived when the condition is not met', async () => {
    receiver = await startOtlpReceiver()
    await expect(receiver.waitForSpans((s) => s.length > 0, 50)).rejects.toThrow(
      'otlp-receiver: spans condition not met within 50 ms; received 0 spans [] and 0 metrics',
    )
  })
})
