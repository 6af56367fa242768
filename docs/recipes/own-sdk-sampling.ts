// An OpenTelemetry SDK set up by hand that samples a share of new traces and follows the caller's
// decision otherwise, told to tracehop so that the requests it drops skip the SDK: no span, no
// attributes, no span name, the same `traceparent` downstream. `startTracing()` does this for you.
// Run it: node --import tsx own-sdk-sampling.ts
import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type IdGenerator,
  type SpanExporter,
} from '@opentelemetry/sdk-trace'
import {
  createPropagator,
  declareDropsUnsampledParents,
  declareRootSampler,
  injectHeaders,
  randomSpanId,
  randomTraceId,
} from '@tracehop/core'
import { traceMiddleware } from '@tracehop/express'
import express from 'express'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'

/** Random ids, except that the next trace id can be set: the one a kept trace was decided on. */
class DecidableIds implements IdGenerator {
  next: string | undefined = undefined

  generateTraceId(): string {
    const traceId = this.next ?? randomTraceId()
    this.next = undefined
    return traceId
  }

  generateSpanId(): string {
    return randomSpanId()
  }
}

export function setUpTracing({
  ratio = 0.1,
  exporter = new ConsoleSpanExporter() as SpanExporter,
} = {}) {
  const root = new TraceIdRatioBasedSampler(ratio)
  const ids = new DecidableIds()
  const provider = new TracerProvider({
    // a sampled caller is followed, an unsampled one dropped, a new trace sampled by its id
    sampler: new ParentBasedSampler({ root }),
    idGenerator: ids,
    spanProcessors: [new BatchSpanProcessor({ exporter })],
  })
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(createPropagator('tracecontext,baggage'))
  trace.setGlobalTracerProvider(provider)

  // A `-00` caller: ParentBasedSampler drops its children whatever else it is told.
  const undeclareParents = declareDropsUnsampledParents(provider)
  // A new trace: the ratio sampler decides from the trace id alone, so it can be asked first.
  const undeclareRoots = declareRootSampler(provider, () => {
    const traceId = randomTraceId()
    const { decision } = root.shouldSample(ROOT_CONTEXT, traceId)
    if (decision === SamplingDecision.NOT_RECORD) return traceId // tracehop makes the span
    ids.next = traceId // the SDK starts the span with this id, and the sampler agrees again
    return undefined
  })

  return async function shutdown() {
    undeclareParents()
    undeclareRoots()
    await provider.shutdown()
    trace.disable()
    propagation.disable()
    context.disable()
  }
}

export async function start({ port = 0 } = {}) {
  const app = express()
  app.use(traceMiddleware())
  app.get('/orders/:id', (req, res) => {
    // what a call to the next service would carry
    res.json({
      id: req.params.id,
      recording: trace.getActiveSpan()?.isRecording() ?? false,
      downstream: injectHeaders(),
    })
  })
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(port, '127.0.0.1', () => resolve(listening))
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const shutdown = setUpTracing()
  start({ port: 3000 }).then(({ url, close }) => {
    console.log(`curl ${url}/orders/42`)
    process.once('SIGTERM', () => void close().then(shutdown))
  })
}
