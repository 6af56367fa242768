// The viewer's costs: OTLP/HTTP ingest rate into a bounded store, and list queries on a full one.
//
//   node bench/viewer.mjs [--spans 200000] [--batch 512] [--connections 4] [--encoding protobuf|json]
//
// The viewer runs as its CLI (packages/viewer/dist/cli.js) in a child process, as a user runs it;
// this process only sends. Payloads are made up front by the OpenTelemetry SDK's own serializers
// from real SDK spans (two services, ten spans per trace, the attributes an HTTP server span
// has), so the measured window is the viewer decoding, normalising and storing.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'

const { values } = parseArgs({
  options: {
    spans: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '512' },
    connections: { type: 'string', default: '4' },
    encoding: { type: 'string', default: 'protobuf' },
    'max-spans': { type: 'string', default: '100000' },
    // e.g. --viewer-node-arg=--cpu-prof, to see where the viewer's time goes
    'viewer-node-arg': { type: 'string', multiple: true, default: [] },
  },
})
const TOTAL = Number(values.spans)
const BATCH = Number(values.batch)
const CONNECTIONS = Number(values.connections)
const PROTOBUF = values.encoding === 'protobuf'
const SPANS_PER_TRACE = 10

// ---- payloads, from real SDK spans -----------------------------------------------------------
function makeSpans(count) {
  const collected = []
  const exporter = {
    export: (spans, done) => {
      collected.push(...spans)
      done({ code: 0 })
    },
    shutdown: async () => {},
  }
  const provider = (service) =>
    new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': service, 'service.version': '1.0.0' }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    })
  const gateway = provider('gateway').getTracer('@tracehop/core')
  const orders = provider('orders').getTracer('@tracehop/core')
  for (let t = 0; collected.length < count; t++) {
    const server = gateway.startSpan('GET /api/orders/:id', {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'GET',
        'http.route': '/api/orders/:id',
        'url.path': `/api/orders/${t}`,
        'http.response.status_code': t % 20 === 0 ? 500 : 200,
        'client.address': '127.0.0.1',
        'user_agent.original': 'bench',
      },
    })
    const ctx = trace.setSpan(ROOT_CONTEXT, server)
    const children = []
    for (let i = 0; i < SPANS_PER_TRACE - 2; i++) {
      const client = gateway.startSpan(
        'GET',
        { kind: SpanKind.CLIENT, attributes: { 'server.address': 'orders', 'server.port': 8080 } },
        ctx,
      )
      children.push(client)
    }
    const handler = orders.startSpan(
      'GET /orders/:id',
      { kind: SpanKind.SERVER, attributes: { 'http.route': '/orders/:id', 'order.id': String(t) } },
      trace.setSpan(ROOT_CONTEXT, children[0]),
    )
    if (t % 20 === 0) handler.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' })
    handler.end()
    for (const child of children) child.end()
    server.end()
  }
  return collected.slice(0, count)
}

const started = performance.now()
const spans = makeSpans(TOTAL)
const serializer = PROTOBUF ? ProtobufTraceSerializer : JsonTraceSerializer
const payloads = []
for (let i = 0; i < spans.length; i += BATCH)
  payloads.push(Buffer.from(serializer.serializeRequest(spans.slice(i, i + BATCH))))
const bytes = payloads.reduce((n, p) => n + p.length, 0)
console.log(
  `payloads: ${payloads.length} × ${BATCH} spans, ${values.encoding}, ${(bytes / 1e6).toFixed(1)} MB, made in ${((performance.now() - started) / 1000).toFixed(1)} s`,
)

// ---- the viewer, as its CLI --------------------------------------------------------------------
const cli = fileURLToPath(new URL('../packages/viewer/dist/cli.js', import.meta.url))
const child = spawn(
  process.execPath,
  [...values['viewer-node-arg'], cli, '--port', '0', '--max-spans', values['max-spans']],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
)
const endpoint = await new Promise((resolve, reject) => {
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    out += chunk
    const match = /OTEL_EXPORTER_OTLP_ENDPOINT=(\S+)/.exec(out)
    if (match) resolve(match[1])
  })
  child.once('exit', (code) => reject(new Error(`the viewer exited with ${code}`)))
})
const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS })

function send(method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request(`${endpoint}${path}`, { method, agent, headers }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

function rssMb() {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024
}

// ---- ingest -------------------------------------------------------------------------------------
const contentType = PROTOBUF ? 'application/x-protobuf' : 'application/json'
let next = 0
let failed = 0
const t0 = performance.now()
await Promise.all(
  Array.from({ length: CONNECTIONS }, async () => {
    while (next < payloads.length) {
      const payload = payloads[next++]
      const res = await send('POST', '/v1/traces', payload, { 'content-type': contentType })
      if (res.status !== 200) failed++
    }
  }),
)
const seconds = (performance.now() - t0) / 1000
const stats = JSON.parse((await send('GET', '/api/stats')).body)
console.log(
  `ingest: ${spans.length} spans in ${seconds.toFixed(2)} s = ${Math.round(spans.length / seconds)} spans/s over ${CONNECTIONS} connections (${failed} failed requests)`,
)
console.log(
  `store: ${stats.spanCount} spans in ${stats.traceCount} traces (cap ${stats.maxSpans}), ${stats.evictedTraces} traces evicted; viewer RSS ${rssMb().toFixed(0)} MB`,
)

// ---- list queries on the full store -------------------------------------------------------------
async function timeQuery(label, path, rounds = 15) {
  const times = []
  let body
  for (let i = 0; i < rounds; i++) {
    const t = performance.now()
    body = JSON.parse((await send('GET', path)).body)
    times.push(performance.now() - t)
  }
  const first = times[0]
  const rest = times.slice(1).sort((a, b) => a - b)
  const median = rest[Math.floor(rest.length / 2)]
  console.log(
    `query ${label.padEnd(28)} first ${first.toFixed(1).padStart(7)} ms, then median ${median.toFixed(1).padStart(6)} ms  (${body.matched ?? body.rows?.length ?? body.nodes?.length} matched)`,
  )
}
await timeQuery('/api/traces', '/api/traces')
await timeQuery('/api/traces?service=orders', '/api/traces?service=orders&limit=100')
await timeQuery('/api/traces?error=true', '/api/traces?error=true')
await timeQuery('/api/traces?q=/api/orders/1999', '/api/traces?q=%2Fapi%2Forders%2F1999')
await timeQuery('/api/traces?minMs=0.1', '/api/traces?minMs=0.1')
await timeQuery('/api/red', '/api/red', 5)
await timeQuery('/api/service-map', '/api/service-map', 5)

// A new batch invalidates only its own traces' summaries: the list after one more batch.
await send('POST', '/v1/traces', payloads[0], { 'content-type': contentType })
await timeQuery('/api/traces after a batch', '/api/traces', 3)

agent.destroy()
child.kill('SIGTERM')
