// An in-process OTLP receiver for tests: listens on 127.0.0.1, decodes the real payloads the
// OpenTelemetry exporters send (OTLP/HTTP protobuf, OTLP/HTTP JSON, optionally OTLP/gRPC) into
// plain objects, and can be stopped and started again on the same port to play an endpoint that
// goes down and comes back.
//
//   const receiver = await startOtlpReceiver()
//   process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url
//   ...
//   const spans = await receiver.waitForSpans((all) => all.length >= 3)
import { SpanKind } from '@opentelemetry/api'
import * as grpc from '@grpc/grpc-js'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { type AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'
import {
  decodeProtobuf,
  ExportMetricsServiceRequest,
  ExportTraceServiceRequest,
} from './otlp-proto.js'

/** An attribute value as the receiver decoded it (OTLP `AnyValue`). */
export type AttributeValue =
  | string
  | number
  | boolean
  | Buffer
  | AttributeValue[]
  | { [key: string]: AttributeValue }
  | undefined

/** Decoded attributes: key → value. */
export type DecodedAttributes = Record<string, AttributeValue>

/** One span as it arrived at the receiver. */
export interface ReceivedSpan {
  traceId: string
  spanId: string
  /** `undefined` for a root span. */
  parentSpanId: string | undefined
  traceState: string | undefined
  /** The W3C trace flags (and the OTLP "remote parent" bits) of the span, 0 when not sent. */
  flags: number
  name: string
  /** As `@opentelemetry/api`'s `SpanKind` (OTLP numbers kinds from 1; this does not). */
  kind: SpanKind
  startTimeUnixNano: bigint
  endTimeUnixNano: bigint
  /** `end - start` in milliseconds. */
  durationMs: number
  attributes: DecodedAttributes
  /** `code` as `SpanStatusCode`: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string | undefined }
  events: { name: string; timeUnixNano: bigint; attributes: DecodedAttributes }[]
  links: { traceId: string; spanId: string; attributes: DecodedAttributes }[]
  resource: DecodedAttributes
  scope: { name: string; version: string | undefined }
}

/** One metric data point as it arrived (sums and gauges carry `value`, histograms the rest). */
export interface ReceivedDataPoint {
  attributes: DecodedAttributes
  value?: number
  count?: number
  sum?: number
  bucketCounts?: number[]
  explicitBounds?: number[]
}

/** One metric of one export request. */
export interface ReceivedMetric {
  name: string
  unit: string
  type: 'gauge' | 'sum' | 'histogram' | 'unknown'
  dataPoints: ReceivedDataPoint[]
  resource: DecodedAttributes
  scope: { name: string; version: string | undefined }
}

/** One export request as it arrived. */
export interface ReceivedRequest {
  signal: 'traces' | 'metrics'
  transport: 'http' | 'grpc'
  encoding: 'protobuf' | 'json'
  path: string
  /** Request headers (HTTP) or metadata (gRPC), names lower-cased. */
  headers: Record<string, string | string[] | undefined>
  /** The payload as sent, gunzipped: what a collector would store, to search for leaks. */
  body: Buffer
}

/** A running receiver. */
export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>` (OTLP/HTTP base URL, also the gRPC target when `grpc: true`). */
  readonly url: string
  readonly port: number
  /** Every span received since start or the last `clear()`, in arrival order. */
  readonly spans: ReceivedSpan[]
  readonly metrics: ReceivedMetric[]
  readonly requests: ReceivedRequest[]
  /** Resolves once `predicate(spans)` holds; rejects after `timeoutMs` (default 10 s) with what did arrive. */
  waitForSpans(
    predicate: (spans: ReceivedSpan[]) => boolean,
    timeoutMs?: number,
  ): Promise<ReceivedSpan[]>
  /** Resolves once `predicate(metrics)` holds; rejects after `timeoutMs` (default 10 s). */
  waitForMetrics(
    predicate: (metrics: ReceivedMetric[]) => boolean,
    timeoutMs?: number,
  ): Promise<ReceivedMetric[]>
  /** Forgets what was received. */
  clear(): void
  /** Stops listening (open connections are dropped); the port stays reserved for `start()`. */
  stop(): Promise<void>
  /** Listens again on the same port after `stop()`. */
  start(): Promise<void>
  /** Stops for good. */
  close(): Promise<void>
}

/** Options of {@link startOtlpReceiver}. */
export interface OtlpReceiverOptions {
  /** Port to listen on. Default 0 (any free port). */
  port?: number
  /** Speak OTLP/gRPC instead of OTLP/HTTP. Default `false`. */
  grpc?: boolean
  /** HTTP status to answer with (to play a failing collector). Default 200. */
  status?: number
}

/**
 * Starts an OTLP receiver on 127.0.0.1. Over HTTP it accepts `POST` on any path: paths that
 * contain `metrics` are decoded as metrics, every other path as traces (so a custom
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` path works), protobuf or JSON by `content-type`, gzip by
 * `content-encoding`.
 *
 * @example
 * const receiver = await startOtlpReceiver()
 * const sdk = startTracing({ endpoint: receiver.url })
 * await receiver.waitForSpans((spans) => spans.some((s) => s.name === 'GET /orders/:id'))
 */
export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const receiver = new Receiver(options)
  await receiver.start()
  return receiver
}

