import { SpanKind } from '@opentelemetry/api'
import diagnosticsChannel from 'node:diagnostics_channel'
import { IncomingMessage, ServerResponse } from 'node:http'
import {
  createRequestLifecycle,
  getRequestTrace,
  REQUEST_TRACE_KEY,
  reserveRequestTraceSlots,
  tryGetRequestTrace,
} from '../../src/index.js'
import { listen, request, setupTracing, waitForSpans } from '../support/tracing.js'

describe('reserveRequestTraceSlots()', () => {
  let tracing: ReturnType<typeof setupTracing>
  beforeEach(() => {
    tracing = setupTracing()
    reserveRequestTraceSlots()
    reserveRequestTraceSlots() // a second call changes nothing
  })
  afterEach(async () => {
    await tracing.teardown()
  })

  it('gives each HTTP/1 request an empty slot before the server sees it, which a trace fills', async () => {
    const lifecycle = createRequestLifecycle(
      { tracerProvider: tracing.provider, metrics: false },
      '@tracehop/test',
    )
    const expressLikeRequest = Object.create(IncomingMessage.prototype) as object
    const seen: Record<string, unknown>[] = []
    const app = await listen((req, res) => {
      const before = {
        own: Object.prototype.hasOwnProperty.call(req, REQUEST_TRACE_KEY),
        value: (req as { [REQUEST_TRACE_KEY]?: unknown })[REQUEST_TRACE_KEY],
        found: tryGetRequestTrace(req),
        thrown: false,
      }
      try {
        getRequestTrace(req)
      } catch {
        before.thrown = true
      }
      // what Express does to every request, then its first middleware starts the trace
      Object.setPrototypeOf(req, expressLikeRequest)
      Object.setPrototypeOf(res, Object.create(ServerResponse.prototype) as object)
      const started = lifecycle.start(req, res)
      seen.push({ ...before, started, after: getRequestTrace(req) })
      res.end('ok')
    })
    try {
      expect((await request(`${app.url}/a`)).status).toBe(200)
      expect((await request(`${app.url}/b`)).status).toBe(200)
      const spans = await waitForSpans(tracing.exporter, 2)
      expect(seen).toHaveLength(2)
      for (const one of seen) {
        // the slot is there, empty: an untraced request still reads as untraced
        expect(one.own).toBe(true)
        expect(one.value).toBeUndefined()
        expect(one.found).toBeUndefined()
        expect(one.thrown).toBe(true)
        expect(one.started).toBeDefined()
        expect(one.after).toBe(one.started)
      }
      const server = spans.filter((span) => span.kind === SpanKind.SERVER)
      expect(server.map((span) => span.attributes['url.path']).sort()).toEqual(['/a', '/b'])
      expect(server.every((span) => span.attributes['http.response.status_code'] === 200)).toBe(
        true,
      )
    } finally {
      await app.close()
    }
  })

  it('leaves a request that has the slot as it is, ignores what it cannot mark, and never throws into the publisher', async () => {
    const channel = diagnosticsChannel.channel('http.server.request.start')
    const uncaught: unknown[] = []
    const onUncaught = (error: unknown): void => {
      uncaught.push(error)
    }
    // diagnostics_channel rethrows a subscriber's error on the next tick, as an uncaught exception
    process.on('uncaughtException', onUncaught)
    try {
      for (const message of [null, undefined, 1, 'x', {}, { request: 'x' }, { request: null }])
        channel.publish(message)
      const frozen = Object.freeze({})
      channel.publish({ request: frozen })
      const trapped = new Proxy(
        {},
        {
          has() {
            throw new Error('a hostile request object')
          },
        },
      )
      channel.publish({ request: trapped })
      const traced = { [REQUEST_TRACE_KEY]: 'a trace' }
      channel.publish({ request: traced })
      const plain = {}
      channel.publish({ request: plain })

      expect(Object.prototype.hasOwnProperty.call(frozen, REQUEST_TRACE_KEY)).toBe(false)
      expect(traced[REQUEST_TRACE_KEY]).toBe('a trace')
      expect(Object.prototype.hasOwnProperty.call(plain, REQUEST_TRACE_KEY)).toBe(true)
      await new Promise((resolve) => setImmediate(resolve))
      expect(uncaught).toEqual([])
    } finally {
      process.off('uncaughtException', onUncaught)
    }
  })
})
