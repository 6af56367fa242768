// BullMQ on Redis: jobs carry the producer's trace context in their data (BullMQ has no message
// headers), and the worker continues the trace in a CONSUMER span, child of the PRODUCER span.
// Run it: node --import tsx --import @tracehop/node/register bullmq.ts
import { withConsumerSpan, withProducerSpan, withSpan } from '@tracehop/core'
import { Queue, Worker, type Job } from 'bullmq'
import { pathToFileURL } from 'node:url'

export interface EmailJob {
  to: string
  template: string
}

/** What goes into Redis: the job's own data plus the trace context headers. */
interface Traced<T> {
  payload: T
  trace: Record<string, unknown>
}

export function start({
  queueName = 'emails',
  connection = { host: '127.0.0.1', port: 6379 },
  onSent = (job: EmailJob) => console.log('sent', job.template, 'to', job.to),
} = {}) {
  const queue = new Queue<Traced<EmailJob>>(queueName, { connection })

  const worker = new Worker<Traced<EmailJob>>(
    queueName,
    (job: Job<Traced<EmailJob>>) =>
      withConsumerSpan(
        {
          system: 'bullmq',
          destination: queueName,
          messageId: job.id,
          headers: job.data.trace,
          attributes: { 'messaging.bullmq.job.name': job.name },
        },
        () => withSpan('email.send', async () => onSent(job.data.payload)),
      ),
    // BullMQ needs maxRetriesPerRequest: null on the worker's blocking connection
    { connection: { ...connection, maxRetriesPerRequest: null } },
  )

  /** Enqueues a job; the PRODUCER span is a child of whatever span is active. */
  function enqueue(name: string, payload: EmailJob) {
    return withProducerSpan(
      { system: 'bullmq', destination: queueName, operation: 'add' },
      (trace) => queue.add(name, { payload, trace }, { removeOnComplete: true, removeOnFail: 100 }),
    )
  }

  return {
    queue,
    worker,
    enqueue,
    close: async () => {
      await worker.close()
      await queue.close()
    },
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const app = start()
  withSpan('signup', () => app.enqueue('welcome', { to: 'ada@example.com', template: 'welcome' }))
    .then(() => new Promise((resolve) => setTimeout(resolve, 1000)))
    .then(() => app.close())
}
