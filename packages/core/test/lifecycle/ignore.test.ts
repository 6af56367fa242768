import type { IncomingMessage } from 'node:http'
import { compileIgnore } from '../../src/ignore.js'
import { createRequestLifecycle, traceHandler, type RequestInfo } from '../../src/index.js'
import { listen, request, setupTracing, waitForSpans } from '../support/tracing.js'

const fakeRequest = {} as IncomingMessage

describe('ignore rules', () => {
  describe('matching', () => {
    const matcher = compileIgnore(
      [
        '/healthz',
        '/users/:id/avatar',
        '/static/*',
        '/files/*path',
        /^\/internal\//g,
        ({ method }) => method === 'OPTIONS',
      ],
      '@tracehop/core',
    )
    const ignored = (path: string, route?: string, method = 'GET'): boolean =>
      matcher.matches(method, path, route, fakeRequest)

    it.each([
      ['/healthz', true],
      ['/healthz/', false],
      ['/healthzz', false],
      ['/users/42/avatar', true],
      ['/users/abc/avatar', true],
      ['/users//avatar', false],
      ['/users/42/avatar/x', false],
      ['/users/42', false],
      ['/static', true],
      ['/static/app.js', true],
      ['/static/js/app.js', true],
      ['/files/a/b', true],
      ['/internal/metrics', true],
      ['/internal/metrics', true],
      ['/api/orders', false],
    ])('path %s -> %s', (path, expected) => {
      expect(ignored(path)).toBe(expected)
    })

    it('matches the route template exactly, and RegExps against it', () => {
      expect(ignored('/users/42/avatar', '/users/:id/avatar')).toBe(true)
      expect(ignored('/x', '/healthz')).toBe(true)
      expect(ignored('/x', '/internal/:thing')).toBe(true)
      expect(ignored('/x', '/orders/:id')).toBe(false)
    })

    it('calls functions with method, path, route and request', () => {
      const seen: RequestInfo[] = []
      const spy = compileIgnore([(info) => (seen.push(info), false)], '@tracehop/core')
      expect(spy.matches('POST', '/p', '/r', fakeRequest)).toBe(false)
      expect(seen).toEqual([{ method: 'POST', path: '/p', route: '/r', request: fakeRequest }])
      expect(ignored('/anything', undefined, 'OPTIONS')).toBe(true)
    })
  })

  describe('over real sockets', () => {
    let tracing: ReturnType<typeof setupTracing>
    beforeEach(() => {
      tracing = setupTracing()
    })
    afterEach(async () => {
      await tracing.teardown()
    })

    it('creates nothing for ignored requests and traces the rest', async () => {
      const app = await listen(
        traceHandler((_req, res) => res.end('ok'), {
          tracerProvider: tracing.provider,
          ignore: ['/healthz', '/users/:id/avatar', /^\/metrics/],
        }),
      )
      try {
        for (const path of ['/healthz?full=1', '/users/7/avatar', '/metrics/prom', '/orders']) {
          expect((await request(`${app.url}${path}`)).body).toBe('ok')
        }
        const spans = await waitForSpans(tracing.exporter, 1)
        expect(spans.map((s) => s.attributes['url.path'])).toEqual(['/orders'])
      } finally {
        await app.close()
      }
    })

    it('uses the route an adapter passes to start()', async () => {
      const lifecycle = createRequestLifecycle(
        { tracerProvider: tracing.provider, ignore: '/health/:probe' },
        '@tracehop/fastify',
      )
      const app = await listen((req, res) => {
        const route = req.url?.startsWith('/h') ? '/health/:probe' : '/other/:id'
        const requestTrace = lifecycle.start(req, res, route)
        res.end(requestTrace === undefined ? 'ignored' : 'traced')
      })
      try {
        expect((await request(`${app.url}/h/live`)).body).toBe('ignored')
        expect((await request(`${app.url}/o/1`)).body).toBe('traced')
        const [span] = await waitForSpans(tracing.exporter, 1)
        expect(span?.name).toBe('GET /other/:id')
        expect(span?.attributes['http.route']).toBe('/other/:id')
      } finally {
        await app.close()
      }
    })
  })
})
