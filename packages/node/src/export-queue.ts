import { context, TraceFlags } from '@opentelemetry/api'
import { ExportResultCode, suppressTracing, type ExportResult } from '@opentelemetry/core'
import { type ReadableSpan, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace'
import type { BatchOptions, ExportStats } from './types.js'
import { type Warnings } from './warnings.js'

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message
  }
  return String(error)
}

/**
 * A batching span processor with a bounded queue and counters. Past `maxQueueSize`, new spans
 * are dropped and counted; a failed export loses its batch (counted) and the next attempt waits
 * for the next scheduled round, so an exporter that is down costs the app nothing but the queue.
 * Trouble (failed exports, a full queue) is reported at most once a minute, and the first export
 * that succeeds after it once.
 */
export class ExportQueueSpanProcessor implements SpanProcessor {
  private queue: ReadableSpan[] = []
  private timer: NodeJS.Timeout | undefined
  private inFlight: Promise<boolean> | undefined
  private shutdownPromise: Promise<void> | undefined
  private troubled = false
  private lostWhileTroubled = 0
  private readonly counters = { exported: 0, dropped: 0, failed: 0 }

  constructor(
    private readonly exporter: SpanExporter,
    private readonly options: Required<BatchOptions>,
    private readonly warnings: Warnings,
    private readonly target: string,
  ) {}

  /** Counters since start. */
  stats(): ExportStats {
    return { queued: this.queue.length, ...this.counters }
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (this.shutdownPromise) return
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return
    if (this.queue.length >= this.options.maxQueueSize) {
      this.counters.dropped++
      this.lostWhileTroubled++
      this.troubled = true
      this.warnings.repeating(
        `span export queue is full (${this.options.maxQueueSize} spans); dropping new spans ` +
          `(${this.counters.dropped} dropped so far). Is ${this.target} reachable?`,
      )
      return
    }
    this.queue.push(span)
    if (this.queue.length >= this.options.maxExportBatchSize && !this.inFlight) {
      this.clearTimer()
      void this.run()
    } else {
      this.schedule()
    }
  }

  /** Exports everything queued now (one attempt per batch). */
  async forceFlush(): Promise<void> {
    this.clearTimer()
    if (this.inFlight) await this.inFlight
    while (this.queue.length > 0) {
      const before = this.queue.length
      await this.exportOne()
      if (this.queue.length >= before) break
    }
  }

  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.forceFlush()
      .catch(() => {})
      .then(() => this.exporter.shutdown())
    return this.shutdownPromise
  }

  private schedule(): void {
    if (this.timer || this.inFlight || this.queue.length === 0) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.run()
    }, this.options.scheduledDelayMillis)
    this.timer.unref()
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }

  /** Exports batch after batch until the queue is empty or an export fails. */
  private async run(): Promise<void> {
    while (this.queue.length > 0 && !this.inFlight) {
      if (!(await this.exportOne())) break
    }
    this.schedule()
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
    return attempt.finally(() => {
      if (this.inFlight === attempt) this.inFlight = undefined
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
    this.lostWhileTroubled += count
    this.troubled = true
    this.warnings.repeating(
      `exporting spans to ${this.target} failed (${errorText(result.error)}); ` +
        `${this.counters.failed} spans lost so far, will keep trying`,
    )
    return false
  }
}
