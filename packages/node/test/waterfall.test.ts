import {
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Attributes,
  type HrTime,
} from '@opentelemetry/api'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { type ReadableSpan } from '@opentelemetry/sdk-trace'
import { PassThrough } from 'node:stream'
import { renderWaterfall, WaterfallSpanExporter } from '../src/waterfall.js'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const T0 = 1_700_000_000

function at(ms: number): HrTime {
  const ns = Math.round(ms * 1e6)
  return [T0 + Math.floor(ns / 1e9), ns % 1e9]
}

function span(
  id: string,
  parent: string | undefined,
  service: string,
  name: string,
  kind: SpanKind,
  from: number,
  to: number,
  attributes: Attributes = {},
  status: { code: SpanStatusCode; message?: string } = { code: SpanStatusCode.UNSET },
  traceId = TRACE,
): ReadableSpan {
  return {
    name,
    kind,
    spanContext: () => ({ traceId, spanId: id, traceFlags: TraceFlags.SAMPLED }),
    parentSpanContext:
      parent === undefined
        ? undefined
        : { traceId, spanId: parent, traceFlags: TraceFlags.SAMPLED, isRemote: false },
    startTime: at(from),
    endTime: at(to),
    duration: at(to - from),
    status,
    attributes,
    links: [],
    events: [],
    ended: true,
    resource: resourceFromAttributes({ 'service.name': service }),
    instrumentationScope: { name: 'test' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  }
}

// A fixed three-service trace: gateway → orders → inventory, plus a queued message.
const fixedTrace = (): ReadableSpan[] => [
  span('00000000000000a1', undefined, 'gateway', 'GET /api/orders/:id', SpanKind.SERVER, 0, 42.5, {
    'http.route': '/api/orders/:id',
    'http.response.status_code': 200,
  }),
  span('00000000000000a2', '00000000000000a1', 'gateway', 'GET', SpanKind.CLIENT, 3.1, 40.2, {
    'server.address': '127.0.0.1',
    'server.port': 4001,
    'http.response.status_code': 200,
  }),
  span(
    '00000000000000b1',
    '00000000000000a2',
    'orders',
    'GET /orders/:id',
    SpanKind.SERVER,
    4,
    39.6,
    {
      'http.route': '/orders/:id',
      'http.response.status_code': 200,
    },
  ),
  span(
    '00000000000000b2',
    '00000000000000b1',
    'orders',
    'orders.reserve',
    SpanKind.INTERNAL,
    6,
    30,
  ),
  span(
    '00000000000000c1',
    '00000000000000b2',
    'inventory',
    'POST /stock/:sku',
    SpanKind.SERVER,
    9,
    27.25,
    {
      'http.route': '/stock/:sku',
      'http.response.status_code': 500,
      'error.type': '500',
    },
    { code: SpanStatusCode.ERROR },
  ),
  span(
    '00000000000000b3',
    '00000000000000b1',
    'orders',
    'publish orders',
    SpanKind.PRODUCER,
    31,
    31.4,
    {
      'messaging.destination.name': 'orders',
    },
  ),
  span(
    '00000000000000d1',
    '00000000000000b3',
    'orders',
    'process orders',
    SpanKind.CONSUMER,
    33,
    41,
    {
      'messaging.destination.name': 'orders',
    },
  ),
]

describe('renderWaterfall', () => {
  it('renders a fixed trace as the reviewed snapshot', () => {
    expect(renderWaterfall(fixedTrace(), { colors: false, barWidth: 40 })).toMatchSnapshot()
  })

  it('orders children by start time whatever order the spans arrived in', () => {
    const shuffled = fixedTrace().reverse()
    expect(renderWaterfall(shuffled, { colors: false, barWidth: 40 })).toBe(
      renderWaterfall(fixedTrace(), { colors: false, barWidth: 40 }),
    )
  })

  it('puts every bar on one time axis: the root spans the full width', () => {
    const lines = renderWaterfall(fixedTrace(), { colors: false, barWidth: 20 }).split('\n')
    const bars = lines.slice(1, -1).map((line) => /│([█ ]+)│/.exec(line)![1]!)
    expect(bars[0]).toBe('█'.repeat(20))
    for (const bar of bars) expect(bar).toHaveLength(20)
    // the consumer starts at 33 of 42.5 ms: column floor(33 / 42.5 * 20) = 15
    expect(bars[bars.length - 1]!.indexOf('█')).toBe(15)
  })

  it('fits the bar to the terminal width', () => {
    const bar = (columns: number): string =>
      /│([█ ]+)│/.exec(
        renderWaterfall(fixedTrace(), { colors: false, columns }).split('\n')[1]!,
      )![1]!
    const lines = renderWaterfall(fixedTrace(), { colors: false, columns: 120 }).split('\n')
    expect(Math.max(...lines.slice(1).map((line) => line.length))).toBe(120)
    expect(bar(400)).toHaveLength(60) // never wider than 60
    expect(bar(40)).toHaveLength(12) // nor thinner than 12
  })

  it('colours only when asked', () => {
    expect(renderWaterfall(fixedTrace(), { colors: false })).not.toContain('\x1b[')
    const coloured = renderWaterfall(fixedTrace(), { colors: true })
    expect(coloured).toContain('\x1b[31m500  ✗\x1b[0m') // errors in red
    expect(coloured).toContain('\x1b[36mgateway') // first service, first colour
  })

  it('renders nothing for no spans', () => {
    expect(renderWaterfall([])).toBe('')
  })
})

function capture(isTTY = false): { stream: PassThrough & { isTTY?: boolean }; text: () => string } {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean }
  stream.isTTY = isTTY
  let out = ''
  stream.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  return { stream, text: () => out }
}