const KINDS: Record<number, SpanKind> = {
  1: SpanKind.INTERNAL,
  2: SpanKind.SERVER,
  3: SpanKind.CLIENT,
  4: SpanKind.PRODUCER,
  5: SpanKind.CONSUMER,
}

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

class Receiver implements OtlpReceiver {
  readonly spans: ReceivedSpan[] = []
  readonly metrics: ReceivedMetric[] = []
  readonly requests: ReceivedRequest[] = []
  port: number
  private http: Server | undefined
  private grpcServer: grpc.Server | undefined
  private waiters = new Set<() => void>()

  constructor(private readonly options: OtlpReceiverOptions) {
    this.port = options.port ?? 0
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  async start(): Promise<void> {
    if (this.options.grpc) return this.startGrpc()
    if (this.http) return
    const server = createServer((req, res) => this.onHttp(req, res))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
    this.port = (server.address() as AddressInfo).port
    this.http = server
  }

  async stop(): Promise<void> {
    const server = this.http
    const grpcServer = this.grpcServer
    this.http = undefined
    this.grpcServer = undefined
    if (server) {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
    if (grpcServer) grpcServer.forceShutdown()
  }

  close(): Promise<void> {
    return this.stop()
  }

  clear(): void {
    this.spans.length = 0
    this.metrics.length = 0
    this.requests.length = 0
  }

  waitForSpans(
    predicate: (spans: ReceivedSpan[]) => boolean,
    timeoutMs = 10_000,
  ): Promise<ReceivedSpan[]> {
    return this.waitFor(() => predicate(this.spans), timeoutMs, 'spans').then(() => this.spans)
  }

  waitForMetrics(
    predicate: (metrics: ReceivedMetric[]) => boolean,
    timeoutMs = 10_000,
  ): Promise<ReceivedMetric[]> {
    return this.waitFor(() => predicate(this.metrics), timeoutMs, 'metrics').then(
      () => this.metrics,
    )
  }

  private waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (check()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const waiter = (): void => {
        if (!check()) return
        this.waiters.delete(waiter)
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        this.waiters.delete(waiter)
        const names = this.spans.map((s) => `${s.resource['service.name']}:${s.name}`)
        reject(
          new Error(
            `otlp-receiver: ${what} condition not met within ${timeoutMs} ms; ` +
              `received ${this.spans.length} spans [${names.join(', ')}] and ${this.metrics.length} metrics`,
          ),
        )
      }, timeoutMs)
      this.waiters.add(waiter)
    })
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter()
  }

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!
      const signal = path.includes('metrics') ? 'metrics' : 'traces'
      const json = (req.headers['content-type'] ?? '').includes('json')
      try {
        if (req.method !== 'POST') throw new Error(`expected POST, got ${req.method}`)
        let body = Buffer.concat(chunks)
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body)
        const status = this.options.status ?? 200
        if (status >= 300) {
          res.writeHead(status).end()
          return
        }
        this.accept(signal, json ? 'json' : 'protobuf', body, {
          transport: 'http',
          path,
          headers: { ...req.headers },
        })
        res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' })
        res.end(json ? '{}' : undefined)
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(err))
      }
    })
  }

  private accept(
    signal: 'traces' | 'metrics',
    encoding: 'protobuf' | 'json',
    body: Buffer,
    meta: Omit<ReceivedRequest, 'signal' | 'encoding' | 'body'>,
  ): void {
    const ids = encoding === 'json' ? hexId : base64Id
    const message: Json =
      encoding === 'json'
        ? (JSON.parse(body.toString('utf8')) as Json)
        : decodeProtobuf(
            signal === 'traces' ? ExportTraceServiceRequest : ExportMetricsServiceRequest,
            body,
          )
    this.requests.push({ signal, encoding, ...meta, body })
    if (signal === 'traces') this.spans.push(...decodeSpans(message, ids))
    else this.metrics.push(...decodeMetrics(message))
    this.notify()
  }

  private async startGrpc(): Promise<void> {
    if (this.grpcServer) return
    const server = new grpc.Server()
    const raw = (buffer: Buffer): Buffer => buffer
    const method = (
      signal: 'traces' | 'metrics',
      path: string,
    ): grpc.MethodDefinition<Buffer, Buffer> => ({
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: raw,
      requestDeserialize: raw,
      responseSerialize: raw,
      responseDeserialize: raw,
      originalName: signal,
    })
    const handler =
      (signal: 'traces' | 'metrics', path: string) =>
      (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>): void => {
        try {
          this.accept(signal, 'protobuf', call.request, {
            transport: 'grpc',
            path,
            headers: call.metadata.getMap() as ReceivedRequest['headers'],
          })
          callback(null, Buffer.alloc(0))
        } catch (err) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: String(err) })
        }
      }
    const tracesPath = '/opentelemetry.proto.collector.trace.v1.TraceService/Export'
    const metricsPath = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export'
    server.addService(
      { Export: method('traces', tracesPath) },
      { Export: handler('traces', tracesPath) },
    )
    server.addService(
      { Export: method('metrics', metricsPath) },
      { Export: handler('metrics', metricsPath) },
    )
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        `127.0.0.1:${this.port}`,
        grpc.ServerCredentials.createInsecure(),
        (err, port) => (err ? reject(err) : resolve(port)),
      ),
    )
    this.grpcServer = server
  }
}

