// RabbitMQ with amqplib: the publisher records a PRODUCER span and sends its context in the AMQP
// headers; the consumer continues that trace in a CONSUMER span, child of the producer span.
// Run it: node --import tsx --import @tracehop/node/register rabbitmq.ts
import { withConsumerSpan, withProducerSpan, withSpan } from '@tracehop/core'
import amqp from 'amqplib'
import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'

export interface Order {
  id: string
  sku: string
}

export async function start({
  url = 'amqp://guest:guest@127.0.0.1:5672',
  queue = 'orders',
  onFulfilled = (order: Order) => console.log('fulfilled', order.id),
} = {}) {
  const connection = await amqp.connect(url)
  const channel = await connection.createChannel()
  await channel.assertQueue(queue, { durable: false })

  await channel.consume(queue, (message) => {
    if (message === null) return // the broker cancelled the consumer
    withConsumerSpan(
      {
        system: 'rabbitmq',
        destination: queue,
        messageId: message.properties.messageId,
        headers: message.properties.headers,
      },
      async () => {
        const order = JSON.parse(message.content.toString()) as Order
        await withSpan('orders.fulfil', { attributes: { 'order.id': order.id } }, async () => {
          onFulfilled(order)
        })
        channel.ack(message)
      },
    ).catch(() => channel.nack(message, false, false)) // the span already recorded the error
  })

  /** Publishes an order; the PRODUCER span is a child of whatever span is active. */
  function publish(order: Order): boolean {
    return withProducerSpan(
      { system: 'rabbitmq', destination: queue, messageId: order.id },
      (headers) =>
        channel.sendToQueue(queue, Buffer.from(JSON.stringify(order)), {
          headers,
          messageId: order.id,
          contentType: 'application/json',
        }),
    )
  }

  return {
    channel,
    publish,
    close: async () => {
      await channel.close()
      await connection.close()
    },
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  start().then(async (app) => {
    await withSpan('orders.place', async () => app.publish({ id: randomUUID(), sku: 'book-1' }))
    setTimeout(() => void app.close(), 1000)
  })
}
