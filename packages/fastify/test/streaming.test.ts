import { hrTimeToMilliseconds } from '@opentelemetry/core'
import type { FastifyInstance } from 'fastify'
import { tracingPlugin } from '@tracehop/fastify'
import { Agent, request as httpRequest } from 'node:http'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  activeTraceId,
  captureDiag,
  CountingProcessor,
  FASTIFY_VERSIONS,
  listen,
  newTraceparent,
  setupTracing,
} from './helpers.js'

const counter = new CountingProcessor()
const tracing = setupTracing([counter])
const diagnostics = captureDiag()
afterEach(() => tracing.reset())
afterAll(async () => {
  diagnostics.restore()
  await tracing.shutdown()
})

// A span's end time is the SDK's clock (the wall clock at its start, monotonic after it), which
// can drift from any clock of ours by milliseconds on a VM. So the tests time the handler with
// the monotonic clock and check that the span lasted at least from the handler's start (after
// the span's) to the last chunk: it then ended after that chunk. The SDK's HrTime conversion
// rounds below a millisecond; chunks are 15 ms apart, so ending at an earlier chunk still fails.
const CLOCK_SLACK_MS = 1

/** Sends a GET and destroys it after `abortAfterMs`; resolves when the client side is done. */
function abortingGet(
  url: string,
  headers: Record<string, string>,
  abortAfterMs: number,
  agent?: Agent,
): Promise<'aborted' | number> {
  return new Promise((resolve) => {
    const request = httpRequest(url, { headers, agent }, (response) => {
      response.on('data', () => undefined)
      response.on('end', () => resolve(response.statusCode ?? 0))
      response.on('error', () => resolve('aborted'))
      response.on('aborted', () => resolve('aborted'))
    })
    request.on('error', () => resolve('aborted'))
    request.end()
    setTimeout(() => {
      if (!request.writableFinished || !request.destroyed) request.destroy()
      resolve('aborted')
    }, abortAfterMs)
  })
}