function base64Id(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined
  return Buffer.from(value, 'base64').toString('hex')
}

function hexId(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined
  return value.toLowerCase()
}

function decodeValue(value: Json | undefined): AttributeValue {
  if (!value) return undefined
  if ('stringValue' in value) return value.stringValue as string
  if ('boolValue' in value) return value.boolValue as boolean
  if ('intValue' in value) return Number(value.intValue)
  if ('doubleValue' in value) return Number(value.doubleValue)
  if ('bytesValue' in value) return Buffer.from(value.bytesValue as string, 'base64')
  if ('arrayValue' in value) return ((value.arrayValue?.values ?? []) as Json[]).map(decodeValue)
  if ('kvlistValue' in value) return decodeAttributes(value.kvlistValue?.values)
  return undefined
}

function decodeAttributes(list: Json[] | undefined): DecodedAttributes {
  const out: DecodedAttributes = {}
  for (const kv of list ?? []) out[kv.key as string] = decodeValue(kv.value as Json | undefined)
  return out
}

function decodeScope(scope: Json | undefined): { name: string; version: string | undefined } {
  return { name: (scope?.name as string) ?? '', version: (scope?.version as string) || undefined }
}

function decodeSpans(message: Json, id: (value: unknown) => string | undefined): ReceivedSpan[] {
  const out: ReceivedSpan[] = []
  for (const rs of (message.resourceSpans ?? []) as Json[]) {
    const resource = decodeAttributes(rs.resource?.attributes)
    for (const ss of (rs.scopeSpans ?? []) as Json[]) {
      const scope = decodeScope(ss.scope)
      for (const s of (ss.spans ?? []) as Json[]) {
        const start = BigInt(s.startTimeUnixNano ?? 0)
        const end = BigInt(s.endTimeUnixNano ?? 0)
        out.push({
          traceId: id(s.traceId)!,
          spanId: id(s.spanId)!,
          parentSpanId: id(s.parentSpanId),
          traceState: (s.traceState as string) || undefined,
          flags: Number(s.flags ?? 0),
          name: s.name as string,
          kind: KINDS[Number(s.kind)] ?? SpanKind.INTERNAL,
          startTimeUnixNano: start,
          endTimeUnixNano: end,
          durationMs: Number(end - start) / 1e6,
          attributes: decodeAttributes(s.attributes),
          status: {
            code: Number(s.status?.code ?? 0),
            message: (s.status?.message as string) || undefined,
          },
          events: ((s.events ?? []) as Json[]).map((e) => ({
            name: e.name as string,
            timeUnixNano: BigInt(e.timeUnixNano ?? 0),
            attributes: decodeAttributes(e.attributes),
          })),
          links: ((s.links ?? []) as Json[]).map((l) => ({
            traceId: id(l.traceId)!,
            spanId: id(l.spanId)!,
            attributes: decodeAttributes(l.attributes),
          })),
          resource,
          scope,
        })
      }
    }
  }
  return out
}

function decodeMetrics(message: Json): ReceivedMetric[] {
  const out: ReceivedMetric[] = []
  for (const rm of (message.resourceMetrics ?? []) as Json[]) {
    const resource = decodeAttributes(rm.resource?.attributes)
    for (const sm of (rm.scopeMetrics ?? []) as Json[]) {
      const scope = decodeScope(sm.scope)
      for (const m of (sm.metrics ?? []) as Json[]) {
        const type = m.histogram ? 'histogram' : m.sum ? 'sum' : m.gauge ? 'gauge' : 'unknown'
        const points = ((m.histogram ?? m.sum ?? m.gauge)?.dataPoints ?? []) as Json[]
        out.push({
          name: m.name as string,
          unit: (m.unit as string) ?? '',
          type,
          resource,
          scope,
          dataPoints: points.map((p) =>
            type === 'histogram'
              ? {
                  attributes: decodeAttributes(p.attributes),
                  count: Number(p.count ?? 0),
                  sum: p.sum === undefined ? undefined : Number(p.sum),
                  bucketCounts: ((p.bucketCounts ?? []) as unknown[]).map(Number),
                  explicitBounds: ((p.explicitBounds ?? []) as unknown[]).map(Number),
                }
              : {
                  attributes: decodeAttributes(p.attributes),
                  value: Number(p.asDouble ?? p.asInt ?? 0),
                },
          ),
        })
      }
    }
  }
  return out
}
