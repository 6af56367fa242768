import { type HrTime, SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import { type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace'

/** Options of {@link renderWaterfall} and {@link WaterfallSpanExporter}. */
export interface WaterfallOptions {
  /** Use ANSI colours. Default: only when the output is a TTY and `NO_COLOR` is not set. */
  colors?: boolean
  /** Width of the time-axis bar in characters. Default: fitted to `columns` (12 to 60), else 40. */
  barWidth?: number
  /** Terminal width the lines should fit in. Default: the stream's, when it is a terminal. */
  columns?: number
}

/** Options of {@link WaterfallSpanExporter}. */
export interface WaterfallExporterOptions extends WaterfallOptions {
  /** Where the text goes. Default `process.stdout`. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }
  /**
   * How long a trace must stay quiet (no new span) after its root span ended before it is
   * printed. Spans that arrive later are printed as a continuation. Default 200 ms.
   */
  quietMillis?: number
  /** Print a trace without a local root span after this long without new spans. Default 2000 ms. */
  orphanMillis?: number
}

const ANSI = {
  reset: '\x1b[0m',
  dim: '\x1b[2m',
  bold: '\x1b[1m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
}
const SERVICE_COLORS = ['\x1b[36m', '\x1b[35m', '\x1b[34m', '\x1b[33m', '\x1b[32m', '\x1b[96m']
const KIND_LABEL: Record<SpanKind, string> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
}
const MAX_NAME = 44

interface Row {
  span: ReadableSpan
  prefix: string
  service: string
  start: number
  end: number
}

function nanos(time: HrTime): number {
  return time[0] * 1e9 + time[1]
}

function formatDuration(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)} µs`
  if (ms < 1000) return `${ms.toFixed(1)} ms`
  return `${(ms / 1000).toFixed(2)} s`
}

function serviceOf(span: ReadableSpan): string {
  const name = span.resource.attributes['service.name']
  return typeof name === 'string' ? name : 'unknown'
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`
}

/** The short outcome shown after the duration: status code, error type, client target. */
function outcome(span: ReadableSpan): { text: string; tone: 'ok' | 'warn' | 'error' | 'plain' } {
  const a = span.attributes
  const parts: string[] = []
  const status = a['http.response.status_code']
  const route = a['http.route']
  if (typeof route === 'string') {
    if (!span.name.includes(route)) parts.push(route)
  } else if (span.kind === SpanKind.SERVER && typeof a['url.path'] === 'string') {
    parts.push(a['url.path'])
  }
  if (span.kind === SpanKind.CLIENT) {
    const url = a['url.full']
    if (typeof url === 'string') parts.push(`→ ${url.slice(url.indexOf('://') + 3)}`)
    else if (typeof a['server.address'] === 'string') {
      const port = a['server.port']
      parts.push(`→ ${a['server.address']}${port === undefined ? '' : `:${String(port)}`}`)
    }
  }
  const destination = a['messaging.destination.name']
  if (typeof destination === 'string' && !span.name.includes(destination)) parts.push(destination)
  if (status !== undefined) parts.unshift(String(status))
  const error = span.status.code === SpanStatusCode.ERROR
  if (error) {
    const type = a['error.type']
    const detail =
      type !== undefined && String(type) !== String(status) ? String(type) : span.status.message
    parts.push(detail ? `✗ ${detail}` : '✗')
  } else if (a['error.type'] !== undefined) {
    parts.push(`(${String(a['error.type'])})`)
  }
  const code = typeof status === 'number' ? status : Number(status)
  const tone = error ? 'error' : code >= 400 ? 'warn' : code >= 200 ? 'ok' : 'plain'
  return { text: parts.join('  '), tone }
}

