import { context, TraceFlags } from '@opentelemetry/api'
import { ExportResultCode, suppressTracing, type ExportResult } from '@opentelemetry/core'
import { type ReadableSpan, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace'
import type { BatchOptions, ExportStats } from './types.js'
import { type Warnings } from './warnings.js'

/** Pause after a failed export before the next attempt, unless the schedule is sooner. */
const RETRY_DELAY_MILLIS = 1000

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message
  }
  return String(error)
}

/** What the queue may ask of the exporter's transport: end everything now. */
export interface ExportLink {
  abort(): void
}

/**
 * A batching span processor with a bounded queue and counters. Past `maxQueueSize` the oldest
 * queued span is dropped (and counted) for each new one, so after an outage the spans that
 * ended last, those closest to the recovery, are the ones kept. A failed export loses its batch
 * (counted) and the next attempt comes after a short pause, so an exporter that is down costs
 * the app nothing but the queue, and the first attempt after it is back comes soon.
 * Trouble is reported at most once a minute per kind (failed exports, a full queue), each with
 * its cause, and the first export that succeeds after it once.
 */
export class ExportQueueSpanProcessor implements SpanProcessor {
  private queue: ReadableSpan[] = []
  private timer: NodeJS.Timeout | undefined
  private inFlight: Promise<boolean> | undefined
  private shutdownPromise: Promise<void> | undefined
  private closed = false
  private flushing = 0
  private closeTimer: NodeJS.Timeout | undefined
  private cut = 0
  private inFlightCount = 0
  private troubled = false
  private lostWhileTroubled = 0
  private readonly counters = { exported: 0, dropped: 0, failed: 0 }

  constructor(
    private readonly exporter: SpanExporter,
    private readonly options: Required<BatchOptions>,
    private readonly warnings: Warnings,
    private readonly target: string,
    private readonly link?: ExportLink,
  ) {}

  /** Counters since start. */
  stats(): ExportStats {
    return { queued: this.queue.length, ...this.counters }
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (this.shutdownPromise || this.closed) return
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return
    if (this.queue.length >= this.options.maxQueueSize) {
      this.queue.shift()
      this.counters.dropped++
      this.lostWhileTroubled++
      this.troubled = true
      this.warnings.repeating(
        'queue-full',
        `span export queue is full (${this.options.maxQueueSize} spans); dropping the oldest ` +
          `(${this.counters.dropped} dropped so far) while exports to ${this.target} do not keep up`,
      )
    }
    this.queue.push(span)
    if (this.queue.length >= this.options.maxExportBatchSize && !this.inFlight) {
      this.clearTimer()
      void this.run()
    } else {
      this.schedule(this.options.scheduledDelayMillis)
    }
  }

  /** Exports everything queued now, batch after batch, until the queue is empty or one fails. */
  async forceFlush(): Promise<void> {
    this.clearTimer()
    this.flushing++
    try {
      // An export already handed over may sit in an exporter that buffers until flushed.
      if (this.inFlight) this.flushExporter()
      while (this.inFlight || (this.queue.length > 0 && !this.closed)) {
        if (!(await (this.inFlight ?? this.exportOne()))) break
      }
    } finally {
      this.flushing--
    }
    this.schedule(this.options.scheduledDelayMillis)
  }

  /** Asks the exporter to send what it buffers, for exporters that batch on their own. */
  private flushExporter(): void {
    this.exporter.forceFlush?.().catch(() => {})
  }

  /**
   * Gives the flush and shutdown that follow `ms` in all: past it, the export in flight is ended,
   * what is still queued is dropped (counted), and nothing of the queue keeps the process alive.
   */
  closeWithin(ms: number): void {
    if (this.closeTimer !== undefined || this.closed) return
    const close = (): void => {
      this.closed = true
      this.clearTimer()
      this.cut = this.queue.length + this.inFlightCount
      this.counters.dropped += this.queue.length
      this.queue = []
      this.link?.abort()
    }
    this.closeTimer = setTimeout(close, ms)
    this.closeTimer.unref()
  }

