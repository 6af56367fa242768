// No Kafka broker runs here. What the test covers honestly: the headers the producer hands to
// kafkajs go through kafkajs's own record encoder and decoder (the bytes a broker stores and
// returns), and the decoded message (Buffer header values) drives the consumer handler. The
// network between producer and broker, and consumer groups, are not exercised.
import { withSpan } from '@tracehop/core'
import type { EachMessagePayload, KafkaMessage, Message, ProducerRecord } from 'kafkajs'
import { handlePayments, sendPayment, type Payment } from '../../../docs/recipes/kafka'
import { expectChildOf, expectOneTrace, kindOf, spanNamed, useTracing } from './tracing'

// kafkajs internals: the v2 record format codec (Record => ... Headers => [HeaderKey HeaderValue])
// eslint-disable-next-line @typescript-eslint/no-require-imports
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0')
// eslint-disable-next-line @typescript-eslint/no-require-imports
const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder')
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Decoder = require('kafkajs/src/protocol/decoder')

function overTheWire(message: Message, offset: number): KafkaMessage {
  const toBuffer = (v: unknown) => (v === null || v === undefined ? v : Buffer.from(String(v)))
  const encoded = encodeRecord({
    key: toBuffer(message.key),
    value: toBuffer(message.value),
    headers: Object.fromEntries(
      Object.entries(message.headers ?? {}).map(([k, v]) => [k, toBuffer(v)]),
    ),
  })
  const decoder = new Decoder(encoded.buffer)
  decoder.readVarInt() // record length
  return decodeRecord(decoder, {
    firstOffset: String(offset),
    firstTimestamp: Date.now(),
    magicByte: 2,
  })
}

const { spans } = useTracing()

describe('Kafka recipe (kafkajs record codec, no broker)', () => {
  it('producer headers survive the record format and the CONSUMER span is the PRODUCER span child', async () => {
    const sentRecords: ProducerRecord[] = []
    const producer = { send: async (record: ProducerRecord) => (sentRecords.push(record), []) }
    const payment: Payment = { id: 'pay-1', amount: 42 }
    await withSpan('checkout', () => sendPayment(producer, 'payments', payment))

    expect(sentRecords).toHaveLength(1)
    const [sent] = sentRecords[0].messages
    expect(Object.keys(sent.headers ?? {})).toContain('traceparent')
    const delivered = overTheWire(sent, 7)
    expect(Buffer.isBuffer(delivered.headers?.traceparent)).toBe(true)

    const received: Payment[] = []
    const eachMessage = handlePayments(async (p) => {
      await withSpan('ledger.record', async () => received.push(p))
    })
    await eachMessage({ topic: 'payments', partition: 3, message: delivered } as EachMessagePayload)
    expect(received).toEqual([payment])

    const checkout = await spanNamed(spans, 'checkout')
    const producerSpan = await spanNamed(spans, 'send payments')
    const consumerSpan = await spanNamed(spans, 'process payments')
    const ledger = await spanNamed(spans, 'ledger.record')
    expectOneTrace([checkout, producerSpan, consumerSpan, ledger])
    expect([kindOf(producerSpan), kindOf(consumerSpan)]).toEqual(['PRODUCER', 'CONSUMER'])
    expectChildOf(producerSpan, checkout)
    expectChildOf(consumerSpan, producerSpan)
    expectChildOf(ledger, consumerSpan)
    expect(consumerSpan.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.message.id': 'pay-1',
      'messaging.destination.partition.id': '3',
      'messaging.kafka.offset': 7,
    })
  })
})
