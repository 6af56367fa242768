import { withSpan } from '@tracehop/core'
import { randomUUID } from 'node:crypto'
import { start, type EmailJob } from '../../../docs/recipes/bullmq'
import { expectChildOf, expectOneTrace, kindOf, spanNamed, useTracing, waitFor } from './tracing'

const { spans } = useTracing()
const queueName = `recipes-emails-${randomUUID()}`
const sent: EmailJob[] = []
let app: ReturnType<typeof start>

beforeAll(async () => {
  app = start({ queueName, onSent: (job) => sent.push(job) })
  await app.worker.waitUntilReady()
})
afterAll(async () => {
  await app.queue.obliterate({ force: true })
  await app.close()
})

describe('BullMQ recipe (real Redis on 127.0.0.1:6379)', () => {
  it('add -> process is one trace: CONSUMER child of PRODUCER, work child of CONSUMER', async () => {
    const to = `${randomUUID()}@example.com`
    const job = await withSpan('signup', () => app.enqueue('welcome', { to, template: 'welcome' }))
    await waitFor('the email to be sent', () => sent.some((s) => s.to === to))

    const signup = await spanNamed(spans, 'signup')
    const producer = await spanNamed(spans, `add ${queueName}`)
    const consumer = await spanNamed(spans, `process ${queueName}`)
    const work = await spanNamed(spans, 'email.send')
    expectOneTrace([signup, producer, consumer, work])
    expect([kindOf(producer), kindOf(consumer)]).toEqual(['PRODUCER', 'CONSUMER'])
    expectChildOf(producer, signup)
    expectChildOf(consumer, producer)
    expectChildOf(work, consumer)
    expect(consumer.attributes).toMatchObject({
      'messaging.system': 'bullmq',
      'messaging.message.id': job.id,
      'messaging.bullmq.job.name': 'welcome',
    })
  })
})
