import { SpanKind } from '@opentelemetry/api'
import { startOtlpReceiver, type OtlpReceiver } from '../../../test-utils/otlp-receiver.js'
import { bundle, runFixture } from './helpers/fixtures.js'

// `node --import @tracehop/node/register app.js`: the entry point the package exports as
// ./register, run before an app that never mentions tracing.
let receiver: OtlpReceiver
beforeEach(async () => {
  receiver = await startOtlpReceiver()
})
afterEach(() => receiver.close())

describe.each(['--import', '--require'])('node %s register', (flag) => {
  it('traces the app from the OTEL_* variables alone', async () => {
    const register = await bundle('packages/node/src/register.ts')
    const result = await runFixture('packages/node/test/fixtures/plain-app.ts', {
      nodeArgs: [flag, register],
      env: { OTEL_SERVICE_NAME: 'registered', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
    })
    expect(result).toMatchObject({
      code: 0,
      stdout: 'body=ok\n',
      // not production: one line says where spans go
      stderr: `@tracehop/node: spans go to ${receiver.url}/v1/traces (OTLP http/protobuf)\n`,
    })
    // nobody called shutdown(): the flush when the event loop ran dry delivered them
    const spans = await receiver.waitForSpans((all) => all.length >= 4)
    expect(spans).toHaveLength(4)
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1)
    expect(new Set(spans.map((s) => s.resource['service.name']))).toEqual(new Set(['registered']))
    const inner = spans.find(
      (s) => s.kind === SpanKind.SERVER && s.attributes['url.path'] === '/inner',
    )!
    const call = spans.find((s) => s.spanId === inner.parentSpanId)!
    expect(call.kind).toBe(SpanKind.CLIENT)
  })
})
