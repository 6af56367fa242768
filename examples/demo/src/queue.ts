// The message queue between orders (producer) and the notifier (consumer): RabbitMQ through
// amqplib when AMQP_URL is set, otherwise a small in-process queue that behaves like a broker
// (delivery later, from its own context, never from the publisher's call stack).
import amqp from 'amqplib'
import { AsyncResource } from 'node:async_hooks'

/** One delivered message. */
export interface Message {
  id: string
  body: unknown
  headers: Record<string, unknown>
}

/** What the services need from a queue. */
export interface Queue {
  /** `messaging.system` for the spans. */
  readonly system: string
  readonly description: string
  publish(destination: string, id: string, body: unknown, headers: Record<string, unknown>): void
  consume(destination: string, handler: (message: Message) => Promise<void>): Promise<void>
  close(): Promise<void>
}

/** A queue in this process. */
export function memoryQueue(): Queue {
  const handlers = new Map<string, (message: Message) => Promise<void>>()
  const pending: { destination: string; message: Message }[] = []
  // Bound to the context the queue was made in: consumers never inherit the publisher's.
  const drain = AsyncResource.bind(() => {
    for (const { destination, message } of pending.splice(0)) {
      void handlers.get(destination)?.(message)
    }
  })
  return {
    system: 'in-process',
    description: 'in-process queue',
    publish(destination, id, body, headers) {
      pending.push({
        destination,
        message: { id, body: structuredClone(body), headers: { ...headers } },
      })
      setImmediate(drain)
    },
    async consume(destination, handler) {
      handlers.set(destination, handler)
    },
    async close() {
      handlers.clear()
    },
  }
}

/** RabbitMQ at `url`; queue names get `prefix` so runs never see each other's messages. */
export async function rabbitQueue(url: string, prefix: string): Promise<Queue> {
  const connection = await amqp.connect(url)
  const channel = await connection.createChannel()
  const declared = new Set<string>()
  const declare = async (destination: string): Promise<string> => {
    const name = `${prefix}${destination}`
    if (!declared.has(name)) {
      await channel.assertQueue(name, { durable: false, autoDelete: true })
      declared.add(name)
    }
    return name
  }
  return {
    system: 'rabbitmq',
    description: `RabbitMQ at ${url.replace(/\/\/[^@/]*@/, '//')}`,
    publish(destination, id, body, headers) {
      channel.sendToQueue(`${prefix}${destination}`, Buffer.from(JSON.stringify(body)), {
        messageId: id,
        headers,
        contentType: 'application/json',
      })
    },
    async consume(destination, handler) {
      const name = await declare(destination)
      await channel.consume(name, (raw) => {
        if (raw === null) return
        const message: Message = {
          id: String(raw.properties.messageId),
          body: JSON.parse(raw.content.toString('utf8')),
          headers: (raw.properties.headers ?? {}) as Record<string, unknown>,
        }
        handler(message).then(
          () => channel.ack(raw),
          () => channel.nack(raw, false, false),
        )
      })
    },
    async close() {
      await channel.close()
      await connection.close()
    },
  }
}
