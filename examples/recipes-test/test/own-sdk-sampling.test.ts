import { ROOT_CONTEXT, SpanKind, trace, type ProxyTracerProvider } from '@opentelemetry/api'
import {
  InMemorySpanExporter,
  type TracerProvider,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace'
import { setUpTracing, start } from '../../../docs/recipes/own-sdk-sampling'
import { waitFor } from './tracing'

interface Reply {
  recording: boolean
  downstream: Record<string, string>
}

const exporter = new InMemorySpanExporter()
let shutdown: () => Promise<void>
let app: Awaited<ReturnType<typeof start>>
// every time the SDK's sampler is asked: only for the requests the declarations do not cover
const askedSdk = jest.spyOn(ParentBasedSampler.prototype, 'shouldSample')

beforeAll(async () => {
  shutdown = setUpTracing({ ratio: 0.5, exporter })
  app = await start()
})
afterAll(async () => {
  await app.close()
  await shutdown()
})
beforeEach(() => {
  exporter.reset()
  askedSdk.mockClear()
})

/** What the recipe's BatchSpanProcessor holds, exported now rather than after its 5 s delay. */
async function flush(): Promise<void> {
  const global = trace.getTracerProvider() as ProxyTracerProvider
  await (global.getDelegate() as TracerProvider).forceFlush()
}

async function order(headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${app.url}/orders/42`, { headers })
  expect(res.status).toBe(200)
  return (await res.json()) as Reply
}

function parseTraceparent(value: string | undefined) {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(value ?? '')
  if (match === null) throw new Error(`not a traceparent: ${value}`)
  return { traceId: match[1], spanId: match[2], flags: match[3] }
}

describe('own SDK sampling recipe (Express, a ratio sampler declared to tracehop)', () => {
  it("samples new traces by the SDK's ratio verdict on their trace id, asking the SDK only for the kept ones", async () => {
    const ratio = new TraceIdRatioBasedSampler(0.5)
    const replies: Reply[] = []
    for (let i = 0; i < 40; i++) replies.push(await order())
    const kept: string[] = []
    for (const reply of replies) {
      const { traceId, flags } = parseTraceparent(reply.downstream.traceparent)
      const verdict = ratio.shouldSample(ROOT_CONTEXT, traceId)
      const sampled = verdict.decision === SamplingDecision.RECORD_AND_SAMPLED
      expect({ traceId, recording: reply.recording, flags }).toEqual({
        traceId,
        recording: sampled,
        flags: sampled ? '01' : '00',
      })
      if (sampled) kept.push(traceId)
    }
    // 40 random trace ids at 0.5: both outcomes occur (a miss is ~1e-12)
    expect(kept.length).toBeGreaterThan(0)
    expect(kept.length).toBeLessThan(40)
    expect(askedSdk).toHaveBeenCalledTimes(kept.length)
    await flush()
    const exported = await waitFor('the kept SERVER spans', () => {
      const spans = exporter.getFinishedSpans()
      return spans.length === kept.length && spans
    })
    expect(exported.map((span) => span.spanContext().traceId).sort()).toEqual(kept.sort())
    expect(exported.every((span) => span.kind === SpanKind.SERVER)).toBe(true)
  })

  it('gives a -00 caller its own trace id downstream, unsampled, with a fresh span id, without asking the SDK', async () => {
    const caller = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' }
    const reply = await order({ traceparent: `00-${caller.traceId}-${caller.spanId}-00` })
    const downstream = parseTraceparent(reply.downstream.traceparent)
    expect(reply.recording).toBe(false)
    expect(downstream.traceId).toBe(caller.traceId)
    expect(downstream.spanId).not.toBe(caller.spanId)
    expect(downstream.flags).toBe('00')
    expect(askedSdk).not.toHaveBeenCalled()

    // a sampled caller is followed, through the SDK
    const sampled = await order({ traceparent: `00-${caller.traceId}-${caller.spanId}-01` })
    expect(sampled.recording).toBe(true)
    expect(askedSdk).toHaveBeenCalledTimes(1)
    await flush()
    const [server] = await waitFor('the SERVER span', () => {
      const spans = exporter.getFinishedSpans()
      return spans.length === 1 && spans
    })
    expect(server?.parentSpanContext?.spanId).toBe(caller.spanId)
  })
})
