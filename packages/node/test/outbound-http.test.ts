import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hasRequestCreatedChannel } from '../src/outbound-http.js'
import { runFixture } from './helpers/fixtures.js'
import type { PrintedSpan } from './helpers/printed-span.js'

// The fixture runs on the Node running these tests: through node:http's channels from 22.12,
// through instrumentation-http on Node 20.
const channels = hasRequestCreatedChannel(process.versions.node)
const TRACEPARENT_OF = (span: PrintedSpan): string => `00-${span.traceId}-${span.spanId}-03`

describe('hasRequestCreatedChannel', () => {
  it.each([
    ['20.19.0', false],
    ['22.11.0', false],
    ['22.12.0', true],
    ['22.15.1', true],
    ['23.1.0', false],
    ['23.2.0', true],
    ['24.0.0', true],
    ['26.1.0', true],
  ])('%s: %s', (version, expected) => {
    expect(hasRequestCreatedChannel(version)).toBe(expected)
  })
})

describe(`outgoing node:http and node:https on Node ${process.versions.node}`, () => {
  let spans: PrintedSpan[]
  let received: Record<string, string>[]
  let outcomes: Record<string, string>
  let patched: Record<string, boolean>
  let subscribed: { before: boolean; after: boolean }
  const tls = mkdtempSync(join(tmpdir(), 'tracehop-tls-'))
  afterAll(() => rmSync(tls, { recursive: true, force: true }))

  beforeAll(async () => {
    const [key, cert] = [join(tls, 'key.pem'), join(tls, 'cert.pem')]
    // a throwaway self-signed certificate for 127.0.0.1
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'],
        ...['-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'],
        ...['-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
      ],
      { stdio: 'ignore' },
    )
    const result = await runFixture('packages/node/test/fixtures/outbound-http-app.ts', {
      env: { TLS_KEY: key, TLS_CERT: cert, NODE_ENV: 'production' },
    })
    // Node 20 patches: the `get` taken before startTracing() goes around the patch, and is named
    expect(result.code).toBe(0)
    expect(result.stderr.split('\n').filter(Boolean)).toEqual(
      channels
        ? []
        : [
            expect.stringMatching(
              /^@tracehop\/node: an outgoing http request \(GET http:\/\/127\.0\.0\.1:\d+\/early\) was made inside a span but carried no trace context/,
            ),
          ],
    )
    ;({ spans, received, outcomes, patched, subscribed } = JSON.parse(result.stdout) as {
      spans: PrintedSpan[]
      received: Record<string, string>[]
      outcomes: Record<string, string>
      patched: Record<string, boolean>
      subscribed: { before: boolean; after: boolean }
    })
  })

  const byName = (name: string): PrintedSpan => spans.find((s) => s.name === name)!
  const clientsOf = (parent: string): PrintedSpan[] =>
    spans.filter((s) => s.kind === 'CLIENT' && s.parentSpanId === byName(parent).spanId)
  const onlyClientOf = (parent: string): PrintedSpan => {
    const clients = clientsOf(parent)
    expect(clients).toHaveLength(1)
    return clients[0]!
  }
  const receivedAt = (path: string): Record<string, string> =>
    received.find((r) => r.path === path)!

  if (channels) {
    it('does not patch node:http or node:https', () => {
      expect(patched).toEqual({
        'http.request': false,
        'http.get': false,
        'https.request': false,
        'https.get': false,
      })
    })

    it('unsubscribes from the channels on shutdown', () => {
      expect(subscribed).toEqual({ before: true, after: false })
    })
  } else {
    it('patches node:http through instrumentation-http (Node 20)', () => {
      expect(patched).toMatchObject({ 'http.request': true, 'http.get': true })
    })
  }

  it('records http.get as a CLIENT span and sends it as the parent', () => {
    expect(outcomes.get).toBe('status 200')
    const call = onlyClientOf('get')
    const port = call.attributes['server.port'] as number
    const expected = {
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': port,
      'url.full': `http://127.0.0.1:${port}/ok?token=REDACTED&page=2`,
      'http.response.status_code': 200,
    }
    // instrumentation-http adds network.* attributes of its own
    if (channels) expect(call.attributes).toEqual(expected)
    else expect(call.attributes).toMatchObject(expected)
    expect(call).toMatchObject({ name: 'GET', service: 'caller', status: { code: 0 } })
    expect(receivedAt('/ok?token=T1&page=2').traceparent).toBe(TRACEPARENT_OF(call))
  })

  it('records http.request with its method, and the body still arrives', () => {
    expect(outcomes.post).toBe('status 200')
    const call = onlyClientOf('post')
    expect(call.name).toBe('POST')
    expect(call.attributes['http.request.method']).toBe('POST')
    expect(receivedAt('/post')).toMatchObject({ method: 'POST', traceparent: TRACEPARENT_OF(call) })
  })

  it('traces a reference to http.get taken before tracing started only without the patch', () => {
    expect(outcomes.early).toBe('status 200')
    if (channels) {
      expect(receivedAt('/early').traceparent).toBe(TRACEPARENT_OF(onlyClientOf('early')))
    } else {
      // the patch replaces the module's property; a reference taken before it is the original
      expect(clientsOf('early')).toEqual([])
    }
  })

  it('records the absolute URL of a request made as to a forward proxy', () => {
    const call = onlyClientOf('proxied')
    const port = call.attributes['server.port'] as number
    expect(call.attributes['url.full']).toBe(`http://127.0.0.1:${port}/proxied?token=REDACTED`)
  })

  it.each(['ipv6', 'ipv6-fetch'])(
    'records an IPv6 host without brackets, in brackets in url.full (%s)',
    (name) => {
      const call = onlyClientOf(name)
      const port = call.attributes['server.port'] as number
      expect(call.attributes).toMatchObject({
        'server.address': '::1',
        'url.full': `http://[::1]:${port}/${name === 'ipv6' ? 'v6' : 'v6-fetch'}`,
        'http.response.status_code': 200,
      })
    },
  )

  it.each([
    ['missing', 404],
    ['boom', 500],
  ])('marks a %s (%i) response as an error with error.type', (name, status) => {
    const call = onlyClientOf(name)
    expect(call.attributes).toMatchObject({
      'http.response.status_code': status,
      'error.type': String(status),
    })
    expect(call.status.code).toBe(2)
  })

  it('marks a refused connection as an error with its code', () => {
    expect(outcomes.refused).toBe('request ECONNREFUSED')
    const call = onlyClientOf('refused')
    // instrumentation-http records the error's name
    expect(call.attributes['error.type']).toBe(channels ? 'ECONNREFUSED' : 'Error')
    expect(call.attributes['http.response.status_code']).toBeUndefined()
    expect(call.status.code).toBe(2)
  })

  it('gives a fetch() to a refused connection its CLIENT span, an error with the code', () => {
    expect(outcomes['refused-fetch']).toBe('rejected ECONNREFUSED')
    const call = onlyClientOf('refused-fetch')
    expect(call.attributes).toMatchObject({
      'http.request.method': 'GET',
      'error.type': 'ECONNREFUSED',
    })
    expect(call.attributes['http.response.status_code']).toBeUndefined()
    expect(call.status.code).toBe(2)
  })

  it('marks a response cut short as aborted', () => {
    expect(outcomes.cut).toMatch(/^response /)
    const call = onlyClientOf('cut')
    expect(call.attributes).toMatchObject({
      'http.response.status_code': 200,
      'error.type': 'aborted',
    })
    expect(call.status.code).toBe(2)
  })

  it('records https.get with the https scheme', () => {
    expect(outcomes.https).toBe('status 200')
    const call = onlyClientOf('https')
    const port = call.attributes['server.port'] as number
    expect(call.attributes['url.full']).toBe(`https://127.0.0.1:${port}/tls?sig=REDACTED`)
    expect(receivedAt('/tls?sig=T2').traceparent).toBe(TRACEPARENT_OF(call))
  })

  it('leaves a call alone when the caller set traceparent itself, or tracing is suppressed', () => {
    expect(clientsOf('manual')).toEqual([])
    expect(receivedAt('/manual').traceparent).toBe(
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    )
    expect(clientsOf('suppressed')).toEqual([])
    expect(receivedAt('/suppressed').traceparent).toBeUndefined()
  })

  it('starts a trace from a call made outside any span', () => {
    const root = spans.find((s) => s.kind === 'CLIENT' && s.parentSpanId === undefined)!
    expect(root.attributes['url.full']).toMatch(/\/root$/)
    expect(receivedAt('/root').traceparent).toBe(TRACEPARENT_OF(root))
  })

  // instrumentation-http records with the main tracer provider only
  ;(channels ? it : it.skip)('attributes a call to the service whose span made it', () => {
    expect(onlyClientOf('orders-work').service).toBe('orders')
  })
})
