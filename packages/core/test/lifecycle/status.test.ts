import { SpanStatusCode } from '@opentelemetry/api'
import type { ReadableSpan } from '@opentelemetry/sdk-trace'
import type http from 'node:http'
import { getRequestTrace, traceHandler, type TraceOptions } from '../../src/index.js'
import { captureDiag } from '../support/diag.js'
import { listen, request, setupTracing, sleep, waitForSpans } from '../support/tracing.js'

class PaymentError extends Error {}

describe('status, errors and ending', () => {
  let tracing: ReturnType<typeof setupTracing>
  let logged: ReturnType<typeof captureDiag>
  beforeEach(() => {
    tracing = setupTracing()
    logged = captureDiag()
  })
  afterEach(async () => {
    logged.restore()
    await tracing.teardown()
  })

  async function one(
    handler: http.RequestListener,
    options: TraceOptions = {},
  ): Promise<ReadableSpan> {
    const app = await listen(
      traceHandler(handler, { tracerProvider: tracing.provider, ...options }),
    )
    try {
      await request(`${app.url}/s`)
      const [span] = await waitForSpans(tracing.exporter, 1)
      return span!
    } finally {
      await app.close()
    }
  }

  describe('status mapping', () => {
    it('leaves 2xx and 4xx UNSET, never OK', async () => {
      for (const code of [200, 204, 302, 404, 429]) {
        tracing.exporter.reset()
        const span = await one((_req, res) => {
          res.statusCode = code
          res.end()
        })
        expect(span.status.code).toBe(SpanStatusCode.UNSET)
        expect(span.attributes['http.response.status_code']).toBe(code)
        expect(span.attributes['error.type']).toBeUndefined()
      }
    })

    it('marks 5xx ERROR with error.type the status code', async () => {
      const span = await one((_req, res) => {
        res.statusCode = 503
        res.end()
      })
      expect(span.status.code).toBe(SpanStatusCode.ERROR)
      expect(span.attributes['error.type']).toBe('503')
      expect(span.events).toHaveLength(0)
    })

    it('records a recorded error as an exception with ERROR and its class name', async () => {
      const span = await one((req, res) => {
        getRequestTrace(req).recordError(new PaymentError('card declined'))
        res.statusCode = 402
        res.end()
      })
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'card declined' })
      expect(span.attributes['error.type']).toBe('PaymentError')
      expect(span.events[0]?.name).toBe('exception')
      expect(span.events[0]?.attributes?.['exception.type']).toBe('Error')
    })

    it('uses the code of a plain Error as error.type, and the status code when a 5xx was sent', async () => {
      const coded = await one((req, res) => {
        getRequestTrace(req).recordError(
          Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
        )
        res.end()
      })
      expect(coded.attributes['error.type']).toBe('ECONNREFUSED')
      tracing.exporter.reset()
      const with500 = await one((req, res) => {
        getRequestTrace(req).recordError(new PaymentError('x'))
        res.statusCode = 500
        res.end()
      })
      expect(with500.attributes['error.type']).toBe('500')
    })

    it('does not mark errors that carry a 4xx status, but keeps the exception event', async () => {
      const span = await one((req, res) => {
        getRequestTrace(req).recordError(Object.assign(new Error('not found'), { status: 404 }))
        getRequestTrace(req).recordError(Object.assign(new Error('gone'), { statusCode: 410 }))
        res.statusCode = 404
        res.end()
      })
      expect(span.status.code).toBe(SpanStatusCode.UNSET)
      expect(span.attributes['error.type']).toBeUndefined()
      expect(span.events.map((e) => e.attributes?.['exception.message'])).toEqual([
        'not found',
        'gone',
      ])
    })

    it('records non-Error thrown values', async () => {
      const span = await one((req, res) => {
        getRequestTrace(req).recordError({ message: 'plain object', name: 'Weird' })
        getRequestTrace(req).recordError({ reason: 1 })
        res.end()
      })
      expect(span.status.code).toBe(SpanStatusCode.ERROR)
      expect(span.attributes['error.type']).toBe('_OTHER')
      expect(span.events.map((e) => e.attributes?.['exception.message'])).toEqual([
        'plain object',
        '{"reason":1}',
      ])
      tracing.exporter.reset()
      const circular: Record<string, unknown> = {}
      circular.self = circular
      const odd = await one((req, res) => {
        getRequestTrace(req).recordError(circular)
        getRequestTrace(req).recordError({ toJSON: () => undefined })
        res.end()
      })
      expect(odd.events.map((e) => e.attributes?.['exception.message'])).toEqual([
        '[object Object]',
        '[object Object]',
      ])
    })

    it('lets isError override the classification, and falls back to the default when it throws', async () => {
      const seen: unknown[] = []
      const teapot = await one(
        (_req, res) => {
          res.statusCode = 418
          res.end()
        },
        {
          isError: (status, error) => {
            seen.push(status, error)
            return status === 418
          },
        },
      )
      expect(teapot.status.code).toBe(SpanStatusCode.ERROR)
      expect(teapot.attributes['error.type']).toBe('418')
      expect(seen).toEqual([418, undefined])
      tracing.exporter.reset()
      const fine503 = await one(
        (_req, res) => {
          res.statusCode = 503
          res.end()
        },
        { isError: () => false },
      )
      expect(fine503.status.code).toBe(SpanStatusCode.UNSET)
      tracing.exporter.reset()
      const broken = await one(
        (_req, res) => {
          res.statusCode = 500
          res.end()
        },
        {
          isError: () => {
            throw new Error('classifier bug')
          },
        },
      )
      expect(broken.status.code).toBe(SpanStatusCode.ERROR)
      expect(
        logged.messages.some((m) => m.includes('"isError" threw') && m.includes('classifier bug')),
      ).toBe(true)
    })
  })

  describe('handler errors', () => {
    it('records a rejected async handler and passes the rejection on', async () => {
      let caught: unknown
      const traced = traceHandler(
        async (_req, res) => {
          setTimeout(() => {
            res.statusCode = 500
            res.end()
          }, 20)
          await sleep(1)
          throw new PaymentError('async failure')
        },
        { tracerProvider: tracing.provider },
      )
      const app = await listen((req, res) => {
        ;(traced(req, res) as Promise<unknown>).catch((error: unknown) => {
          caught = error
        })
      })
      try {
        await request(`${app.url}/a`)
        const [span] = await waitForSpans(tracing.exporter, 1)
        expect((caught as Error).message).toBe('async failure')
        expect(span?.events[0]?.attributes?.['exception.message']).toBe('async failure')
        expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'async failure' })
        expect(span?.attributes['error.type']).toBe('500')
      } finally {
        await app.close()
      }
    })

    it('records a sync throw and rethrows it', async () => {
      let caught: unknown
      const traced = traceHandler(
        () => {
          throw new PaymentError('sync')
        },
        { tracerProvider: tracing.provider },
      )
      const app = await listen((req, res) => {
        try {
          traced(req, res)
        } catch (error) {
          caught = error
          res.statusCode = 500
          res.end()
        }
      })
      try {
        await request(`${app.url}/t`)
        const [span] = await waitForSpans(tracing.exporter, 1)
        expect((caught as Error).message).toBe('sync')
        expect(span?.events[0]?.attributes?.['exception.message']).toBe('sync')
        expect(span?.status.code).toBe(SpanStatusCode.ERROR)
      } finally {
        await app.close()
      }
    })

    it('returns the handler result for sync and async handlers', async () => {
      const sync = traceHandler(() => 'value', { tracerProvider: tracing.provider })
      const app = await listen((req, res) => {
        expect(sync(req, res)).toBe('value')
        res.end()
      })
      try {
        await request(`${app.url}/r`)
        await waitForSpans(tracing.exporter, 1)
      } finally {
        await app.close()
      }
      expect(() => traceHandler(null as never)).toThrow(
        new TypeError(
          '@tracehop/core: traceHandler needs a request handler function; received null',
        ),
      )
      expect(() => traceHandler('handler' as never)).toThrow(
        new TypeError(
          '@tracehop/core: traceHandler needs a request handler function; received string',
        ),
      )
    })
  })

  describe('ending exactly once', () => {
    it('ends once even when end() is called before and after the response', async () => {
      const app = await listen(
        traceHandler(
          (req, res) => {
            const requestTrace = getRequestTrace(req)
            expect(requestTrace.ended).toBe(false)
            res.end('x', () => {
              requestTrace.end()
              requestTrace.end()
              requestTrace.recordError(new Error('too late'))
              requestTrace.setAttributes({ late: true })
            })
          },
          { tracerProvider: tracing.provider },
        ),
      )
      try {
        await request(`${app.url}/once`)
        await request(`${app.url}/twice`)
        const spans = await waitForSpans(tracing.exporter, 2)
        await sleep(50)
        expect(tracing.exporter.getFinishedSpans()).toHaveLength(2)
        for (const span of spans) {
          expect(span.events).toHaveLength(0)
          expect(span.attributes.late).toBeUndefined()
        }
      } finally {
        await app.close()
      }
    })

    it('an explicit end() before headers are sent records no status code', async () => {
      const span = await one((req, res) => {
        getRequestTrace(req).end()
        res.end()
      })
      expect(span.attributes['http.response.status_code']).toBeUndefined()
      expect(span.status.code).toBe(SpanStatusCode.UNSET)
    })

    it('returns the same trace when a request is started twice', async () => {
      const inner = traceHandler((_req, res) => res.end(), { tracerProvider: tracing.provider })
      const span = await one((req, res) => {
        const first = getRequestTrace(req)
        inner(req, res)
        expect(getRequestTrace(req)).toBe(first)
      })
      expect(span.name).toBe('GET')
      expect(tracing.exporter.getFinishedSpans()).toHaveLength(1)
    })
  })

  describe('hooks', () => {
    it('calls requestHook after start and responseHook before the end', async () => {
      const span = await one((_req, res) => res.end(), {
        requestHook: (s, req) => s.setAttribute('hook.request', req.url ?? ''),
        responseHook: (s, res) => s.setAttribute('hook.response', res.statusCode),
      })
      expect(span.attributes['hook.request']).toBe('/s')
      expect(span.attributes['hook.response']).toBe(200)
    })

    it('reports throwing hooks through diag and the request goes on unchanged', async () => {
      const thrower = (): never => {
        throw new Error('hook bug')
      }
      const app = await listen(
        traceHandler((_req, res) => res.end('body intact'), {
          tracerProvider: tracing.provider,
          requestHook: thrower,
          responseHook: thrower,
          spanName: thrower,
          isError: thrower,
          trust: thrower,
          ignore: [thrower],
        }),
      )
      try {
        const reply = await request(`${app.url}/h`, {
          headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
        })
        expect(reply).toMatchObject({ status: 200, body: 'body intact' })
        const [span] = await waitForSpans(tracing.exporter, 1)
        expect(span?.name).toBe('GET')
        expect(span?.parentSpanContext?.spanId).toBe('b7ad6b7169203331')
        for (const hook of [
          'requestHook',
          'responseHook',
          'spanName',
          'isError',
          'trust',
          'ignore',
        ]) {
          expect(
            logged.messages.some(
              (m) => m.startsWith('error @tracehop/core:') && m.includes(`"${hook}"`),
            ),
          ).toBe(true)
        }
      } finally {
        await app.close()
      }
    })
  })
})