/** Orders the spans of one trace as a depth-first tree, children by start time. */
function tree(spans: readonly ReadableSpan[]): Row[] {
  const byId = new Map<string, ReadableSpan>()
  for (const span of spans) byId.set(span.spanContext().spanId, span)
  const children = new Map<string, ReadableSpan[]>()
  const roots: ReadableSpan[] = []
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId
    if (parent !== undefined && byId.has(parent)) {
      const list = children.get(parent)
      if (list) list.push(span)
      else children.set(parent, [span])
    } else {
      roots.push(span)
    }
  }
  const byStart = (a: ReadableSpan, b: ReadableSpan): number =>
    nanos(a.startTime) - nanos(b.startTime)
  const rows: Row[] = []
  const visit = (span: ReadableSpan, lead: string, branch: string): void => {
    rows.push({
      span,
      prefix: lead + branch,
      service: serviceOf(span),
      start: nanos(span.startTime),
      end: nanos(span.endTime),
    })
    const kids = (children.get(span.spanContext().spanId) ?? []).sort(byStart)
    const nextLead = lead + (branch === '' ? '' : branch === '├─ ' ? '│  ' : '   ')
    kids.forEach((kid, i) => visit(kid, nextLead, i === kids.length - 1 ? '└─ ' : '├─ '))
  }
  for (const root of roots.sort(byStart)) visit(root, '', '')
  return rows
}

/**
 * Renders the spans of one trace as a waterfall: one line per span with its service, its place
 * in the tree, a bar on a time axis shared by the whole trace, its duration and outcome.
 *
 * @example
 * process.stdout.write(renderWaterfall(spans, { colors: false, barWidth: 40 }))
 */
export function renderWaterfall(
  spans: readonly ReadableSpan[],
  options: WaterfallOptions & { title?: string } = {},
): string {
  if (spans.length === 0) return ''
  const colors = options.colors ?? false
  const paint = (code: string, text: string): string =>
    colors && text !== '' ? `${code}${text}${ANSI.reset}` : text
  const rows = tree(spans)
  const t0 = Math.min(...rows.map((r) => r.start))
  const t1 = Math.max(...rows.map((r) => r.end))
  const total = Math.max(t1 - t0, 1)
  const services: string[] = []
  for (const row of rows) if (!services.includes(row.service)) services.push(row.service)
  const serviceWidth = Math.max(...services.map((s) => s.length))
  const labels = rows.map((r) => truncate(r.prefix + r.span.name, MAX_NAME))
  const labelWidth = Math.max(...labels.map((l) => l.length))
  const durations = rows.map((r) => formatDuration((r.end - r.start) / 1e6))
  const durationWidth = Math.max(...durations.map((d) => d.length))
  const outcomes = rows.map((r) => outcome(r.span))
  let width = options.barWidth
  if (width === undefined && options.columns !== undefined) {
    // everything else on the widest line: indent, service, label, kind, frame, duration, outcome
    const outcomeWidth = Math.max(...outcomes.map((o) => (o.text === '' ? 0 : o.text.length + 2)))
    const rest = 2 + serviceWidth + 2 + labelWidth + 2 + 8 + 2 + 2 + durationWidth + outcomeWidth
    width = Math.min(60, Math.max(12, options.columns - rest))
  }
  width = Math.max(8, Math.floor(width ?? 40))

  const root = rows[0]!.span
  const traceId = root.spanContext().traceId
  const title = options.title ?? `${serviceOf(root)} ${root.name}`
  const lines = [
    `${paint(ANSI.bold, `trace ${traceId}`)}  ${title}  ${paint(ANSI.dim, `${formatDuration(total / 1e6)} · ${rows.length} span${rows.length === 1 ? '' : 's'} · ${services.join(', ')}`)}`,
  ]
  rows.forEach((row, i) => {
    const from = Math.min(width - 1, Math.floor(((row.start - t0) / total) * width))
    const to = Math.max(from + 1, Math.min(width, Math.ceil(((row.end - t0) / total) * width)))
    const bar = ' '.repeat(from) + '█'.repeat(to - from) + ' '.repeat(width - to)
    const color = SERVICE_COLORS[services.indexOf(row.service) % SERVICE_COLORS.length]!
    const result = outcomes[i]!
    const tone =
      result.tone === 'error'
        ? ANSI.red
        : result.tone === 'warn'
          ? ANSI.yellow
          : result.tone === 'ok'
            ? ANSI.green
            : ''
    const kind = KIND_LABEL[row.span.kind] ?? ''
    lines.push(
      [
        '  ',
        paint(color, row.service.padEnd(serviceWidth)),
        '  ',
        labels[i]!.padEnd(labelWidth),
        '  ',
        paint(ANSI.dim, kind.padEnd(8)),
        ' │',
        paint(row.span.status.code === SpanStatusCode.ERROR ? ANSI.red : color, bar),
        '│ ',
        durations[i]!.padStart(durationWidth),
        result.text === '' ? '' : '  ',
        tone === '' ? result.text : paint(tone, result.text),
      ]
        .join('')
        .trimEnd(),
    )
  })
  return `${lines.join('\n')}\n`
}

