// Work a request starts but does not wait for: a timer, an in-process job queue, work after the
// response is sent. Each gets a span that is either a child of the request's span or a new trace
// linked to it: never an orphan, never a stray span in someone else's trace.
// Run it: node --import tsx --import @tracehop/node/register background-work.ts
import { context, trace, type Context } from '@opentelemetry/api'
import { traceHandler, withSpan } from '@tracehop/core'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'

interface Job {
  name: string
  run: () => Promise<void>
  /** The context the job was enqueued in: the worker links its span to it. */
  origin: Context
}

/** An in-process queue drained by a worker started at boot, outside any request. */
function createJobQueue() {
  const jobs: Job[] = []
  let running = false
  const drain = async () => {
    if (running) return
    running = true
    for (let job = jobs.shift(); job; job = jobs.shift()) {
      const origin = trace.getSpanContext(job.origin)
      // A new trace (root: true), linked to the request that asked for it: the request's trace
      // does not stay open for the job, and the job is still one click away from it.
      await withSpan(
        `job ${job.name}`,
        { root: true, links: origin ? [{ context: origin }] : [] },
        job.run,
      ).catch(() => {}) // the span recorded the failure
    }
    running = false
  }
  const timer = setInterval(() => void drain(), 10)
  return {
    enqueue: (name: string, run: () => Promise<void>) =>
      jobs.push({ name, run, origin: context.active() }),
    stop: () => clearInterval(timer),
  }
}

export async function start({ port = 0 } = {}) {
  const queue = createJobQueue()
  const server = createServer(
    traceHandler((req, res) => {
      // 1. A timer started in the request: the context follows it, so this is a child span
      //    (it may end after the request's span; that is fine).
      setTimeout(() => void withSpan('cache.refresh', async () => {}), 5)

      // 2. A job for the worker: a new trace with a link back to this request.
      queue.enqueue('email.receipt', async () => {})

      // 3. After the response is sent: 'finish' is emitted by the socket, outside the request's
      //    context, so bind the listener to it.
      res.on(
        'finish',
        context.bind(context.active(), () => void withSpan('audit.write', async () => {})),
      )

      res.end('accepted')
    }),
  )
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      queue.stop()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  start({ port: 3000 }).then(({ url }) => console.log(`GET ${url}/`))
}
