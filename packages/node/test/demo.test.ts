import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedSpan,
} from '../../../test-utils/otlp-receiver.js'
import { repoDir, spawnNode, type FixtureResult } from './helpers/fixtures.js'

// `pnpm demo`, run as the README runs it, with its traces sent over OTLP to the receiver: one
// trace per request, with the right parent/child links across client, gateway, orders,
// inventory and the notifier behind the queue.
function runDemo(env: Record<string, string>): Promise<FixtureResult> {
  return spawnNode(['--import', './examples/demo/loader.mjs', './examples/demo/src/main.ts'], {
    cwd: repoDir,
    env,
    timeoutMs: 60_000,
  }).done
}

/** The spans of one trace, as a little query helper. */
function traceOf(spans: ReceivedSpan[], traceId: string) {
  const mine = spans.filter((s) => s.traceId === traceId)
  const one = (service: string, name: string, kind?: SpanKind): ReceivedSpan => {
    const found = mine.filter(
      (s) =>
        s.resource['service.name'] === service &&
        s.name === name &&
        (kind === undefined || s.kind === kind),
    )
    expect(found.map((s) => `${service} ${s.name}`)).toEqual([`${service} ${name}`])
    return found[0]!
  }
  const childOf = (
    parent: ReceivedSpan,
    service: string,
    name: string,
    kind?: SpanKind,
  ): ReceivedSpan => {
    const span = one(service, name, kind)
    expect(span.parentSpanId).toBe(parent.spanId)
    return span
  }
  return { spans: mine, one, childOf }
}

function scenarioTraceIds(stdout: string): string[] {
  return [...stdout.matchAll(/^POST \/api\/orders .* · trace ([0-9a-f]{32})$/gm)].map((m) => m[1]!)
}

function checkTraces(receiver: OtlpReceiver, traceIds: string[]): void {
  expect(traceIds).toHaveLength(5)
  expect(new Set(traceIds).size).toBe(5)
  // nothing outside the five requests' traces
  expect(new Set(receiver.spans.map((s) => s.traceId))).toEqual(new Set(traceIds))
  const [success, unauthorized, limited, failed, aborted] = traceIds.map((id) =>
    traceOf(receiver.spans, id),
  )

  // 1. success: client → gateway → orders → inventory, and the notifier behind the queue
  {
    const t = success!
    expect(t.spans).toHaveLength(11)
    const root = t.one('client', 'ada places an order')
    expect(root.parentSpanId).toBeUndefined()
    const call = t.childOf(root, 'client', 'POST', SpanKind.CLIENT)
    const gateway = t.childOf(call, 'gateway', 'POST /api/orders', SpanKind.SERVER)
    expect(gateway.attributes['http.response.status_code']).toBe(201)
    const forward = t.childOf(gateway, 'gateway', 'POST', SpanKind.CLIENT)
    const orders = t.childOf(forward, 'orders', 'POST /orders', SpanKind.SERVER)
    const place = t.childOf(orders, 'orders', 'orders.place', SpanKind.INTERNAL)
    const stock = t.childOf(place, 'orders', 'GET', SpanKind.CLIENT)
    const inventory = t.childOf(stock, 'inventory', 'GET /stock/:sku', SpanKind.SERVER)
    expect(inventory.attributes['http.response.status_code']).toBe(200)
    const send = t.childOf(place, 'orders', 'send orders.created', SpanKind.PRODUCER)
    const consume = t.childOf(send, 'notifier', 'process orders.created', SpanKind.CONSUMER)
    t.childOf(consume, 'notifier', 'email.send', SpanKind.INTERNAL)
  }
  // 2. no token: the gateway answers 401 itself
  {
    const t = unauthorized!
    expect(t.spans).toHaveLength(3)
    const gateway = t.one('gateway', 'POST /api/orders', SpanKind.SERVER)
    expect(gateway.attributes['http.response.status_code']).toBe(401)
    expect(gateway.status.code).toBe(SpanStatusCode.UNSET) // 4xx is not a server error
  }
  // 3. over the quota: orders' rate limit answers 429
  {
    const t = limited!
    expect(t.spans).toHaveLength(5)
    expect(t.one('orders', 'POST /orders').attributes['http.response.status_code']).toBe(429)
    expect(t.spans.some((s) => s.name === 'orders.place')).toBe(false)
  }
  // 4. inventory fails: 500 all the way up, every server span an error
  {
    const t = failed!
    const inventory = t.one('inventory', 'GET /stock/:sku', SpanKind.SERVER)
    const orders = t.one('orders', 'POST /orders', SpanKind.SERVER)
    const gateway = t.one('gateway', 'POST /api/orders', SpanKind.SERVER)
    for (const span of [inventory, orders, gateway]) {
      expect(span.attributes['http.response.status_code']).toBe(500)
      expect(span.status.code).toBe(SpanStatusCode.ERROR)
    }
    expect(t.one('orders', 'orders.place').status.code).toBe(SpanStatusCode.ERROR)
  }
  // 5. the client gives up: every hop sees its caller go away, no phantom 200
  {
    const t = aborted!
    expect(t.spans).toHaveLength(8)
    for (const span of t.spans.filter((s) => s.kind === SpanKind.SERVER)) {
      expect(span.attributes['http.response.status_code']).toBeUndefined()
      expect(span.attributes['error.type']).toBeDefined()
    }
    expect(t.one('client', 'POST', SpanKind.CLIENT).attributes['error.type']).toBe('AbortError')
  }
}

/** What a development start says on stderr when it exports to the receiver. */
function startupLine(receiver: OtlpReceiver): string {
  return `@tracehop/node: spans go to ${receiver.url}/v1/traces (OTLP http/protobuf)\n`
}

describe('pnpm demo', () => {
  let receiver: OtlpReceiver
  beforeEach(async () => {
    receiver = await startOtlpReceiver()
  })
  afterEach(() => receiver.close())

  it('prints a waterfall per request and exits 0', async () => {
    const result = await runDemo({})
    expect(result).toMatchObject({
      code: 0,
      stderr:
        '@tracehop/node: spans go to the console waterfall; set OTEL_EXPORTER_OTLP_ENDPOINT to send them to a collector\n',
    })
    const ids = scenarioTraceIds(result.stdout)
    expect(ids).toHaveLength(5)
    for (const id of ids) expect(result.stdout).toMatch(new RegExp(`^trace ${id} {2}client `, 'm'))
    expect(result.stdout).toContain('send orders.created')
    expect(result.stdout).toContain('process orders.created')
  })

  it('sends one trace per request over OTLP, linked across the services and the queue', async () => {
    const result = await runDemo({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url })
    expect(result).toMatchObject({ code: 0, stderr: startupLine(receiver) })
    expect(result.stdout).not.toMatch(/^trace /m) // no waterfall: OTLP instead
    checkTraces(receiver, scenarioTraceIds(result.stdout))
  })

  it('does the same with Redis rate limits and RabbitMQ', async () => {
    const result = await runDemo({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      REDIS_URL: 'redis://127.0.0.1:6379',
      AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
    })
    expect(result).toMatchObject({ code: 0, stderr: startupLine(receiver) })
    expect(result.stdout).toContain('RabbitMQ at amqp://127.0.0.1:5672')
    expect(result.stdout).toContain('rate limits in Redis at redis://127.0.0.1:6379')
    checkTraces(receiver, scenarioTraceIds(result.stdout))
    const consumer = receiver.spans.find((s) => s.kind === SpanKind.CONSUMER)!
    expect(consumer.attributes['messaging.system']).toBe('rabbitmq')
  })
})