interface PendingTrace {
  spans: ReadableSpan[]
  rootEnded: boolean
  printed: boolean
  timer: NodeJS.Timeout | undefined
}

/**
 * A span exporter that prints each finished trace once, as a waterfall, to the console.
 * Spans of one trace from several services in one process are grouped into one picture.
 * Meant for development; `startTracing` picks it when no OTLP endpoint is configured and
 * `NODE_ENV` is not `production`.
 *
 * @example
 * new SimpleSpanProcessor({ exporter: new WaterfallSpanExporter({ colors: false }) })
 */
export class WaterfallSpanExporter implements SpanExporter {
  private readonly pending = new Map<string, PendingTrace>()
  private readonly printed = new Set<string>()
  private readonly stream: NonNullable<WaterfallExporterOptions['stream']>
  private readonly quietMillis: number
  private readonly orphanMillis: number
  private stopped = false

  constructor(private readonly options: WaterfallExporterOptions = {}) {
    this.stream = options.stream ?? process.stdout
    this.quietMillis = options.quietMillis ?? 200
    this.orphanMillis = options.orphanMillis ?? 2000
  }

  /** Buffers the spans per trace; a trace prints once it has been quiet after its root ended. */
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.stopped) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('exporter is shut down') })
      return
    }
    for (const span of spans) {
      const traceId = span.spanContext().traceId
      let trace = this.pending.get(traceId)
      if (!trace) {
        trace = { spans: [], rootEnded: false, printed: false, timer: undefined }
        this.pending.set(traceId, trace)
      }
      trace.spans.push(span)
      if (!span.parentSpanContext) trace.rootEnded = true
      if (trace.timer) clearTimeout(trace.timer)
      trace.timer = setTimeout(
        () => this.print(traceId),
        trace.rootEnded ? this.quietMillis : this.orphanMillis,
      )
      trace.timer.unref()
    }
    resultCallback({ code: ExportResultCode.SUCCESS })
  }

  /** Prints every buffered trace now. */
  forceFlush(): Promise<void> {
    for (const traceId of [...this.pending.keys()]) this.print(traceId)
    return Promise.resolve()
  }

  /** Prints what is buffered and stops accepting spans. */
  shutdown(): Promise<void> {
    this.stopped = true
    return this.forceFlush()
  }

  /** `true` while some trace waits to be printed. */
  get hasPending(): boolean {
    return this.pending.size > 0
  }

  private print(traceId: string): void {
    const trace = this.pending.get(traceId)
    if (!trace) return
    if (trace.timer) clearTimeout(trace.timer)
    this.pending.delete(traceId)
    const continued = this.printed.has(traceId)
    this.printed.add(traceId)
    // Remember recent trace ids only, for the "continued" title of late spans.
    if (this.printed.size > 1000) this.printed.delete(this.printed.values().next().value!)
    const stream = this.stream
    const colors = this.options.colors ?? (stream.isTTY === true && !process.env.NO_COLOR)
    const columns = this.options.columns ?? (stream.isTTY ? stream.columns : undefined)
    const title = continued
      ? '(continued: spans that ended after the trace was printed)'
      : undefined
    const text = renderWaterfall(trace.spans, {
      colors,
      ...(this.options.barWidth === undefined ? {} : { barWidth: this.options.barWidth }),
      ...(columns === undefined ? {} : { columns }),
      ...(title ? { title } : {}),
    })
    stream.write(`${text}\n`)
  }
}
