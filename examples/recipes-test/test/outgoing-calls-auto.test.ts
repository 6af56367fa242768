// The recipe relies on @tracehop/node's own outgoing-call tracing, which needs a real process:
// it runs as a script, and its spans are decoded from the OTLP/HTTP protobuf it exports.
import { SpanKind } from '@opentelemetry/api'
import { startOtlpReceiver, type OtlpReceiver } from '../../../test-utils/otlp-receiver'
import { runRecipeScript } from './script'

let receiver: OtlpReceiver
beforeAll(async () => {
  receiver = await startOtlpReceiver()
})
afterAll(() => receiver.close())

describe('outgoing calls with @tracehop/node (script, OTLP to a receiver)', () => {
  it('fetch, undici, axios and node:http each get a CLIENT span; the called service continues from it', async () => {
    const result = await runRecipeScript('outgoing-calls-auto.ts', {
      OTEL_SERVICE_NAME: 'checkout',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    })
    // stderr rides along so a failure shows it; tracehop's own warnings would start with its name
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 0,
      // nothing from tracehop but the development line saying where spans go
      stderr: expect.not.stringMatching(/@tracehop(?!\/node: spans go to )/),
    })
    const answers = JSON.parse(result.stdout.trim().split('\n').pop()!) as {
      via: string
      traceparent: string
    }[]
    expect(answers.map((a) => a.via)).toEqual(['/fetch', '/undici', '/axios', '/http'])

    // the script's own fetch (CLIENT) -> checkout SERVER -> 4 x (CLIENT -> inventory SERVER)
    const spans = await receiver.waitForSpans((all) => all.length >= 10, 20_000)
    expect(spans).toHaveLength(10)
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1)
    const byId = new Map(spans.map((s) => [s.spanId, s]))
    const roots = spans.filter((s) => s.parentSpanId === undefined)
    expect(roots.map((s) => s.kind)).toEqual([SpanKind.CLIENT])
    for (const span of spans) {
      if (span.parentSpanId !== undefined) expect(byId.has(span.parentSpanId)).toBe(true)
    }
    const checkout = spans.find(
      (s) => s.kind === SpanKind.SERVER && s.attributes['url.path'] === '/',
    )!
    expect(checkout.parentSpanId).toBe(roots[0]!.spanId)
    for (const answer of answers) {
      const server = spans.find(
        (s) => s.kind === SpanKind.SERVER && s.attributes['url.path'] === answer.via,
      )!
      const client = byId.get(server.parentSpanId!)!
      expect({ via: answer.via, kind: client.kind, parent: client.parentSpanId }).toEqual({
        via: answer.via,
        kind: SpanKind.CLIENT,
        parent: checkout.spanId,
      })
      // what went over the wire names that CLIENT span
      expect(answer.traceparent).toMatch(
        new RegExp(`^00-${server.traceId}-${client.spanId}-0[13]$`),
      )
      expect(server.resource['service.name']).toBe('checkout')
    }
  }, 90_000) // bundling and a cold Node process on a loaded machine
})
