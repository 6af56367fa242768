import { resetLostContextReports, resetUnknownOptionReports } from '@tracehop/core'
import { context, diag, trace, type DiagLogger } from '@opentelemetry/api'
import {
  type InMemorySpanExporter,
  type ReadableSpan,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace'
import {
  listen,
  newTraceparent,
  startTestTracing,
  type TestTracing,
} from '../../../test-utils/tracing.js'
import type express from 'express'
import express4 from 'express4'
import express5 from 'express5'
import http, { type IncomingHttpHeaders } from 'node:http'

export { listen, newTraceparent }

export type Express = typeof express

/** Express 4 and 5, for `describe.each`. */
export const EXPRESS_VERSIONS: [string, Express][] = [
  ['express 4', express4],
  ['express 5', express5],
]

/** A local tracer provider with an in-memory exporter, the ALS context manager and W3C propagators. */
export function setupTracing(extra: SpanProcessor[] = []): TestTracing {
  const tracing = startTestTracing({ spanProcessors: extra, w3cPropagators: true })
  return {
    ...tracing,
    async teardown() {
      await tracing.teardown()
      diag.disable()
    },
  }
}

/** {@link setupTracing} for a whole test file: spans cleared after each test, torn down after all. */
export function useTracing(extra: SpanProcessor[] = []): TestTracing {
  const tracing = setupTracing(extra)
  afterEach(() => tracing.exporter.reset())
  afterAll(() => tracing.teardown())
  return tracing
}

/**
 * Collects diag messages from warn and above. Lost-context and unknown-option warnings come once
 * per process: core forgets the ones already given, so each capture sees its own.
 */
export function captureDiag(): { warnings: string[]; restore: () => void } {
  resetLostContextReports()
  resetUnknownOptionReports()
  const warnings: string[] = []
  const push = (message: string) => warnings.push(message)
  const logger: DiagLogger = {
    error: push,
    warn: push,
    info: () => {},
    debug: () => {},
    verbose: () => {},
  }
  diag.setLogger(logger, { logLevel: 60, suppressOverrideMessage: true })
  return { warnings, restore: () => diag.disable() }
}

export interface Reply {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** One request over a real socket; resolves with status, headers and the whole body. */
export function request(
  url: string,
  options: {
    method?: string
    headers?: Record<string, string | string[]>
    body?: string | Buffer
    agent?: http.Agent
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: options.agent },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/** The trace id and span id the active context holds, as a handler or middleware sees it. */
export function activeIds(): { traceId: string; spanId: string } | undefined {
  const span = trace.getSpan(context.active())
  if (span === undefined) return undefined
  const { traceId, spanId } = span.spanContext()
  return { traceId, spanId }
}

/** SERVER spans the exporter holds. */
export function serverSpans(exporter: InMemorySpanExporter): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.kind === 1)
}

/** Waits until `check` passes, polling; fails after `timeoutMs`. */
export async function eventually(check: () => void, timeoutMs = 10_000): Promise<void> {
  const started = Date.now()
  for (;;) {
    try {
      check()
      return
    } catch (error) {
      if (Date.now() - started > timeoutMs) throw error
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Counts SERVER spans started and ended, and how often each span id ended. */
export class CountingProcessor implements SpanProcessor {
  started = 0
  ended = 0
  readonly endings = new Map<string, number>()
  onStart(span: { kind: number }): void {
    if (span.kind === 1) this.started++
  }
  onEnd(span: ReadableSpan): void {
    if (span.kind !== 1) return
    this.ended++
    const id = span.spanContext().spanId
    this.endings.set(id, (this.endings.get(id) ?? 0) + 1)
  }
  reset(): void {
    this.started = 0
    this.ended = 0
    this.endings.clear()
  }
  forceFlush(): Promise<void> {
    return Promise.resolve()
  }
  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}
