// The tracing every package's tests set up per file: a local provider with an in-memory exporter
// and the global AsyncLocalStorage context manager, torn down in afterEach/afterAll.
import { context, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core'
import {
  TracerProvider as BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace'
import http, { type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'

/** What {@link startTestTracing} installed, and how to take it down again. */
export interface TestTracing {
  readonly provider: BasicTracerProvider
  readonly exporter: InMemorySpanExporter
  /** Shuts the provider down and disables the global context manager, tracer provider and propagator. */
  teardown(): Promise<void>
}

/**
 * A local provider exporting to memory (plus `spanProcessors`), and the global
 * AsyncLocalStorage context manager; with `w3cPropagators` also the W3C trace context and
 * baggage propagators, what an SDK setup registers.
 * @example const { provider, exporter, teardown } = startTestTracing({ w3cPropagators: true })
 */
export function startTestTracing(
  options: { spanProcessors?: SpanProcessor[]; w3cPropagators?: boolean } = {},
): TestTracing {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor({ exporter }), ...(options.spanProcessors ?? [])],
  })
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  if (options.w3cPropagators === true) {
    propagation.setGlobalPropagator(
      new CompositePropagator({
        propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
      }),
    )
  }
  return {
    provider,
    exporter,
    async teardown() {
      await provider.shutdown()
      context.disable()
      trace.disable()
      propagation.disable()
    },
  }
}

/**
 * Waits until `exporter` holds `count` spans (a server span ends after the response is written,
 * asynchronously to the client); rejects after `timeoutMs`, naming the spans it got.
 */
export async function waitForSpans(
  exporter: InMemorySpanExporter,
  count: number,
  timeoutMs = 10_000,
): Promise<ReadableSpan[]> {
  const deadline = Date.now() + timeoutMs
  while (exporter.getFinishedSpans().length < count) {
    if (Date.now() > deadline) {
      const spans = exporter.getFinishedSpans()
      throw new Error(
        `expected ${count} spans, got ${spans.length}: ${spans.map((s) => s.name).join(', ')}`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return exporter.getFinishedSpans()
}

/** Starts a node:http server for `handler` on 127.0.0.1, port 0. */
export async function listen(
  handler: RequestListener,
): Promise<{ server: Server; url: string; port: number; close: () => Promise<void> }> {
  const server = http.createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A fresh W3C traceparent with a random trace id and parent span id. */
export function newTraceparent(): { traceparent: string; traceId: string; parentId: string } {
  const traceId = randomBytes(16).toString('hex')
  const parentId = randomBytes(8).toString('hex')
  return { traceparent: `00-${traceId}-${parentId}-01`, traceId, parentId }
}
