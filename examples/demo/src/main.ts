// The tracehop demo: a client, a Fastify gateway, an Express orders service, an inventory service
// on node:http and a notifier consuming orders from a queue, all in this process on 127.0.0.1.
// A handful of requests go through; each one's trace is printed as a waterfall (or, with
// OTEL_EXPORTER_OTLP_ENDPOINT set, sent to that collector) and sent to the tracehop viewer the
// demo serves on http://127.0.0.1:4318 (stays up until Ctrl-C when run in a terminal).
//
//   npx -y pnpm@10 demo
//   REDIS_URL=redis://127.0.0.1:6379 AMQP_URL=amqp://guest:guest@127.0.0.1:5672 npx -y pnpm@10 demo
import { trace } from '@opentelemetry/api'
import { withConsumerSpan, withSpan } from '@tracehop/core'
import { startTracing } from '@tracehop/node'
import { Redis } from 'ioredis'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { startGateway } from './gateway.js'
import { startInventory } from './inventory.js'
import { startOrders } from './orders.js'
import { memoryQueue, rabbitQueue, type Queue } from './queue.js'
import { startDemoViewer } from './viewer.js'

const { viewer, processor: toViewer } = await startDemoViewer()
const tracing = startTracing({
  serviceName: 'client',
  // the demo flushes after each request; the waterfall need not guess when a trace is over
  waterfall: { quietMillis: 5000 },
  spanProcessors: [toViewer],
})
const out = (line = ''): void => {
  process.stdout.write(`${line}\n`)
}
const run = randomUUID().slice(0, 8)
const keyPrefix = `tracehop-demo:${run}:`

const redis = process.env.REDIS_URL
  ? new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 1 })
  : undefined
const queue: Queue = process.env.AMQP_URL
  ? await rabbitQueue(process.env.AMQP_URL, `tracehop-demo.${run}.`)
  : memoryQueue()

// The notifier: consumes orders.created in a CONSUMER span on the order's trace.
const notifier = tracing.forService('notifier')
const notified = new Set<string>()
const waiting = new Map<string, () => void>()
await queue.consume('orders.created', (message) =>
  withConsumerSpan(
    {
      system: queue.system,
      destination: 'orders.created',
      messageId: message.id,
      headers: message.headers,
      tracerProvider: notifier,
    },
    async () => {
      await withSpan('email.send', { tracerProvider: notifier }, () => sleep(3))
      notified.add(message.id)
      waiting.get(message.id)?.()
    },
  ),
)

const inventory = await startInventory(tracing.forService('inventory'))
const orders = await startOrders({
  tracerProvider: tracing.forService('orders'),
  inventoryUrl: inventory.url,
  queue,
  redis,
  keyPrefix,
})
const gateway = await startGateway({
  tracerProvider: tracing.forService('gateway'),
  ordersUrl: orders.url,
  redis,
  keyPrefix,
})

const otlp = tracing.exporter === 'otlp'
out(`tracehop demo · client → gateway (Fastify) → orders (Express) → inventory (node:http)`)
out(`               orders → ${queue.description} → notifier`)
out(
  `rate limits in ${redis ? `Redis at ${process.env.REDIS_URL}` : 'memory'} · traces ${
    otlp
      ? `sent over OTLP to ${process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}`
      : `printed below (${tracing.exporter})`
  } · and shown whole at ${viewer.url}`,
)

const client = trace.getTracer('demo')
interface Scenario {
  title: string
  token?: string
  sku: string
  abortAfterMs?: number
  /** Wait for the notifier to handle the order before printing. */
  notifies?: boolean
}
const scenarios: Scenario[] = [
  { title: 'ada places an order', token: 'ada-token', sku: 'book-1', notifies: true },
  { title: 'no token', sku: 'book-1' },
  { title: 'ada orders again within the minute', token: 'ada-token', sku: 'book-2' },
  { title: 'inventory fails for grace', token: 'grace-token', sku: 'broken' },
  { title: 'linus gives up after 300 ms', token: 'linus-token', sku: 'slow', abortAfterMs: 300 },
]

for (const [i, scenario] of scenarios.entries()) {
  out()
  out(
    `── ${i + 1}/${scenarios.length} ${scenario.title} ${'─'.repeat(Math.max(3, 60 - scenario.title.length))}`,
  )
  const { outcome, traceId } = await client.startActiveSpan(scenario.title, async (span) => {
    const traceId = span.spanContext().traceId
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (scenario.token) headers.authorization = `Bearer ${scenario.token}`
    const controller = new AbortController()
    const timer = scenario.abortAfterMs
      ? setTimeout(() => controller.abort(), scenario.abortAfterMs)
      : undefined
    try {
      const res = await fetch(`${gateway.url}/api/orders`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ sku: scenario.sku }),
        signal: controller.signal,
      })
      const body = (await res.json()) as { id?: string; error?: string }
      if (scenario.notifies && body.id && !notified.has(body.id)) {
        // the notifier may handle the message after the response; wait for it (bounded)
        const gaveUp = new AbortController()
        await Promise.race([
          new Promise<void>((resolve) => waiting.set(body.id!, resolve)),
          sleep(5000, undefined, { signal: gaveUp.signal }).catch(() => {}),
        ])
        gaveUp.abort()
      }
      const outcome = `${res.status} ${body.error ?? (body.id ? `order ${body.id}` : '')}`.trim()
      return { outcome, traceId }
    } catch (error) {
      const { name, message } = error as Error
      return { outcome: name === 'AbortError' ? 'client aborted' : `failed: ${message}`, traceId }
    } finally {
      clearTimeout(timer)
      span.end()
    }
  })
  // the cancellation travels down the chain; its last hop ends when inventory lets go
  if (scenario.abortAfterMs) await inventory.whenIdle()
  out(
    `POST /api/orders {"sku":"${scenario.sku}"} → ${outcome}${tracing.enabled ? ` · trace ${traceId}` : ''}`,
  )
  await tracing.forceFlush()
}

out()
await gateway.close()
await orders.close()
await inventory.close()
await queue.close()
redis?.disconnect()
await tracing.shutdown()
const stats = tracing.stats()
if (otlp) out(`${stats.exported} spans exported, ${stats.dropped + stats.failed} lost`)
out(
  otlp
    ? 'Open your tracing backend to see the traces.'
    : 'Set OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 to send these traces to a collector instead.',
)
if (process.stdout.isTTY) {
  out(`tracehop viewer on ${viewer.url} : open it to see each trace whole · Ctrl-C to stop`)
  process.once('SIGINT', () => {
    void viewer.close().then(() => process.exit(0))
  })
} else {
  // Not a terminal (CI, a pipe): nobody can open the page, so the demo ends here.
  out(`tracehop viewer ran on ${viewer.url} (run the demo in a terminal to keep it open)`)
  await viewer.close()
}
