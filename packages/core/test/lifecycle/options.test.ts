import { trace } from '@opentelemetry/api'
import { createRequestLifecycle, reportLostContext, type TraceOptions } from '../../src/index.js'
import { resetLostContextReports } from '../../src/diagnostics.js'
import { normalizeOptions } from '../../src/options.js'
import { captureDiag } from '../support/diag.js'

const OWNER = '@tracehop/express'

function make(options: unknown): unknown {
  return createRequestLifecycle(options as TraceOptions, OWNER)
}

describe('option validation', () => {
  it.each([
    [42, '@tracehop/express: options must be an object; received 42'],
    [[], '@tracehop/express: options must be an object; received an array of length 0'],
    [
      { trust: 'yes' },
      `${OWNER}: option "trust" must be 'continue', 'link', 'ignore' or a function; received "yes"`,
    ],
    [
      { trust: null },
      `${OWNER}: option "trust" must be 'continue', 'link', 'ignore' or a function; received null`,
    ],
    [
      { ignore: 42 },
      `${OWNER}: option "ignore" must be a string, a RegExp or a function (or an array of them); received 42`,
    ],
    [
      { ignore: ['/ok', { path: '/x' }] },
      `${OWNER}: option "ignore[1]" must be a string, a RegExp or a function (or an array of them); received {"path":"/x"}`,
    ],
    [
      { baggage: 'keep' },
      `${OWNER}: option "baggage" must be 'accept', 'drop' or { allow: string[] }; received "keep"`,
    ],
    [
      { baggage: { allow: [1] } },
      `${OWNER}: option "baggage" must be 'accept', 'drop' or { allow: string[] }; received {"allow":[1]}`,
    ],
    [{ spanName: 'GET' }, `${OWNER}: option "spanName" must be a function; received "GET"`],
    [{ requestHook: {} }, `${OWNER}: option "requestHook" must be a function; received {}`],
    [{ responseHook: true }, `${OWNER}: option "responseHook" must be a function; received true`],
    [{ isError: 500 }, `${OWNER}: option "isError" must be a function; received 500`],
    [
      { captureHeaders: ['x-a'] },
      `${OWNER}: option "captureHeaders" must be an object { request?: string[], response?: string[] }; received an array of length 1`,
    ],
    [
      { captureHeaders: { request: 'x-a' } },
      `${OWNER}: option "captureHeaders.request" must be an array of header names; received "x-a"`,
    ],
    [
      { captureHeaders: { response: ['ok', 'bad header'] } },
      `${OWNER}: option "captureHeaders.response[1]" must be a header name; received "bad header"`,
    ],
    [
      { redactHeaders: [''] },
      `${OWNER}: option "redactHeaders[0]" must be a header name; received ""`,
    ],
    [
      { redactQueryParams: 'token' },
      `${OWNER}: option "redactQueryParams" must be an array of query parameter names; received "token"`,
    ],
    [{ metrics: 'yes' }, `${OWNER}: option "metrics" must be a boolean; received "yes"`],
    [
      { metrics: { activeRequests: 'yes' } },
      `${OWNER}: option "metrics.activeRequests" must be a boolean; received "yes"`,
    ],
    [
      { metrics: { duration: 0 } },
      `${OWNER}: option "metrics.duration" must be a boolean; received 0`,
    ],
    [
      { metrics: { activeRequest: true } },
      `${OWNER}: option "metrics" must be a boolean or an object { duration?: boolean, activeRequests?: boolean }; received {"activeRequest":true}`,
    ],
    [
      { metrics: [true] },
      `${OWNER}: option "metrics" must be a boolean or an object { duration?: boolean, activeRequests?: boolean }; received an array of length 1`,
    ],
    [
      { lostContextDiagnostics: 1 },
      `${OWNER}: option "lostContextDiagnostics" must be a boolean; received 1`,
    ],
    [{ trustProxy: 'true' }, `${OWNER}: option "trustProxy" must be a boolean; received "true"`],
    [
      { tracerProvider: {} },
      `${OWNER}: option "tracerProvider" must be a TracerProvider (an object with getTracer()); received {}`,
    ],
    [
      { meterProvider: 'm' },
      `${OWNER}: option "meterProvider" must be a MeterProvider (an object with getMeter()); received "m"`,
    ],
    [
      { propagator: { extract() {} } },
      `${OWNER}: option "propagator" must be a TextMapPropagator (extract(), inject() and fields()); received {}`,
    ],
    [
      { ignore: Symbol('x') },
      `${OWNER}: option "ignore" must be a string, a RegExp or a function (or an array of them); received Symbol(x)`,
    ],
    [{ spanName: 10n }, `${OWNER}: option "spanName" must be a function; received 10`],
    [
      { ignore: [undefined] },
      `${OWNER}: option "ignore[0]" must be a string, a RegExp or a function (or an array of them); received undefined`,
    ],
    [
      { captureHeaders: () => ['x'] },
      `${OWNER}: option "captureHeaders" must be an object { request?: string[], response?: string[] }; received a function`,
    ],
  ])('rejects %p', (options, message) => {
    expect(() => make(options)).toThrow(new TypeError(message))
  })

  it('describes long and circular values briefly', () => {
    const circular: Record<string, unknown> = {}
    circular.self = circular
    expect(() => make({ baggage: circular })).toThrow(
      new TypeError(
        `${OWNER}: option "baggage" must be 'accept', 'drop' or { allow: string[] }; received an object`,
      ),
    )
    expect(() => make({ trust: 'x'.repeat(100) })).toThrow(/received "x{76}\.\.\.$/)
    expect(() => make({ trust: /re/ })).toThrow(/received \/re\/$/)
    expect(() =>
      make({ requestHook: undefined, trust: () => 'continue', isError: () => false }),
    ).not.toThrow()
  })

  it('normalises once into a frozen object with defaults', () => {
    const normalized = normalizeOptions(undefined, OWNER)
    expect(Object.isFrozen(normalized)).toBe(true)
    expect(normalized).toMatchObject({
      owner: OWNER,
      ignore: undefined,
      trust: 'continue',
      baggageAllow: undefined,
      metrics: true,
      durationMetric: true,
      activeRequestsMetric: false,
      trustProxy: false,
      requestHeaders: [],
      responseHeaders: [],
    })
    const custom = normalizeOptions(
      {
        baggage: 'drop',
        captureHeaders: { request: ['Authorization', 'X-Tenant', 'x-tenant'] },
        redactHeaders: ['X-Tenant'],
      },
      OWNER,
    )
    expect(custom.baggageAllow?.size).toBe(0)
    expect(custom.requestHeaders).toEqual([
      { name: 'authorization', key: 'http.request.header.authorization', redact: true },
      { name: 'x-tenant', key: 'http.request.header.x-tenant', redact: true },
    ])
  })

  it('turns lost-context diagnostics on outside production by default', () => {
    const previous = process.env.NODE_ENV
    try {
      process.env.NODE_ENV = 'production'
      expect(createRequestLifecycle(undefined, OWNER).diagnostics).toBe(false)
      expect(createRequestLifecycle({ lostContextDiagnostics: true }, OWNER).diagnostics).toBe(true)
      process.env.NODE_ENV = 'test'
      expect(createRequestLifecycle(undefined, OWNER).diagnostics).toBe(true)
      expect(createRequestLifecycle({ lostContextDiagnostics: false }, OWNER).diagnostics).toBe(
        false,
      )
    } finally {
      process.env.NODE_ENV = previous
    }
  })

  it('accepts real providers', () => {
    expect(() => make({ tracerProvider: trace.getTracerProvider() })).not.toThrow()
  })
})

describe('reportLostContext', () => {
  let logged: ReturnType<typeof captureDiag>
  beforeEach(() => {
    resetLostContextReports()
    logged = captureDiag()
  })
  afterEach(() => logged.restore())

  it('warns once per owner and layer', () => {
    expect(reportLostContext('@tracehop/express', 'layer "session"')).toBe(true)
    expect(reportLostContext('@tracehop/express', 'layer "session"')).toBe(false)
    expect(reportLostContext('@tracehop/fastify', 'layer "session"')).toBe(true)
    expect(reportLostContext('@tracehop/express', 'layer "multer"', 'layer "legacyAuth"')).toBe(
      true,
    )
    expect(logged.messages).toHaveLength(3)
    expect(logged.messages[0]).toBe(
      `warn @tracehop/express: layer "session" was entered outside its request's context; a step before it continued from a callback that lost AsyncLocalStorage (a callback pool, an emitter or a stream created outside the request). tracehop re-entered the request's context. Reported once per layer.`,
    )
    expect(logged.messages[2]).toContain(
      '; the step that ran before it, layer "legacyAuth", continued from',
    )
  })

  it('stops remembering new layers after a bound', () => {
    for (let i = 0; i < 1000; i++) reportLostContext('@tracehop/express', `layer-${i}`)
    expect(reportLostContext('@tracehop/express', 'one-too-many')).toBe(false)
    expect(logged.messages).toHaveLength(1000)
  })
})
