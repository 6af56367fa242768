import { withSpan } from '@tracehop/core'
import { randomUUID } from 'node:crypto'
import { start, type Order } from '../../../docs/recipes/rabbitmq'
import { expectChildOf, expectOneTrace, kindOf, spanNamed, useTracing, waitFor } from './tracing'

const { spans } = useTracing()
const queue = `recipes-orders-${randomUUID()}`
const fulfilled: Order[] = []
let app: Awaited<ReturnType<typeof start>>

beforeAll(async () => {
  app = await start({ queue, onFulfilled: (order) => fulfilled.push(order) })
})
afterAll(async () => {
  await app.channel.deleteQueue(queue)
  await app.close()
})

describe('RabbitMQ recipe (real broker on 127.0.0.1:5672)', () => {
  it('publish -> consume is one trace: CONSUMER child of PRODUCER, work child of CONSUMER', async () => {
    const id = randomUUID()
    await withSpan('orders.place', async () => app.publish({ id, sku: 'book-1' }))
    await waitFor('the order to be fulfilled', () => fulfilled.some((o) => o.id === id))

    const place = await spanNamed(spans, 'orders.place')
    const producer = await spanNamed(spans, `send ${queue}`)
    const consumer = await spanNamed(spans, `process ${queue}`)
    const work = await spanNamed(spans, 'orders.fulfil')
    expectOneTrace([place, producer, consumer, work])
    expect([kindOf(producer), kindOf(consumer)]).toEqual(['PRODUCER', 'CONSUMER'])
    expectChildOf(producer, place)
    expectChildOf(consumer, producer)
    expectChildOf(work, consumer)
    expect(consumer.attributes).toMatchObject({
      'messaging.system': 'rabbitmq',
      'messaging.destination.name': queue,
      'messaging.message.id': id,
      'messaging.operation.type': 'process',
    })
  })

  it('a message published without trace headers starts its own trace in the consumer', async () => {
    const id = randomUUID()
    app.channel.sendToQueue(queue, Buffer.from(JSON.stringify({ id, sku: 'x' })), { messageId: id })
    await waitFor('the order to be fulfilled', () => fulfilled.some((o) => o.id === id))
    const consumer = await spanNamed(spans, `process ${queue}`)
    expect(consumer.parentSpanContext).toBeUndefined()
    expectChildOf(await spanNamed(spans, 'orders.fulfil'), consumer)
  })
})
