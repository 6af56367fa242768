import { resetLostContextReports, resetUnknownOptionReports } from '@tracehop/core'
// Shared test scaffolding: Fastify 4 and 5 side by side (npm aliases), a local tracer provider with
// an in-memory exporter, the AsyncLocalStorage context manager, and small request helpers.
import { diag, DiagLogLevel, trace, type DiagLogger } from '@opentelemetry/api'
import {
  type TracerProvider as BasicTracerProvider,
  type InMemorySpanExporter,
  type ReadableSpan,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace'
import { newTraceparent, startTestTracing, waitForSpans } from '../../../test-utils/tracing.js'
import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify'
import fastify4 from 'fastify4'
import fastify5 from 'fastify5'
import { request as httpRequest } from 'node:http'
import { Writable } from 'node:stream'
import type { AddressInfo } from 'node:net'

export { newTraceparent }

/** A Fastify factory typed as Fastify 5's (the tests use the API both majors share). */
export type FastifyFactory = (options?: FastifyServerOptions) => FastifyInstance

export interface FastifyVersion {
  readonly name: string
  readonly major: 4 | 5
  readonly create: FastifyFactory
}

/** Fastify 4 and 5, for `describe.each`. */
export const FASTIFY_VERSIONS: FastifyVersion[] = [
  { name: 'fastify 4', major: 4, create: fastify4 as unknown as FastifyFactory },
  { name: 'fastify 5', major: 5, create: fastify5 as unknown as FastifyFactory },
]

export interface TestTracing {
  readonly exporter: InMemorySpanExporter
  readonly provider: BasicTracerProvider
  spans(): ReadableSpan[]
  serverSpans(): ReadableSpan[]
  /** Waits until `count` spans have ended (the span ends on `finish`, after the client may have read the body). */
  waitForSpans(count: number, timeoutMs?: number): Promise<ReadableSpan[]>
  reset(): void
  shutdown(): Promise<void>
}

/**
 * A local provider + exporter, the global AsyncLocalStorage context manager and the W3C
 * propagators (what an SDK setup registers), for one test file.
 */
export function setupTracing(extraProcessors: SpanProcessor[] = []): TestTracing {
  const { exporter, provider, teardown } = startTestTracing({
    spanProcessors: extraProcessors,
    w3cPropagators: true,
  })
  const spans = (): ReadableSpan[] => exporter.getFinishedSpans()
  return {
    exporter,
    provider,
    spans,
    serverSpans: () => spans().filter((span) => span.kind === 1),
    waitForSpans: (count, timeoutMs) => waitForSpans(exporter, count, timeoutMs),
    reset() {
      exporter.reset()
    },
    shutdown: teardown,
  }
}

/** {@link setupTracing} for a whole test file: spans cleared after each test, shut down after all. */
export function useTracing(extraProcessors: SpanProcessor[] = []): TestTracing {
  const tracing = setupTracing(extraProcessors)
  afterEach(() => tracing.reset())
  afterAll(() => tracing.shutdown())
  return tracing
}

/** Starts `app` on 127.0.0.1, port 0, and returns its base URL. */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address() as AddressInfo
  return `http://127.0.0.1:${address.port}`
}

/** The trace id of the active span, or `'none'`. */
export function activeTraceId(): string {
  return trace.getActiveSpan()?.spanContext().traceId ?? 'none'
}

/**
 * Collects diag messages (warn and above) while installed. Lost-context warnings come once per
 * hook and process: core forgets the ones already given, so each capture sees its own.
 */
/**
 * Records, per request (its `x-test-id` header), the trace id active at each named step, so a
 * test can assert every hook and the handler saw the request's own trace.
 */
export function stepRecorder(): {
  seen: Map<string, Record<string, string>>
  record(request: FastifyRequest, step: string): void
} {
  const seen = new Map<string, Record<string, string>>()
  return {
    seen,
    record(request, step) {
      const id = request.headers['x-test-id'] as string
      let steps = seen.get(id)
      if (steps === undefined) seen.set(id, (steps = {}))
      steps[step] = activeTraceId()
    },
  }
}

/** Collects diag warnings; forgets the once-only reports already given, so each capture sees its own. */
export function captureDiag(): { messages: string[]; restore(): void } {
  resetLostContextReports()
  resetUnknownOptionReports()
  const messages: string[] = []
  const logger: DiagLogger = {
    error: (message) => messages.push(message),
    warn: (message) => messages.push(message),
    info: () => undefined,
    debug: () => undefined,
    verbose: () => undefined,
  }
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true })
  return {
    messages,
    restore() {
      diag.disable()
    },
  }
}

/** Resolves after a random delay of up to `maxMs` milliseconds. */
export function randomDelay(maxMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * maxMs)))
}

export interface SlowResponse {
  status: number
  body: string
}

/**
 * Sends the headers first and the body `delayMs` later, so the server reads the body from
 * socket events that happen outside the request's context (what loses it in body parsers).
 */
export function sendSlowly(
  url: string,
  options: {
    method?: string
    headers: Record<string, string>
    body: string | Buffer
    delayMs?: number
  },
): Promise<SlowResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method: options.method ?? 'POST', headers: options.headers, agent: false },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        )
        response.on('error', reject)
      },
    )
    request.on('error', reject)
    request.flushHeaders()
    setTimeout(() => request.end(options.body), options.delayMs ?? 20)
  })
}

/** Counts spans started and ended (a span ended twice counts twice). */
export class CountingProcessor implements SpanProcessor {
  started = 0
  ended = 0
  onStart(): void {
    this.started++
  }
  onEnd(): void {
    this.ended++
  }
  forceFlush(): Promise<void> {
    return Promise.resolve()
  }
  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

/** A pino destination that keeps every JSON line. */
export function logSink(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n'))
        if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>)
      callback()
    },
  })
  return { lines, stream }
}
