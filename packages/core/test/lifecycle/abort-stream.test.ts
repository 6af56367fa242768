import { SpanStatusCode } from '@opentelemetry/api'
import { hrTimeToMilliseconds } from '@opentelemetry/core'
import http from 'node:http'
import { Readable } from 'node:stream'
import { ERROR_TYPE_ABORTED, traceHandler, type StatusClassifier } from '../../src/index.js'
import { listen, request, setupTracing, sleep, waitForSpans } from '../support/tracing.js'

/** Reads the first chunk of `url`, then destroys the connection. */
function readFirstChunkAndLeave(url: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.once('data', () => {
        req.destroy()
        resolve()
      })
    })
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET') reject(error)
    })
  })
}

/** An event stream that never ends on its own: the client closes it. */
function eventStream(_req: http.IncomingMessage, res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' })
  res.write('data: hello\n\n')
}

describe('aborted and streamed responses', () => {
  let tracing: ReturnType<typeof setupTracing>
  beforeEach(() => {
    tracing = setupTracing()
  })
  afterEach(async () => {
    await tracing.teardown()
  })

  it('ends the span when the client destroys the socket mid-response: ERROR, aborted, status only as sent', async () => {
    let serverSawClose = false
    const app = await listen(
      traceHandler(
        (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/plain' })
          res.write('first chunk')
          res.on('close', () => (serverSawClose = true))
          // never ends on its own: the client goes away first
        },
        { tracerProvider: tracing.provider },
      ),
    )
    try {
      await new Promise<void>((resolve, reject) => {
        const req = http.get(`${app.url}/download`, { agent: false }, (res) => {
          res.once('data', () => {
            req.destroy()
            resolve()
          })
        })
        req.on('error', (error: NodeJS.ErrnoException) => {
          if (error.code !== 'ECONNRESET') reject(error)
        })
      })
      const [span] = await waitForSpans(tracing.exporter, 1)
      expect(serverSawClose).toBe(true)
      expect(span?.status.code).toBe(SpanStatusCode.ERROR)
      expect(span?.attributes['error.type']).toBe(ERROR_TYPE_ABORTED)
      // the 200 really went out before the client left
      expect(span?.attributes['http.response.status_code']).toBe(200)
      await sleep(50)
      expect(tracing.exporter.getFinishedSpans()).toHaveLength(1)
    } finally {
      await app.close()
    }
  })

  it('never reports a phantom 200 when the client leaves before any header was sent', async () => {
    const app = await listen(
      traceHandler(
        () => {
          // a slow handler that has not answered yet
        },
        { tracerProvider: tracing.provider },
      ),
    )
    try {
      await new Promise<void>((resolve) => {
        const req = http.get(`${app.url}/slow`, { agent: false })
        req.on('error', () => resolve())
        setTimeout(() => req.destroy(), 50)
      })
      const [span] = await waitForSpans(tracing.exporter, 1)
      expect(span?.attributes['http.response.status_code']).toBeUndefined()
      expect(span?.attributes['error.type']).toBe('aborted')
      expect(span?.status).toEqual({
        code: SpanStatusCode.ERROR,
        message: 'the client closed the connection before the response was complete',
      })
    } finally {
      await app.close()
    }
  })

  it('ends a streamed response after its last chunk', async () => {
    // monotonic instants: the span's duration is set against them, not its wall-clock end (see
    // the assertion)
    let handlerAt = 0
    let lastChunkAt = 0
    const app = await listen(
      traceHandler(
        (_req, res) => {
          handlerAt = performance.now()
          let sent = 0
          const stream = new Readable({
            read() {
              if (sent === 5) {
                lastChunkAt = performance.now()
                this.push(null)
                return
              }
              sent++
              setTimeout(() => this.push(`chunk ${sent}\n`), 40)
            },
          })
          stream.pipe(res)
        },
        { tracerProvider: tracing.provider },
      ),
    )
    try {
      const chunksSeen: number[] = []
      const startedAt = Date.now()
      await new Promise<void>((resolve, reject) => {
        http
          .get(`${app.url}/stream`, { agent: false }, (res) => {
            res.on('data', () => {
              chunksSeen.push(Date.now() - startedAt)
              // the span must still be open while chunks are arriving
              if (chunksSeen.length < 5) expect(tracing.exporter.getFinishedSpans()).toHaveLength(0)
            })
            res.on('end', resolve)
          })
          .on('error', reject)
      })
      const [span] = await waitForSpans(tracing.exporter, 1)
      expect(chunksSeen.length).toBeGreaterThanOrEqual(1)
      expect(span?.status.code).toBe(SpanStatusCode.UNSET)
      expect(span?.attributes['http.response.status_code']).toBe(200)
      // the span started before the handler ran, so it lasting from then to the last chunk means
      // it ended after that chunk. Its end time itself is the SDK's clock (the wall clock at the
      // start, monotonic after it), which can drift from ours by milliseconds on a VM; 1 ms is
      // the SDK's rounding of times
      expect(hrTimeToMilliseconds(span!.duration)).toBeGreaterThanOrEqual(
        lastChunkAt - handlerAt - 1,
      )
      expect(hrTimeToMilliseconds(span!.duration)).toBeGreaterThanOrEqual(150)
    } finally {
      await app.close()
    }
  })

  describe('isError and aborted responses', () => {
    it('asks the classifier, which may call a stream the client closed normal: UNSET, no error.type', async () => {
      const seen: unknown[][] = []
      const isError: StatusClassifier = (status, error, info) => {
        seen.push([status, error, info])
        return info.aborted ? status !== 200 : status !== undefined && status >= 500
      }
      const app = await listen(
        traceHandler(eventStream, { tracerProvider: tracing.provider, isError }),
      )
      try {
        await readFirstChunkAndLeave(`${app.url}/events`)
        const [span] = await waitForSpans(tracing.exporter, 1)
        expect(seen).toEqual([[200, undefined, { aborted: true }]])
        expect(span?.status).toEqual({ code: SpanStatusCode.UNSET })
        expect(span?.attributes['error.type']).toBeUndefined()
        expect(span?.attributes['http.response.status_code']).toBe(200)
      } finally {
        await app.close()
      }
    })

    it('keeps error.type aborted and the message when the classifier says error', async () => {
      const app = await listen(
        traceHandler(eventStream, {
          tracerProvider: tracing.provider,
          isError: (_status, _error, { aborted }) => aborted,
        }),
      )
      try {
        await readFirstChunkAndLeave(`${app.url}/events`)
        const [span] = await waitForSpans(tracing.exporter, 1)
        expect(span?.attributes['error.type']).toBe(ERROR_TYPE_ABORTED)
        expect(span?.status).toEqual({
          code: SpanStatusCode.ERROR,
          message: 'the client closed the connection before the response was complete',
        })
      } finally {
        await app.close()
      }
    })

    it('tells the classifier a completed response was not aborted', async () => {
      const seen: unknown[] = []
      const app = await listen(
        traceHandler((_req, res) => res.end('ok'), {
          tracerProvider: tracing.provider,
          isError: (_status, _error, info) => {
            seen.push(info)
            return false
          },
        }),
      )
      try {
        await request(`${app.url}/done`)
        await waitForSpans(tracing.exporter, 1)
        expect(seen).toEqual([{ aborted: false }])
      } finally {
        await app.close()
      }
    })

    it('falls back to ERROR, aborted when the classifier throws on an aborted response', async () => {
      const app = await listen(
        traceHandler(eventStream, {
          tracerProvider: tracing.provider,
          isError: () => {
            throw new Error('classifier bug')
          },
        }),
      )
      try {
        await readFirstChunkAndLeave(`${app.url}/events`)
        const [span] = await waitForSpans(tracing.exporter, 1)
        expect(span?.status.code).toBe(SpanStatusCode.ERROR)
        expect(span?.attributes['error.type']).toBe(ERROR_TYPE_ABORTED)
      } finally {
        await app.close()
      }
    })
  })
})