function exportAll(exporter: WaterfallSpanExporter, spans: ReadableSpan[]): void {
  for (const s of spans) exporter.export([s], () => {})
}

describe('WaterfallSpanExporter', () => {
  it('prints a trace once, grouped across services, after its root ended and it went quiet', async () => {
    const out = capture()
    const exporter = new WaterfallSpanExporter({
      stream: out.stream,
      quietMillis: 20,
      barWidth: 40,
    })
    // children end (and are exported) before their parents, the consumer after the root
    const spans = fixedTrace()
    exportAll(exporter, [
      spans[4]!,
      spans[3]!,
      spans[2]!,
      spans[1]!,
      spans[5]!,
      spans[0]!,
      spans[6]!,
    ])
    expect(out.text()).toBe('')
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(out.text()).toBe(`${renderWaterfall(spans, { colors: false, barWidth: 40 })}\n`)
    expect(exporter.hasPending).toBe(false)
  })

  it('waits for the root span, however quiet the trace is', async () => {
    const out = capture()
    const exporter = new WaterfallSpanExporter({
      stream: out.stream,
      quietMillis: 10,
      orphanMillis: 5000,
    })
    exportAll(exporter, fixedTrace().slice(1))
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(out.text()).toBe('')
    await exporter.forceFlush()
    expect(out.text()).toContain('trace 4bf92f3577b34da6a3ce929d0e0e4736')
  })

  it('prints spans that end after their trace was printed as a continuation', async () => {
    const out = capture()
    const exporter = new WaterfallSpanExporter({ stream: out.stream })
    const spans = fixedTrace()
    exportAll(exporter, spans.slice(0, 6))
    await exporter.forceFlush()
    exportAll(exporter, [spans[6]!])
    await exporter.forceFlush()
    expect(out.text().match(/trace 4bf9/g)).toHaveLength(2)
    expect(out.text()).toContain('(continued: spans that ended after the trace was printed)')
  })

  it('keeps traces apart', async () => {
    const out = capture()
    const exporter = new WaterfallSpanExporter({ stream: out.stream })
    const other = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
    exportAll(exporter, [
      span(
        '00000000000000e1',
        undefined,
        'solo',
        'GET /a',
        SpanKind.SERVER,
        0,
        1,
        {},
        undefined,
        other,
      ),
      ...fixedTrace(),
    ])
    await exporter.shutdown()
    const text = out.text()
    expect(text.match(/^trace /gm)).toHaveLength(2)
    const solo = text.split('\n\n').find((block) => block.includes(other))!
    expect(solo.split('\n')).toHaveLength(2)
  })

  it('colours by default only on a TTY', async () => {
    for (const tty of [true, false]) {
      const out = capture(tty)
      const exporter = new WaterfallSpanExporter({ stream: out.stream })
      exportAll(exporter, fixedTrace())
      await exporter.forceFlush()
      expect(out.text().includes('\x1b[')).toBe(tty && !process.env.NO_COLOR)
    }
  })

  it('refuses spans after shutdown', async () => {
    const exporter = new WaterfallSpanExporter({ stream: capture().stream })
    await exporter.shutdown()
    const results: number[] = []
    exporter.export(fixedTrace(), (r) => results.push(r.code))
    expect(results).toEqual([1])
  })
})
