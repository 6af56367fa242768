// Kafka with kafkajs: the producer sends its PRODUCER span's context as Kafka record headers; the
// consumer continues the trace in a CONSUMER span, child of the producer span. Kafka delivers
// header values as Buffers: extraction reads them as they come.
// Run it (needs a broker): KAFKA_BROKERS=127.0.0.1:9092 node --import tsx --import @tracehop/node/register kafka.ts
import { withConsumerSpan, withProducerSpan, withSpan } from '@tracehop/core'
import { Kafka, type EachMessageHandler, type Producer } from 'kafkajs'
import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'

export interface Payment {
  id: string
  amount: number
}

/** Sends a payment event; the PRODUCER span is a child of whatever span is active. */
export function sendPayment(producer: Pick<Producer, 'send'>, topic: string, payment: Payment) {
  return withProducerSpan(
    { system: 'kafka', destination: topic, messageId: payment.id },
    (headers) =>
      producer.send({
        topic,
        messages: [
          {
            key: payment.id,
            value: JSON.stringify(payment),
            headers,
          },
        ],
      }),
  )
}

/** The consumer's eachMessage: one CONSUMER span per record, in the producer's trace. */
export function handlePayments(onPayment: (payment: Payment) => Promise<void>): EachMessageHandler {
  return ({ topic, partition, message }) =>
    withConsumerSpan(
      {
        system: 'kafka',
        destination: topic,
        messageId: message.key?.toString(),
        headers: message.headers,
        attributes: {
          'messaging.destination.partition.id': String(partition),
          'messaging.kafka.offset': Number(message.offset),
        },
      },
      () => onPayment(JSON.parse(message.value?.toString() ?? 'null') as Payment),
    )
}

export async function start({
  brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  topic = 'payments',
} = {}) {
  const kafka = new Kafka({ clientId: 'payments', brokers })
  const producer = kafka.producer()
  const consumer = kafka.consumer({ groupId: 'payments-ledger' })
  await Promise.all([producer.connect(), consumer.connect()])
  await consumer.subscribe({ topic, fromBeginning: false })
  await consumer.run({
    eachMessage: handlePayments((payment) =>
      withSpan('ledger.record', async () => console.log('recorded', payment.id)),
    ),
  })
  return {
    send: (payment: Payment) => sendPayment(producer, topic, payment),
    close: async () => {
      await consumer.disconnect()
      await producer.disconnect()
    },
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  start().then(async (app) => {
    await withSpan('checkout', () => app.send({ id: randomUUID(), amount: 42 }))
    setTimeout(() => void app.close(), 2000)
  })
}