  /** Spans that `closeWithin` cut off: still queued, or in an export it ended. */
  get cutOff(): number {
    return this.cut
  }

  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.forceFlush()
      .catch(() => {})
      .then(() => {
        this.clearTimer()
        if (this.closeTimer !== undefined) clearTimeout(this.closeTimer)
        return this.exporter.shutdown()
      })
    return this.shutdownPromise
  }

  private schedule(delay: number): void {
    if (this.timer || this.inFlight || this.closed || this.queue.length === 0) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.run()
    }, delay)
    this.timer.unref()
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }

  /** Exports batch after batch until the queue is empty or an export fails. */
  private async run(): Promise<void> {
    let ok = true
    while (this.queue.length > 0 && !this.inFlight && !this.closed) {
      ok = await this.exportOne()
      if (!ok) break
    }
    // After a failure, try again soon: the collector may be back before the next round.
    const { scheduledDelayMillis } = this.options
    this.schedule(ok ? scheduledDelayMillis : Math.min(RETRY_DELAY_MILLIS, scheduledDelayMillis))
  }
  private exportOne(): Promise<boolean> {
    const batch = this.queue.splice(0, this.options.maxExportBatchSize)
    if (batch.length === 0) return Promise.resolve(true)
    const attempt = new Promise<ExportResult>((resolve) => {
      const timer = setTimeout(
        () =>
          resolve({
            code: ExportResultCode.FAILED,
            error: new Error(`timed out after ${this.options.exportTimeoutMillis} ms`),
          }),
        this.options.exportTimeoutMillis,
      )
      timer.unref()
      const send = (): void => {
        // The exporter's own HTTP calls must not be traced as outgoing calls of the app.
        context.with(suppressTracing(context.active()), () => {
          try {
            this.exporter.export(batch, (result) => {
              clearTimeout(timer)
              resolve(result)
            })
            if (this.flushing > 0) this.flushExporter()
          } catch (error) {
            clearTimeout(timer)
            resolve({ code: ExportResultCode.FAILED, error: error as Error })
          }
        })
      }
      // Exporters read the resource; wait for detectors still settling (the host id).
      const settling = new Set<Promise<void>>()
      for (const span of batch) {
        const resource = span.resource
        if (resource.asyncAttributesPending && resource.waitForAsyncAttributes) {
          settling.add(resource.waitForAsyncAttributes())
        }
      }
      if (settling.size === 0) send()
      else Promise.all(settling).then(send, send)
    }).then((result) => this.settle(batch.length, result))
    this.inFlight = attempt
    this.inFlightCount = batch.length
    return attempt.finally(() => {
      if (this.inFlight !== attempt) return
      this.inFlight = undefined
      this.inFlightCount = 0
    })
  }

  private settle(count: number, result: ExportResult): boolean {
    if (result.code === ExportResultCode.SUCCESS) {
      this.counters.exported += count
      if (this.troubled) {
        this.troubled = false
        this.warnings.once(
          `spans reach ${this.target} again; ${this.lostWhileTroubled} spans were lost meanwhile`,
        )
        this.lostWhileTroubled = 0
      }
      return true
    }
    this.counters.failed += count
    if (this.closed) return false // ended by shutdown, which says so itself
    this.lostWhileTroubled += count
    this.troubled = true
    this.warnings.repeating(
      'export-failed',
      `exporting spans to ${this.target} failed (${errorText(result.error)}); ` +
        `${this.counters.failed} spans lost so far, will keep trying`,
    )
    return false
  }
}

/**
 * Shutdown's bound on exporting: after `ms` the queue drops what is left and every link ends
 * its request in flight, so nothing of the export keeps the process alive once shutdown returns.
 */
export function endExportsWithin(
  ms: number,
  queue: ExportQueueSpanProcessor | undefined,
  ...links: (ExportLink | undefined)[]
): () => string {
  queue?.closeWithin(ms)
  for (const link of links) if (link) setTimeout(() => link.abort(), ms).unref()
  return () => {
    const cut = queue?.cutOff ?? 0
    return cut > 0 ? `; ${cut} spans were not exported` : ''
  }
}
