// A conformance test bed, shaped like the W3C interoperability suite: a client sends raw headers
// to a "test service", which extracts with the propagator under test, starts a SERVER span with
// a real SDK tracer and makes three outgoing calls to a downstream server, each injected from its
// own CLIENT span. The test reads what the downstream server received.
import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Span,
  type SpanContext,
  type TextMapPropagator,
  type TracerProvider,
} from '@opentelemetry/api'
import http, { type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What the downstream server saw on one outgoing call. */
export interface ReceivedCall {
  readonly rawHeaders: readonly string[]
  readonly headers: IncomingHttpHeaders
  /** Every value of a header, case-insensitively, as the lines arrived on the wire. */
  values(name: string): string[]
}

/** The outcome of one request through the test service. */
export interface HopResult {
  readonly status: number
  readonly calls: readonly ReceivedCall[]
  /** The SERVER span's parent (the extracted remote context), when there was one. */
  readonly serverParent: SpanContext | undefined
  readonly serverSpan: SpanContext | undefined
  readonly clientSpans: readonly SpanContext[]
}

/** Headers to send, in wire order; a name may repeat, and its casing is sent as written. */
export type RawHeaders = ReadonlyArray<readonly [string, string]>

export const OUTGOING_CALLS = 3

interface Pending {
  calls: ReceivedCall[]
  serverParent?: SpanContext
  serverSpan?: SpanContext
  clientSpans: SpanContext[]
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
}

function get(port: number, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/', headers, agent: false },
      (res) => {
        res.resume()
        res.on('end', resolve)
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/** Starts the test service and the downstream server for `propagator`. */
export async function startHarness(
  propagator: TextMapPropagator,
  provider: TracerProvider,
): Promise<{
  send: (headers: RawHeaders, via?: 'raw' | 'setHeader') => Promise<HopResult>
  close: () => Promise<void>
}> {
  const tracer = provider.getTracer('conformance-harness')
  const pending = new Map<string, Pending>()
  let nextId = 0

  const downstream = http.createServer((req, res) => {
    const id = req.headers['x-harness-id'] as string
    const rawHeaders = [...req.rawHeaders]
    pending.get(id)?.calls.push({
      rawHeaders,
      headers: req.headers,
      values(name) {
        const out: string[] = []
        for (let i = 0; i < rawHeaders.length; i += 2) {
          if (rawHeaders[i]!.toLowerCase() === name) out.push(rawHeaders[i + 1]!)
        }
        return out
      },
    })
    req.resume()
    res.end('ok')
  })
  const downstreamPort = await listen(downstream)

  async function callDownstream(id: string, record: Pending): Promise<void> {
    const span = tracer.startSpan('GET downstream', { kind: SpanKind.CLIENT })
    record.clientSpans.push(span.spanContext())
    const headers: Record<string, string> = { 'x-harness-id': id }
    propagator.inject(trace.setSpan(context.active(), span), headers, defaultTextMapSetter)
    try {
      await get(downstreamPort, headers)
    } finally {
      span.end()
    }
  }

  const service = http.createServer((req, res) => {
    const id = req.headers['x-harness-id'] as string
    const record = pending.get(id)
    if (!record) {
      // the id header did not arrive as sent: something between the test and node:http rewrote
      // the request. Answer at once so the hop fails with this reason instead of timing out.
      res.statusCode = 400
      res.end(`harness: no request with x-harness-id ${JSON.stringify(id)}`)
      return
    }
    const remote = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter)
    const span: Span = tracer.startSpan('GET /', { kind: SpanKind.SERVER }, remote)
    record.serverParent = trace.getSpanContext(remote)
    record.serverSpan = span.spanContext()
    context
      .with(trace.setSpan(remote, span), async () => {
        for (let i = 0; i < OUTGOING_CALLS; i++) await callDownstream(id, record)
      })
      .then(
        () => res.end('done'),
        (error: unknown) => {
          res.statusCode = 500
          res.end(String(error))
        },
      )
      .finally(() => span.end())
  })
  const servicePort = await listen(service)

  /**
   * Sends `headers` to the test service. By default as a flat raw-header array, which keeps
   * repeated names and their casing exactly as written; with `setHeader`, through
   * `ClientRequest#setHeader` (a repeated name becomes one call with an array of values).
   */
  function send(headers: RawHeaders, via: 'raw' | 'setHeader' = 'raw'): Promise<HopResult> {
    const id = String(++nextId)
    const record: Pending = { calls: [], clientSpans: [] }
    pending.set(id, record)
    const raw: string[] = ['Host', `127.0.0.1:${servicePort}`, 'x-harness-id', id]
    if (via === 'raw') for (const [name, value] of headers) raw.push(name, value)
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: servicePort,
          path: '/',
          // Raw arrays are written at once; an object leaves room for setHeader() below.
          headers: via === 'raw' ? raw : { 'x-harness-id': id },
          agent: false,
        },
        (res) => {
          res.resume()
          res.on('end', () => {
            pending.delete(id)
            resolve({
              status: res.statusCode ?? 0,
              calls: record.calls,
              serverParent: record.serverParent,
              serverSpan: record.serverSpan,
              clientSpans: record.clientSpans,
            })
          })
        },
      )
      req.on('error', reject)
      if (via === 'setHeader') {
        const grouped = new Map<string, string[]>()
        for (const [name, value] of headers)
          grouped.set(name, [...(grouped.get(name) ?? []), value])
        for (const [name, values] of grouped) {
          req.setHeader(name, values.length === 1 ? values[0]! : values)
        }
      }
      req.end()
    })
  }

  return {
    send,
    close: async () => {
      await close(service)
      await close(downstream)
    },
  }
}

/** The W3C shape every outgoing traceparent must have. */
export const TRACEPARENT_SHAPE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/** Splits a traceparent already checked against {@link TRACEPARENT_SHAPE}. */
export function splitTraceparent(value: string): {
  traceId: string
  parentId: string
  flags: string
} {
  const match = TRACEPARENT_SHAPE.exec(value)
  if (match === null) throw new Error(`not a valid traceparent: ${JSON.stringify(value)}`)
  return { traceId: match[1]!, parentId: match[2]!, flags: match[3]! }
}
