import { SpanKind } from '@opentelemetry/api'
import type http from 'node:http'
import type { AddressInfo } from 'node:net'
import net from 'node:net'
import { getRequestTrace, traceHandler, type TraceOptions } from '../../src/index.js'
import { listen, request, setupTracing, waitForSpans } from '../support/tracing.js'

describe('span name and attributes', () => {
  let tracing: ReturnType<typeof setupTracing>
  beforeEach(() => {
    tracing = setupTracing()
  })
  afterEach(async () => {
    await tracing.teardown()
  })

  async function serve(
    handler: http.RequestListener,
    options: TraceOptions = {},
  ): Promise<Awaited<ReturnType<typeof listen>>> {
    return listen(traceHandler(handler, { tracerProvider: tracing.provider, ...options }))
  }

  it('records every stable HTTP server attribute', async () => {
    const app = await serve((req, res) => {
      getRequestTrace(req).setRoute('/orders/:id')
      res.statusCode = 201
      res.end('created')
    })
    try {
      const port = (app.server.address() as AddressInfo).port
      await request(`${app.url}/orders/42?expand=items&page=2`, {
        method: 'POST',
        headers: { 'user-agent': 'tracehop-test/1.0' },
        body: 'x',
      })
      const [span] = await waitForSpans(tracing.exporter, 1)
      expect(span?.name).toBe('POST /orders/:id')
      expect(span?.kind).toBe(SpanKind.SERVER)
      expect(span?.instrumentationScope.name).toBe('@tracehop/core')
      expect(span?.attributes).toEqual({
        'http.request.method': 'POST',
        'url.path': '/orders/42',
        'url.query': 'expand=items&page=2',
        'url.scheme': 'http',
        'server.address': '127.0.0.1',
        'server.port': port,
        'client.address': '127.0.0.1',
        'network.protocol.version': '1.1',
        'user_agent.original': 'tracehop-test/1.0',
        'http.route': '/orders/:id',
        'http.response.status_code': 201,
      })
    } finally {
      await app.close()
    }
  })

  it('maps an unknown method to _OTHER, keeps the original and names the span HTTP', async () => {
    const app = await serve((_req, res) => res.end())
    try {
      await request(`${app.url}/x`, { method: 'PROPFIND' })
      const [span] = await waitForSpans(tracing.exporter, 1)
      expect(span?.name).toBe('HTTP')
      expect(span?.attributes['http.request.method']).toBe('_OTHER')
      expect(span?.attributes['http.request.method_original']).toBe('PROPFIND')
    } finally {
      await app.close()
    }
  })

  it('takes server.address and server.port from the Host header, IPv6 and default ports included', async () => {
    const app = await serve((_req, res) => res.end())
    try {
      await request(`${app.url}/a`, { headers: { host: 'shop.example.com' } })
      await request(`${app.url}/b`, { headers: { host: '[::1]:8443' } })
      await request(`${app.url}/c`, { headers: { host: 'shop.example.com:notaport' } })
      await request(`${app.url}/d`, { headers: { host: '[broken' } })
      const spans = await waitForSpans(tracing.exporter, 4)
      const byPath = (path: string) =>
        spans.find((s) => s.attributes['url.path'] === path)?.attributes
      expect(byPath('/a')).toMatchObject({
        'server.address': 'shop.example.com',
        'server.port': 80,
      })
      expect(byPath('/b')).toMatchObject({ 'server.address': '::1', 'server.port': 8443 })
      expect(byPath('/c')).toMatchObject({
        'server.address': 'shop.example.com',
        'server.port': 80,
      })
      expect(byPath('/d')?.['server.address']).toBeUndefined()
    } finally {
      await app.close()
    }
  })

  it('believes X-Forwarded-* only with trustProxy', async () => {
    const forwarded = {
      'x-forwarded-for': '203.0.113.9, 10.0.0.1',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'api.example.com',
    }
    const plain = await serve((_req, res) => res.end())
    const proxied = await serve((_req, res) => res.end(), { trustProxy: true })
    try {
      await request(`${plain.url}/p`, { headers: forwarded })
      await request(`${proxied.url}/q`, { headers: forwarded })
      const spans = await waitForSpans(tracing.exporter, 2)
      const p = spans.find((s) => s.attributes['url.path'] === '/p')?.attributes
      const q = spans.find((s) => s.attributes['url.path'] === '/q')?.attributes
      expect(p).toMatchObject({
        'client.address': '127.0.0.1',
        'url.scheme': 'http',
        'server.address': '127.0.0.1',
      })
      expect(q).toMatchObject({
        'client.address': '203.0.113.9',
        'url.scheme': 'https',
        'server.address': 'api.example.com',
        'server.port': 443,
      })
    } finally {
      await plain.close()
      await proxied.close()
    }
  })

  it('names spans with spanName, and falls back when it throws or returns nothing usable', async () => {
    const names = ['custom', '', new Error('boom')]
    let call = 0
    const app = await serve((_req, res) => res.end(), {
      spanName: ({ method, route }) => {
        const next = names[call++ % names.length]
        if (next instanceof Error) throw next
        return next === 'custom' ? `${method} custom ${String(route)}` : (next as string)
      },
    })
    try {
      await request(`${app.url}/1`)
      await request(`${app.url}/2`)
      await request(`${app.url}/3`)
      const spans = await waitForSpans(tracing.exporter, 3)
      expect(spans.map((s) => s.name).sort()).toEqual(['GET', 'GET', 'GET custom undefined'])
    } finally {
      await app.close()
    }
  })

  it('renames on setRoute and ignores repeated or late calls', async () => {
    const app = await serve((req, res) => {
      const requestTrace = getRequestTrace(req)
      expect(requestTrace.route).toBeUndefined()
      requestTrace.setRoute('/a/:b')
      requestTrace.setRoute('/a/:b')
      expect(requestTrace.route).toBe('/a/:b')
      res.end(() => requestTrace.setRoute('/too/late'))
    })
    try {
      await request(`${app.url}/a/1`)
      const [span] = await waitForSpans(tracing.exporter, 1)
      expect(span?.name).toBe('GET /a/:b')
      expect(span?.attributes['http.route']).toBe('/a/:b')
    } finally {
      await app.close()
    }
  })

  it('leaves url.query out when the query is empty and survives a raw request with odd input', async () => {
    const app = await serve((_req, res) => res.end('ok'))
    try {
      await request(`${app.url}/empty?`)
      // a raw HTTP/1.0 request without Host or User-Agent
      const port = (app.server.address() as AddressInfo).port
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () =>
          socket.write('GET /raw HTTP/1.0\r\n\r\n'),
        )
        let data = ''
        socket.on('data', (chunk) => (data += chunk.toString()))
        socket.on('end', () => resolve(data))
        socket.on('error', reject)
      })
      expect(raw).toMatch(/^HTTP\/1\.1 200/)
      const spans = await waitForSpans(tracing.exporter, 2)
      const empty = spans.find((s) => s.attributes['url.path'] === '/empty')?.attributes
      expect(empty?.['url.query']).toBeUndefined()
      const rawSpan = spans.find((s) => s.attributes['url.path'] === '/raw')?.attributes
      expect(rawSpan?.['network.protocol.version']).toBe('1.0')
      expect(rawSpan?.['server.address']).toBeUndefined()
      expect(rawSpan?.['user_agent.original']).toBeUndefined()
    } finally {
      await app.close()
    }
  })

  it('keeps only path and query of absolute-form and odd request targets', async () => {
    const app = await serve((_req, res) => res.end('ok'))
    try {
      const port = (app.server.address() as AddressInfo).port
      const raw = (target: string, method = 'GET'): Promise<string> =>
        new Promise<string>((resolve, reject) => {
          const socket = net.connect(port, '127.0.0.1', () =>
            socket.write(
              `${method} ${target} HTTP/1.1\r\nHost: shop.example.com\r\nConnection: close\r\n\r\n`,
            ),
          )
          let data = ''
          socket.on('data', (chunk) => (data += chunk.toString()))
          socket.on('end', () => resolve(data))
          socket.on('error', reject)
        })
      expect(await raw('http://shop.example.com/abs/path?q=1')).toMatch(/^HTTP\/1\.1 200/)
      expect(await raw('http://shop.example.com?only=query')).toMatch(/^HTTP\/1\.1 200/)
      expect(await raw('http://shop.example.com')).toMatch(/^HTTP\/1\.1 200/)
      expect(await raw('*', 'OPTIONS')).toMatch(/^HTTP\/1\.1 200/)
      const spans = await waitForSpans(tracing.exporter, 4)
      const targets = spans.map((s) => [s.attributes['url.path'], s.attributes['url.query']])
      expect(targets).toEqual([
        ['/abs/path', 'q=1'],
        ['/', 'only=query'],
        ['/', undefined],
        ['*', undefined],
      ])
    } finally {
      await app.close()
    }
  })

  it('captures allowlisted request and response headers as string arrays', async () => {
    const app = await serve(
      (_req, res) => {
        res.setHeader('x-request-id', 'abc')
        res.setHeader('content-length', 2)
        res.setHeader('x-multi', ['1', '2'])
        res.end('ok')
      },
      {
        captureHeaders: {
          request: ['X-Tenant', 'accept', 'x-missing'],
          response: ['x-request-id', 'content-length', 'x-multi', 'x-none'],
        },
      },
    )
    try {
      await request(`${app.url}/h`, { headers: { 'x-tenant': 'acme', accept: 'text/plain' } })
      const [span] = await waitForSpans(tracing.exporter, 1)
      expect(span?.attributes['http.request.header.x-tenant']).toEqual(['acme'])
      expect(span?.attributes['http.request.header.accept']).toEqual(['text/plain'])
      expect(span?.attributes['http.request.header.x-missing']).toBeUndefined()
      expect(span?.attributes['http.response.header.x-request-id']).toEqual(['abc'])
      expect(span?.attributes['http.response.header.content-length']).toEqual(['2'])
      expect(span?.attributes['http.response.header.x-multi']).toEqual(['1', '2'])
      expect(span?.attributes['http.response.header.x-none']).toBeUndefined()
    } finally {
      await app.close()
    }
  })
})
