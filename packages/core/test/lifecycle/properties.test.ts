import fc from 'fast-check'
import http from 'node:http'
import net from 'node:net'
import { compileQueryRedaction } from '../../src/redact.js'
import { createRequestLifecycle, DEFAULT_REDACTED_QUERY_PARAMS, REDACTED } from '../../src/index.js'
import { captureDiag } from '../support/diag.js'
import { setupTracing } from '../support/tracing.js'

const text = fc.string({ unit: 'binary', maxLength: 60 })
const headerValue = fc.oneof(text, fc.array(text, { maxLength: 3 }))

describe('properties', () => {
  it('query redaction never lets a sensitive value through, and leaves other queries untouched', () => {
    const redaction = compileQueryRedaction([])
    const key = fc.oneof(
      fc.constantFrom(...DEFAULT_REDACTED_QUERY_PARAMS, 'Token', 'PASSWORD', 'page', 'q', 'sort'),
      fc.constantFrom('accessToken', 'SAMLResponse', 'user[password]', 'token[]', 'a.sig'),
      fc.stringMatching(/^[a-zA-Z_[\].-]{1,8}$/),
    )
    // An independent reading of the rule: lowercase, split at brackets and dots, drop - and _.
    const normalized = new Set(
      DEFAULT_REDACTED_QUERY_PARAMS.map((name) => name.toLowerCase().replace(/[-_]/g, '')),
    )
    const isSensitive = (k: string): boolean =>
      k
        .toLowerCase()
        .split(/[[\].]/)
        .some((part) => part !== '' && normalized.has(part.replace(/[-_]/g, '')))
    const value = fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/)
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 6 }), (pairs) => {
        const query = pairs.map(([k, v]) => `${k}=${v}`).join('&')
        const out = redaction.redact(query)
        const outPairs = out === '' ? [] : out.split('&').map((p) => p.split('='))
        expect(outPairs).toHaveLength(pairs.length)
        pairs.forEach(([k, v], i) => {
          const sensitive = isSensitive(k)
          expect(outPairs[i]).toEqual([k, sensitive ? REDACTED : v])
        })
      }),
      { numRuns: 2000 },
    )
  })

  describe('whatever the request carries', () => {
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

    it('start and end never fail, whatever the method, target and headers', () => {
      const lifecycle = createRequestLifecycle(
        {
          tracerProvider: tracing.provider,
          trustProxy: true,
          baggage: { allow: ['a'] },
          captureHeaders: { request: ['x-a', 'cookie'], response: ['x-b'] },
          ignore: ['/healthz', '/users/:id', /^\/static/],
        },
        '@tracehop/core',
      )
      const headers = fc.record(
        {
          host: text,
          ':authority': text,
          ':scheme': text,
          'user-agent': text,
          traceparent: fc.oneof(
            text,
            fc.constant('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'),
          ),
          tracestate: text,
          baggage: text,
          'x-forwarded-for': headerValue,
          'x-forwarded-proto': headerValue,
          'x-forwarded-host': headerValue,
          'x-a': headerValue,
          cookie: headerValue,
        },
        { requiredKeys: [] },
      )
      fc.assert(
        fc.property(
          fc.option(text),
          fc.option(text),
          headers,
          fc.option(fc.string()),
          (method, url, h, route) => {
            const req = new http.IncomingMessage(new net.Socket())
            req.method = method ?? (undefined as unknown as string)
            req.url = url ?? (undefined as unknown as string)
            req.headers = h as http.IncomingHttpHeaders
            const res = new http.ServerResponse(req)
            const requestTrace = lifecycle.start(req, res, route ?? undefined)
            requestTrace?.setRoute(route ?? undefined)
            requestTrace?.end()
            res.emit('close')
          },
        ),
        { numRuns: 1500 },
      )
      expect(logged.messages.filter((m) => m.startsWith('error'))).toEqual([])
      const spans = tracing.exporter.getFinishedSpans()
      expect(spans.length).toBeGreaterThan(0)
      for (const span of spans) {
        expect(typeof span.attributes['url.path']).toBe('string')
        const cookie = span.attributes['http.request.header.cookie'] as string[] | undefined
        if (cookie !== undefined) {
          expect(cookie.length).toBeGreaterThan(0)
          expect(cookie.every((value) => value === REDACTED)).toBe(true)
        }
      }
    })
  })
})
