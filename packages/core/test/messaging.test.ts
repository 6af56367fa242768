import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib'
import { expectTypeOf } from 'expect-type'
import { randomUUID } from 'node:crypto'
import {
  injectMessageHeaders,
  traceId,
  withConsumerSpan,
  withProducerSpan,
  withSpan,
} from '../src/index.js'
import { REQUEST_ATTRIBUTES_KEY } from '../src/request-trace.js'
import { setupTracing } from './support/tracing.js'

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'

describe('message-carrier helpers over real RabbitMQ', () => {
  let tracing: ReturnType<typeof setupTracing>
  let connection: ChannelModel
  let channel: Channel
  let queue: string

  beforeAll(async () => {
    connection = await amqp.connect(AMQP_URL)
    channel = await connection.createChannel()
  })
  afterAll(async () => {
    await channel.close()
    await connection.close()
  })
  beforeEach(async () => {
    tracing = setupTracing()
    trace.setGlobalTracerProvider(tracing.provider)
    queue = `tracehop-core-${randomUUID()}`
    await channel.assertQueue(queue, { exclusive: true, autoDelete: true })
  })
  afterEach(async () => {
    await channel.deleteQueue(queue)
    await tracing.teardown()
  })

  function consumeOne(): Promise<ConsumeMessage> {
    return new Promise((resolve) => {
      void channel.consume(queue, (message) => {
        if (message === null) return
        channel.ack(message)
        void channel.cancel(message.fields.consumerTag)
        resolve(message)
      })
    })
  }

  it('publishes in a PRODUCER span and consumes in a CONSUMER child span of it, in one trace', async () => {
    const received = consumeOne()
    const messageId = randomUUID()
    await withSpan('checkout', async () => {
      withProducerSpan(
        { system: 'rabbitmq', destination: queue, messageId, operation: 'publish' },
        (headers) => channel.sendToQueue(queue, Buffer.from('order-1'), { headers, messageId }),
      )
      await Promise.resolve()
    })
    const message = await received
    let consumerTraceId: string | undefined
    const result = await withConsumerSpan(
      {
        system: 'rabbitmq',
        destination: queue,
        headers: message.properties.headers,
        messageId: message.properties.messageId as string,
      },
      async (span) => {
        consumerTraceId = traceId()
        await new Promise((resolve) => setTimeout(resolve, 5))
        return span.spanContext().spanId
      },
    )

    const spans = tracing.exporter.getFinishedSpans()
    const checkout = spans.find((s) => s.name === 'checkout')
    const producer = spans.find((s) => s.kind === SpanKind.PRODUCER)
    const consumer = spans.find((s) => s.kind === SpanKind.CONSUMER)
    expect(producer?.name).toBe(`publish ${queue}`)
    expect(producer?.attributes).toEqual({
      'messaging.system': 'rabbitmq',
      'messaging.destination.name': queue,
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'publish',
      'messaging.message.id': messageId,
    })
    expect(consumer?.name).toBe(`process ${queue}`)
    expect(consumer?.attributes['messaging.operation.type']).toBe('process')
    expect(consumer?.attributes['messaging.message.id']).toBe(messageId)
    expect(result).toBe(consumer?.spanContext().spanId)
    // one trace: checkout -> producer -> consumer
    const id = checkout?.spanContext().traceId
    expect(producer?.spanContext().traceId).toBe(id)
    expect(consumer?.spanContext().traceId).toBe(id)
    expect(consumerTraceId).toBe(id)
    expect(producer?.parentSpanContext?.spanId).toBe(checkout?.spanContext().spanId)
    expect(consumer?.parentSpanContext?.spanId).toBe(producer?.spanContext().spanId)
    expect(consumer?.parentSpanContext?.isRemote).toBe(true)
  })

  it('with relation "link", the consumer starts a new trace linked to the producer span', async () => {
    const received = consumeOne()
    const headers = withSpan('publisher', () => {
      const carrier = injectMessageHeaders<Record<string, string>>()
      channel.sendToQueue(queue, Buffer.from('x'), { headers: carrier })
      return carrier
    })
    expect(headers.traceparent).toMatch(/^00-/)
    const message = await received
    withConsumerSpan(
      {
        system: 'rabbitmq',
        destination: queue,
        headers: message.properties.headers,
        relation: 'link',
      },
      () => undefined,
    )
    const spans = tracing.exporter.getFinishedSpans()
    const publisher = spans.find((s) => s.name === 'publisher')
    const consumer = spans.find((s) => s.kind === SpanKind.CONSUMER)
    expect(consumer?.parentSpanContext).toBeUndefined()
    expect(consumer?.spanContext().traceId).not.toBe(publisher?.spanContext().traceId)
    expect(consumer?.links.map((link) => link.context.spanId)).toEqual([
      publisher?.spanContext().spanId,
    ])
  })

  it('records a failing consumer as ERROR and rethrows; a message without headers starts a new trace', async () => {
    const received = consumeOne()
    channel.sendToQueue(queue, Buffer.from('no headers'))
    const message = await received
    await expect(
      withConsumerSpan(
        { system: 'rabbitmq', destination: queue, headers: message.properties.headers },
        async () => {
          await Promise.resolve()
          throw new RangeError('bad payload')
        },
      ),
    ).rejects.toThrow('bad payload')
    const [consumer] = tracing.exporter.getFinishedSpans()
    expect(consumer?.parentSpanContext).toBeUndefined()
    expect(consumer?.status.code).toBe(SpanStatusCode.ERROR)
    expect(consumer?.attributes['error.type']).toBe('RangeError')
  })

  it('producer spans inside a request carry the request attributes and write into given headers', async () => {
    const received = consumeOne()
    const server = withSpan('GET /orders', (span) => span)
    const ctx = trace
      .setSpan(context.active(), server)
      .setValue(REQUEST_ATTRIBUTES_KEY, { 'enduser.id': 'u7' })
    const headers: Record<string, unknown> = { 'x-kept': 'yes' }
    const returned = context.with(ctx, () =>
      withProducerSpan({ system: 'rabbitmq', destination: queue, headers }, (carrier, span) => {
        channel.sendToQueue(queue, Buffer.from('x'), { headers: carrier })
        return [carrier, span] as const
      }),
    )
    expect(returned[0]).toBe(headers)
    const message = await received
    expect(message.properties.headers?.['x-kept']).toBe('yes')
    const producer = tracing.exporter.getFinishedSpans().find((s) => s.kind === SpanKind.PRODUCER)
    expect(producer?.name).toBe(`send ${queue}`)
    expect(producer?.attributes['messaging.operation.name']).toBe('send')
    expect(producer?.attributes['enduser.id']).toBe('u7')
    expect(producer?.parentSpanContext?.spanId).toBe(server.spanContext().spanId)
    expect(String(message.properties.headers?.traceparent)).toContain(
      producer?.spanContext().spanId,
    )
  })

  it('a link-relation consumer without producer context has no link', () => {
    withConsumerSpan(
      { system: 'nats', destination: 'orders.created', headers: {}, relation: 'link' },
      () => undefined,
    )
    const [consumer] = tracing.exporter.getFinishedSpans()
    expect(consumer?.links).toEqual([])
    expect(consumer?.attributes['messaging.system']).toBe('nats')
  })

  it('injects into a carrier with set() (a WHATWG Headers), hands it back typed as given, and a get() carrier is read', () => {
    const given = new Headers({ 'x-kept': 'yes' })
    const returned = withProducerSpan(
      { system: 'nats', destination: 'orders.created', headers: given },
      (headers, span) => {
        expectTypeOf(headers).toEqualTypeOf<Headers>()
        return { headers, producer: span.spanContext() }
      },
    )
    expect(returned.headers).toBe(given)
    expect(given.get('x-kept')).toBe('yes')
    expect(given.get('traceparent')).toBe(
      `00-${returned.producer.traceId}-${returned.producer.spanId}-01`,
    )
    const injected = injectMessageHeaders(new Headers())
    expectTypeOf(injected).toEqualTypeOf<Headers>()
    // a Map is a set()/get() carrier too
    const map = withProducerSpan(
      { system: 'nats', destination: 'orders.created', headers: new Map<string, string>() },
      (headers) => headers,
    )
    expect(map.get('traceparent')).toMatch(/^00-/)

    withConsumerSpan(
      { system: 'nats', destination: 'orders.created', headers: given },
      () => undefined,
    )
    const consumer = tracing.exporter
      .getFinishedSpans()
      .find((span) => span.kind === SpanKind.CONSUMER)
    expect(consumer?.parentSpanContext?.spanId).toBe(returned.producer.spanId)
    expect(consumer?.spanContext().traceId).toBe(returned.producer.traceId)
  })

  it('hands fn a new plain object of strings when no headers are given', () => {
    const headers = withProducerSpan({ system: 'kafka', destination: 'payments' }, (h) => h)
    expectTypeOf(headers).toEqualTypeOf<Record<string, string>>()
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype)
    expect(typeof headers.traceparent).toBe('string')
  })

  it('validates its options', () => {
    expect(() => withProducerSpan({ system: '', destination: 'q' }, () => undefined)).toThrow(
      new TypeError(
        '@tracehop/core: withProducerSpan option "system" must be a non-empty string; received ""',
      ),
    )
    expect(() =>
      withConsumerSpan(
        { system: 'nats', destination: undefined as never, headers: {} },
        () => undefined,
      ),
    ).toThrow(
      new TypeError(
        '@tracehop/core: withConsumerSpan option "destination" must be a non-empty string; received undefined',
      ),
    )
    expect(() => withConsumerSpan(null as never, () => undefined)).toThrow(
      new TypeError('@tracehop/core: withConsumerSpan needs an options object'),
    )
  })
})