describe.each(FASTIFY_VERSIONS)('$name: streams, SSE and aborts', ({ create }) => {
  let app: FastifyInstance
  let base: string
  let handlerAt = 0
  let lastChunkAt = 0
  let slowHandlerDone = false
  const abortSeen = new Map<string, string>()

  beforeAll(async () => {
    app = create()
    await app.register(tracingPlugin, { tracerProvider: tracing.provider })
    app.addHook('onRequestAbort', async (request) => {
      abortSeen.set(request.headers['x-test-id'] as string, activeTraceId())
    })
    app.get('/stream', async (_request, reply) => {
      handlerAt = performance.now()
      async function* chunks() {
        for (let i = 0; i < 5; i++) {
          await sleep(15)
          if (i === 4) lastChunkAt = performance.now()
          yield `chunk ${i}\n`
        }
      }
      return reply.type('text/plain').send(Readable.from(chunks()))
    })
    app.get('/sse', (request, reply) => {
      handlerAt = performance.now()
      reply.hijack()
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
      let sent = 0
      const timer = setInterval(() => {
        reply.raw.write(
          `data: ${JSON.stringify({ n: sent, traceId: request.tracing.traceId })}\n\n`,
        )
        if (++sent === 3) {
          clearInterval(timer)
          lastChunkAt = performance.now()
          reply.raw.end()
        }
      }, 15)
    })
    app.get('/slow', async () => {
      await sleep(600)
      slowHandlerDone = true
      return 'too late'
    })
    app.get('/endless', (_request, reply) => {
      const stream = new Readable({ read() {} })
      const timer = setInterval(() => stream.push('tick\n'), 5)
      stream.on('close', () => clearInterval(timer))
      return reply.send(stream)
    })
    app.get('/quick', async () => {
      if (Math.random() < 0.5) await sleep(Math.floor(Math.random() * 4))
      return 'ok'
    })
    base = await listen(app)
  })

  afterAll(() => app.close())

  it('ends the span of reply.send(stream) once, after the last chunk', async () => {
    const response = await fetch(`${base}/stream`)
    expect(await response.text()).toBe('chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n')
    const [span] = await tracing.waitForSpans(1)
    expect(span!.name).toBe('GET /stream')
    expect(hrTimeToMilliseconds(span!.duration)).toBeGreaterThanOrEqual(
      lastChunkAt - handlerAt - CLOCK_SLACK_MS,
    )
    expect(span!.attributes['http.response.status_code']).toBe(200)
    expect(span!.duration[0] * 1e3 + span!.duration[1] / 1e6).toBeGreaterThanOrEqual(60)
  })

  it('ends the span of a server-sent event stream once, after the stream ends', async () => {
    const { traceparent, traceId } = newTraceparent()
    const response = await fetch(`${base}/sse`, { headers: { traceparent } })
    const text = await response.text()
    expect(text.match(/^data: /gm)).toHaveLength(3)
    expect(text).toContain(`"traceId":"${traceId}"`)
    const [span] = await tracing.waitForSpans(1)
    expect(span!.name).toBe('GET /sse')
    expect(span!.duration[0] * 1e3 + span!.duration[1] / 1e6).toBeGreaterThanOrEqual(40)
    expect(hrTimeToMilliseconds(span!.duration)).toBeGreaterThanOrEqual(
      lastChunkAt - handlerAt - CLOCK_SLACK_MS,
    )
  })

  it('ends the span when the client aborts before the response, marked aborted, never 200', async () => {
    const { traceparent, traceId } = newTraceparent()
    await abortingGet(`${base}/slow`, { traceparent, 'x-test-id': 'abort-slow' }, 30)
    const [span] = await tracing.waitForSpans(1)
    // it ended when the client went away, while the handler was still working
    expect(slowHandlerDone).toBe(false)
    expect(span!.name).toBe('GET /slow')
    expect(span!.attributes['error.type']).toBe('aborted')
    expect(span!.attributes['http.response.status_code']).toBeUndefined()
    expect(span!.status.code).toBe(2)
    // onRequestAbort ran in the request's context
    const deadline = Date.now() + 5000
    while (!abortSeen.has('abort-slow') && Date.now() < deadline) await sleep(5)
    expect(abortSeen.get('abort-slow')).toBe(traceId)
    // the handler finishing later ends nothing more
    while (!slowHandlerDone && Date.now() < deadline) await sleep(10)
    await sleep(20)
    expect(tracing.spans()).toHaveLength(1)
  })

  it('ends the span once when the client aborts in the middle of a stream', async () => {
    await abortingGet(`${base}/endless`, {}, 60)
    const [span] = await tracing.waitForSpans(1)
    expect(span!.name).toBe('GET /endless')
    expect(span!.attributes['error.type']).toBe('aborted')
    await sleep(50)
    expect(tracing.spans()).toHaveLength(1)
  })

  it('10,000 requests with random aborts leave started == ended', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 32 })
    const startedBefore = counter.started
    const endedBefore = counter.ended
    const total = 10_000
    let next = 0
    let aborted = 0
    async function worker(): Promise<void> {
      while (next < total) {
        next++
        if (Math.random() < 0.1) {
          aborted++
          await abortingGet(`${base}/quick`, {}, Math.floor(Math.random() * 3), agent)
        } else {
          const status = await abortingGet(`${base}/quick`, {}, 10_000, agent)
          expect(status).toBe(200)
        }
      }
    }
    await Promise.all(Array.from({ length: 32 }, worker))
    agent.destroy()
    const deadline = Date.now() + 15_000
    while (counter.ended - endedBefore < counter.started - startedBefore && Date.now() < deadline)
      await sleep(20)
    const started = counter.started - startedBefore
    const ended = counter.ended - endedBefore
    expect(aborted).toBeGreaterThan(500)
    // an aborted request may never reach the server; every one that did started and ended once
    expect(started).toBeGreaterThan(total - aborted)
    expect(ended).toBe(started)
    expect(new Set(tracing.spans().map((span) => span.spanContext().spanId)).size).toBe(ended)
  }, 120_000)

  it('never ended a span twice', () => {
    expect(diagnostics.messages.filter((message) => /ended|end\(\)/i.test(message))).toEqual([])
  })
})
