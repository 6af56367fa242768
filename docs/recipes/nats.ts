// NATS with the `nats` client: the publisher writes its PRODUCER span's context into NATS message
// headers; the subscriber continues the trace in a CONSUMER span, child of the producer span.
// Run it: node --import tsx --import @tracehop/node/register nats.ts
import { withConsumerSpan, withProducerSpan, withSpan } from '@tracehop/core'
import { connect, headers as natsHeaders, JSONCodec } from 'nats'
import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'

export interface Order {
  id: string
  sku: string
}

const codec = JSONCodec<Order>()

export async function start({
  servers = '127.0.0.1:4222',
  subject = 'orders.created',
  onFulfilled = (order: Order) => console.log('fulfilled', order.id),
} = {}) {
  const nc = await connect({ servers })

  nc.subscribe(subject, {
    callback: (error, message) => {
      if (error) return
      withConsumerSpan({ system: 'nats', destination: subject, headers: message.headers }, () =>
        withSpan('orders.fulfil', () => onFulfilled(codec.decode(message.data))),
      )
    },
  })

  /** Publishes an order; the PRODUCER span is a child of whatever span is active. */
  function publish(order: Order): void {
    withProducerSpan(
      { system: 'nats', destination: subject, messageId: order.id, headers: natsHeaders() },
      // the NATS headers, now carrying the producer span's context
      (headers) => nc.publish(subject, codec.encode(order), { headers }),
    )
  }

  return {
    connection: nc,
    publish,
    close: () => nc.drain(),
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  start().then(async (app) => {
    withSpan('orders.place', () => app.publish({ id: randomUUID(), sku: 'book-1' }))
    await app.connection.flush()
    setTimeout(() => void app.close(), 500)
  })
}
