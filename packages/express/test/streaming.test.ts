import { hrTimeToMilliseconds } from '@opentelemetry/core'
import { traceMiddleware } from '@tracehop/express'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  captureDiag,
  CountingProcessor,
  EXPRESS_VERSIONS,
  eventually,
  listen,
  request,
  serverSpans,
  setupTracing,
  sleep,
} from './helpers.js'

const counter = new CountingProcessor()
const tracing = setupTracing([counter])
const diagnostics = captureDiag()
const dir = mkdtempSync(join(tmpdir(), 'tracehop-express-'))
const file = join(dir, 'report.txt')
// larger than the loopback socket buffers, so a paused client holds the transfer back
const FILE_SIZE = 24 * 1024 * 1024
writeFileSync(file, Buffer.alloc(FILE_SIZE, 'x'))
afterEach(() => {
  tracing.exporter.reset()
  counter.reset()
})
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  diagnostics.restore()
  await tracing.teardown()
})

/** No span was ended twice (the SDK reports a second end() through diag). */
function expectNoDoubleEnd(): void {
  expect(diagnostics.warnings.filter((m) => m.includes('end() on a span once'))).toEqual([])
  for (const count of counter.endings.values()) expect(count).toBe(1)
}

/** Starts a request and resolves once the response headers arrived. */
function open(
  url: string,
  agent?: http.Agent,
): Promise<{ req: http.ClientRequest; res: http.IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => resolve({ req, res }))
    req.on('error', reject)
  })
}

describe.each(EXPRESS_VERSIONS)('streaming and aborts (%s)', (_label, express) => {
  let server: Awaited<ReturnType<typeof listen>>
  let handlerAt = 0
  let lastWriteAt = 0

  beforeAll(async () => {
    const app = express()
    app.use(traceMiddleware({ tracerProvider: tracing.provider, metrics: false }))
    app.get('/stream', (_req, res) => {
      handlerAt = performance.now()
      let sent = 0
      res.write('start\n')
      const timer = setInterval(() => {
        sent++
        if (sent < 5) {
          res.write(`chunk ${sent}\n`)
          return
        }
        clearInterval(timer)
        lastWriteAt = performance.now()
        res.end('end\n')
      }, 50)
    })
    app.get('/file', (_req, res) => {
      res.sendFile(file)
    })
    app.get('/events', (req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
      let n = 0
      const timer = setInterval(() => res.write(`data: ${n++}\n\n`), 20)
      req.on('close', () => clearInterval(timer))
      res.on('close', () => clearInterval(timer))
    })
    app.get('/slow', (_req, res) => {
      setTimeout(() => {
        if (!res.destroyed) res.send('late')
      }, 150)
    })
    app.get('/random/:n', (_req, res) => {
      const delay = Math.random() * 3
      setTimeout(() => {
        if (!res.destroyed) res.send('ok')
      }, delay)
    })
    server = await listen(app)
  })
  afterAll(() => server.close())

  it('ends a streamed response once, after the last write (~200 ms)', async () => {
    const reply = await request(`${server.url}/stream`)
    expect(reply.body).toBe('start\nchunk 1\nchunk 2\nchunk 3\nchunk 4\nend\n')
    await eventually(() => expect(serverSpans(tracing.exporter)).toHaveLength(1))
    const span = serverSpans(tracing.exporter)[0]!
    expect(span.name).toBe('GET /stream')
    expect(span.attributes['http.response.status_code']).toBe(200)
    const durationMs = hrTimeToMilliseconds(span.duration)
    expect(durationMs).toBeGreaterThanOrEqual(180)
    // ended after the last write: it lasted at least from the handler's start (after its own)
    // to that write, both on the monotonic clock; its end time is the SDK's clock, which can
    // drift from ours by milliseconds on a VM
    expect(durationMs).toBeGreaterThanOrEqual(lastWriteAt - handlerAt - 1)
    expect(span.status.code).toBe(0)
    expectNoDoubleEnd()
  })

  it('ends a res.sendFile() response once, after the whole file is sent', async () => {
    const { res } = await open(`${server.url}/file`)
    res.pause()
    await sleep(150)
    // the client holds the body back: the response has not finished, the span must not end
    expect(counter.started).toBe(1)
    expect(counter.ended).toBe(0)
    let length = 0
    res.on('data', (chunk: Buffer) => (length += chunk.length))
    const ended = new Promise((resolve) => res.on('end', resolve))
    res.resume()
    await ended
    expect(length).toBe(FILE_SIZE)
    await eventually(() => expect(serverSpans(tracing.exporter)).toHaveLength(1))
    const span = serverSpans(tracing.exporter)[0]!
    expect(span.name).toBe('GET /file')
    expect(span.attributes['http.response.status_code']).toBe(200)
    expect(span.attributes['error.type']).toBeUndefined()
    expectNoDoubleEnd()
  })

  it('keeps a server-sent event stream open until the client closes, then ends its span once', async () => {
    const { req, res } = await open(`${server.url}/events`)
    let received = ''
    await new Promise<void>((resolve) => {
      res.on('data', (chunk: Buffer) => {
        received += chunk.toString('utf8')
        if (received.split('\n\n').length > 3) resolve()
      })
    })
    // still streaming: nothing ended yet
    expect(counter.started).toBe(1)
    expect(counter.ended).toBe(0)
    req.destroy()
    await eventually(() => expect(counter.ended).toBe(1))
    const span = serverSpans(tracing.exporter)[0]!
    expect(span.name).toBe('GET /events')
    // the client went away before the response finished: never a phantom success
    expect(span.attributes['error.type']).toBe('aborted')
    await sleep(60)
    expect(counter.ended).toBe(1)
    expectNoDoubleEnd()
  })

  it('ends the span of an aborted request once, marked aborted', async () => {
    const req = http.get(`${server.url}/slow`)
    req.on('error', () => {})
    await eventually(() => expect(counter.started).toBe(1))
    req.destroy()
    await eventually(() => expect(counter.ended).toBe(1))
    await sleep(200) // the handler's late send must not end it again
    expect(counter.ended).toBe(1)
    const span = serverSpans(tracing.exporter)[0]!
    expect(span.attributes['error.type']).toBe('aborted')
    expect(span.attributes['http.response.status_code']).toBeUndefined()
    expectNoDoubleEnd()
  })

  it('leaves started == ended after 10,000 requests with random aborts', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 })
    let completed = 0
    let aborted = 0
    const one = (n: number) =>
      new Promise<void>((resolve) => {
        const req = http.get(`${server.url}/random/${n}`, { agent }, (res) => {
          res.resume()
          res.on('end', () => {
            completed++
            resolve()
          })
          res.on('error', () => resolve())
          res.on('aborted', () => resolve())
        })
        req.on('error', () => resolve())
        req.on('close', () => resolve())
        if (Math.random() < 0.2) {
          setTimeout(() => {
            aborted++
            req.destroy()
          }, Math.random() * 4)
        }
      })
    try {
      let next = 0
      const workers = Array.from({ length: 32 }, async () => {
        while (next < 10_000) await one(next++)
      })
      await Promise.all(workers)
    } finally {
      agent.destroy()
    }
    expect(completed + aborted).toBeGreaterThanOrEqual(10_000)
    await eventually(() => {
      expect(counter.ended).toBe(counter.started)
    }, 20_000)
    // every completed response had its span; aborted ones may not have reached the server
    expect(completed).toBeGreaterThan(5_000)
    expect(counter.started).toBeGreaterThanOrEqual(completed)
    expectNoDoubleEnd()
  }, 120_000)
})
