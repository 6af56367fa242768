import { withSpan } from '@tracehop/core'
import { headers } from 'nats'
import { randomUUID } from 'node:crypto'
import { start, type Order } from '../../../docs/recipes/nats'
import { expectChildOf, expectOneTrace, kindOf, spanNamed, useTracing, waitFor } from './tracing'

const { spans } = useTracing()
const subject = `recipes.orders.${randomUUID()}`
const fulfilled: Order[] = []
let app: Awaited<ReturnType<typeof start>>

beforeAll(async () => {
  app = await start({ subject, onFulfilled: (order) => fulfilled.push(order) })
})
afterAll(() => app.close())

describe('NATS recipe (real server on 127.0.0.1:4222)', () => {
  it('publish -> subscribe is one trace: CONSUMER child of PRODUCER, work child of CONSUMER', async () => {
    const id = randomUUID()
    withSpan('orders.place', () => app.publish({ id, sku: 'book-1' }))
    await waitFor('the order to be fulfilled', () => fulfilled.some((o) => o.id === id))

    const place = await spanNamed(spans, 'orders.place')
    const producer = await spanNamed(spans, `send ${subject}`)
    const consumer = await spanNamed(spans, `process ${subject}`)
    const work = await spanNamed(spans, 'orders.fulfil')
    expectOneTrace([place, producer, consumer, work])
    expect([kindOf(producer), kindOf(consumer)]).toEqual(['PRODUCER', 'CONSUMER'])
    expectChildOf(producer, place)
    expectChildOf(consumer, producer)
    expectChildOf(work, consumer)
    expect(consumer.attributes['messaging.system']).toBe('nats')
  })

  it('messages without headers, or with a broken traceparent, start a new trace in the consumer', async () => {
    const bad = headers()
    bad.set('traceparent', '00-zzzz-not-a-trace-01')
    const ids = [randomUUID(), randomUUID()]
    app.connection.publish(subject, JSON.stringify({ id: ids[0], sku: 'x' }))
    app.connection.publish(subject, JSON.stringify({ id: ids[1], sku: 'x' }), { headers: bad })
    await waitFor('both orders', () => ids.every((id) => fulfilled.some((o) => o.id === id)))
    await waitFor(
      'two consumer spans',
      () => spans().filter((s) => kindOf(s) === 'CONSUMER').length === 2,
    )
    for (const consumer of spans().filter((s) => kindOf(s) === 'CONSUMER')) {
      expect(consumer.parentSpanContext).toBeUndefined()
    }
  })
})
