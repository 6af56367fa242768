// Property-based tests: whatever arrives in the headers, extraction never throws, and injection
// from a child span always produces a well-formed traceparent that agrees with an independent,
// regex-based reading of the W3C grammar.
import {
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Context,
  type TextMapPropagator,
} from '@opentelemetry/api'
import { TracerProvider as BasicTracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace'
import fc from 'fast-check'
import {
  B3Propagator,
  createPropagator,
  JaegerPropagator,
  TraceContextPropagator,
  W3CBaggagePropagator,
  W3CTraceState,
} from '../../src/index.js'

const RUNS = { numRuns: 10_000 }
// Generous: 10,000 runs under coverage instrumentation on a busy machine.
const TIMEOUT = 120_000

const provider = new BasicTracerProvider()
const tracer = provider.getTracer('properties')
afterAll(() => provider.shutdown())

/** Extracts, starts a child span the way a service would, and injects from it. */
function hop(
  propagator: TextMapPropagator,
  carrier: unknown,
): { headers: Record<string, string>; parent: Context; span: ReadableSpan } {
  const parent = propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter)
  const span = tracer.startSpan('hop', {}, parent)
  const headers: Record<string, string> = {}
  propagator.inject(trace.setSpan(parent, span), headers, defaultTextMapSetter)
  span.end()
  return { headers, parent, span: span as unknown as ReadableSpan }
}

// ---- independent reading of the traceparent grammar (a regex is fine in a test) ----

const SHAPE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/
const GRAMMAR = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[^]*)?$/

function oracle(value: unknown): { traceId: string; spanId: string; flags: number } | undefined {
  if (Array.isArray(value)) value = value.length === 1 ? value[0] : undefined
  if (typeof value !== 'string') return undefined
  const match = GRAMMAR.exec(value.replace(/^[ \t]+|[ \t]+$/g, ''))
  if (match === null) return undefined
  const [, version, traceId, spanId, flags, rest] = match
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined
  // a comma means two joined header lines, whatever the version
  if (rest?.includes(',')) return undefined
  if (/^0+$/.test(traceId!) || /^0+$/.test(spanId!)) return undefined
  return { traceId: traceId!, spanId: spanId!, flags: parseInt(flags!, 16) }
}

// ---- generators ----

const chars = (s: string): fc.Arbitrary<string> => fc.constantFrom(...s.split(''))
const LOWER_HEX = '0123456789abcdef'
const NEAR_HEX = '0123456789abcdefABCDEF.g-x '
const ows = fc.string({ unit: chars(' \t'), maxLength: 3 })

const field = (length: number): fc.Arbitrary<string> =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc.string({ unit: chars(LOWER_HEX), minLength: length, maxLength: length }),
    },
    { weight: 1, arbitrary: fc.constant('0'.repeat(length)) },
    {
      weight: 2,
      arbitrary: fc.string({ unit: chars(NEAR_HEX), minLength: length - 1, maxLength: length + 1 }),
    },
  )

const hex = (length: number): fc.Arbitrary<string> =>
  fc.string({ unit: chars(LOWER_HEX), minLength: length, maxLength: length })

// Well-formed values (any version, flags and suffix), some of which the rules still reject.
const wellFormedTraceparent: fc.Arbitrary<string> = fc
  .tuple(
    ows,
    fc.constantFrom('00', 'cc', '01', 'ff'),
    hex(32),
    hex(16),
    hex(2),
    fc.constantFrom('', '', '', '-extra', '-'),
    ows,
  )
  .map(([lead, version, traceId, spanId, flags, suffix, trail]) =>
    [lead, `${version}-${traceId}-${spanId}-${flags}${suffix}`, trail].join(''),
  )

// Near misses: each part may be off by a character, a case or a separator.
const mutatedTraceparent: fc.Arbitrary<string> = fc
  .tuple(
    ows,
    fc.oneof(fc.constantFrom('00', '00', '00', 'cc', 'ff', '01', 'fe'), field(2)),
    fc.constantFrom('-', '-', '-', '-', '.', ''),
    field(32),
    fc.constantFrom('-', '-', '-', '-', '_'),
    field(16),
    fc.constantFrom('-', '-', '-', '-', ' '),
    field(2),
    fc.oneof(
      { weight: 6, arbitrary: fc.constant('') },
      { weight: 1, arbitrary: fc.constantFrom('-extra', '.extra', ', 00-x', '-', 'x') },
      { weight: 1, arbitrary: fc.string() },
    ),
    ows,
  )
  .map((parts) => parts.join(''))

const traceparentLike: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: wellFormedTraceparent },
  { weight: 2, arbitrary: mutatedTraceparent },
)

const casing = (name: string): fc.Arbitrary<string> =>
  fc
    .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
    .map((upper) => name.replace(/./g, (c, i: number) => (upper[i] ? c.toUpperCase() : c)))

const KEY_START = 'abcdefghijklmnopqrstuvwxyz0123456789'
const KEY_CHARS = `${KEY_START}_-*/@`
let VALUE_CHARS = ''
for (let c = 0x20; c <= 0x7e; c++)
  if (c !== 0x2c && c !== 0x3d) VALUE_CHARS += String.fromCharCode(c)

const tsKey = fc
  .tuple(chars(KEY_START), fc.string({ unit: chars(KEY_CHARS), maxLength: 24 }))
  .map(([first, rest]) => first + rest)
const tsValue = fc
  .string({ unit: chars(VALUE_CHARS), minLength: 1, maxLength: 24 })
  .filter((value) => !value.endsWith(' '))
const tsMembers = fc.uniqueArray(fc.tuple(tsKey, tsValue), {
  selector: ([key]) => key,
  minLength: 1,
  maxLength: 32,
})

const headerValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  traceparentLike,
  fc.array(fc.oneof(fc.string(), traceparentLike), { maxLength: 3 }),
  fc.anything(),
)

const HEADER_NAMES = [
  'traceparent',
  'TraceParent',
  'tracestate',
  'TRACESTATE',
  'baggage',
  'b3',
  'x-b3-traceid',
  'X-B3-SpanId',
  'x-b3-sampled',
  'x-b3-flags',
  'uber-trace-id',
  'uberctx-user',
  'UberCtx-x',
]

const carrier: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.dictionary(fc.oneof(fc.constantFrom(...HEADER_NAMES), fc.string()), headerValue),
  },
  { weight: 1, arbitrary: fc.anything() },
)

const everything = createPropagator('tracecontext,baggage,b3,b3multi,jaeger', {
  randomTraceIds: true,
})

// ---- properties ----

// Plain checks inside properties: jest's expect costs more than the code under test here.
function check(condition: boolean, what: string, input?: unknown): void {
  if (!condition) throw new Error(`${what}: ${JSON.stringify(input)}`)
}

const B3_SINGLE = /^[0-9a-f]{32}-[0-9a-f]{16}-[01d]$/
const UBER = /^([0-9a-f]{32}):([0-9a-f]{16}):0:[0-3]$/

const b3Like: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(field(32), field(16)),
    fc.constantFrom('-', '-', '-', '_'),
    field(16),
    fc.constantFrom('', '-1', '-0', '-d', '-x', '-true'),
    fc.constantFrom('', '', `-${'05e3ac9a4f6e3b90'}`, '-zz'),
  )
  .map((parts) => parts.join(''))

const uberLike: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      field(32),
      field(16),
      fc.string({ unit: chars(LOWER_HEX), minLength: 1, maxLength: 5 }),
    ),
    fc.constantFrom(':', ':', '%3A', '%3a', '%', '::'),
    field(16),
    fc.constantFrom(':0:', '%3A0%3A', ':'),
    fc.constantFrom('1', '0', '3', '01', 'zz', '', '%'),
  )
  .map((parts) => parts.join(''))

describe('properties (10,000 runs each)', () => {
  it(
    'extract never throws, whatever the carrier',
    () => {
      const propagators: TextMapPropagator[] = [
        new TraceContextPropagator(),
        new W3CBaggagePropagator(),
        new B3Propagator(),
        new JaegerPropagator(),
        everything,
      ]
      let extracted = 0
      fc.assert(
        fc.property(carrier, (input) => {
          for (const propagator of propagators) {
            if (propagator.extract(ROOT_CONTEXT, input, defaultTextMapGetter) !== ROOT_CONTEXT) {
              extracted++
            }
          }
        }),
        RUNS,
      )
      // The generators reach the parsing paths, not only the early exits.
      expect(extracted).toBeGreaterThan(500)
    },
    TIMEOUT,
  )

  it(
    'inject after extract always emits a valid traceparent that agrees with the grammar',
    () => {
      const random = new TraceContextPropagator({ randomTraceIds: true })
      let continued = 0
      fc.assert(
        fc.property(
          casing('traceparent'),
          fc.oneof(
            { weight: 3, arbitrary: traceparentLike },
            { weight: 1, arbitrary: fc.array(traceparentLike, { minLength: 1, maxLength: 2 }) },
          ),
          fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
          (name, value, noise) => {
            const { headers, parent, span } = hop(random, { ...noise, [name]: value })
            const remote = trace.getSpanContext(parent)
            const match = SHAPE.exec(headers.traceparent ?? '')
            check(match !== null, 'malformed traceparent', headers)
            const [, traceId, spanId, flags] = match!
            check(!/^0+$/.test(traceId!) && !/^0+$/.test(spanId!), 'zero id', headers)
            check(spanId === span.spanContext().spanId, 'parent-id is not the child span', headers)
            const expected = oracle(value)
            if (expected === undefined) {
              // Restarted: a fresh trace, sampled by the SDK, random flag from randomTraceIds.
              check(remote === undefined, 'accepted an invalid traceparent', value)
              check(flags === '03', 'flags of a new trace', headers)
            } else {
              continued++
              check(traceId === expected.traceId, 'trace id not continued', value)
              check(remote?.spanId === expected.spanId, 'remote parent not extracted', value)
              check(spanId !== expected.spanId, 'incoming parent-id reused', value)
              check(parseInt(flags!, 16) === (expected.flags & 0x03), 'flags not kept', value)
            }
          },
        ),
        RUNS,
      )
      expect(continued).toBeGreaterThan(500)
    },
    TIMEOUT,
  )

  it(
    'tracestate keeps valid members and their order, over one or several lines',
    () => {
      const propagator = new TraceContextPropagator()
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
      fc.assert(
        fc.property(
          tsMembers,
          ows,
          ows,
          fc.integer({ min: 1, max: 4 }),
          (members, before, after, lines) => {
            const parts = members.map(([key, value]) => `${before}${key}=${value}${after}`)
            const size = Math.ceil(parts.length / lines)
            const header: string[] = []
            for (let i = 0; i < parts.length; i += size) {
              header.push(parts.slice(i, i + size).join(','))
            }
            const { headers, parent } = hop(propagator, { traceparent, tracestate: header })
            const state = trace.getSpanContext(parent)?.traceState as W3CTraceState
            const canonical = members.map(([key, value]) => `${key}=${value}`).join(',')
            const parsed = [...state.entries()].map(([key, value]) => `${key}=${value}`).join(',')
            check(parsed === canonical, 'members or order changed', header)
            if (canonical.length <= 512) {
              check(headers.tracestate === canonical, 'tracestate not propagated as is', header)
            } else {
              // Truncated from the right only (no entry here is over 128 characters).
              check(headers.tracestate!.length <= 512, 'over 512', header)
              check(canonical.startsWith(`${headers.tracestate!},`), 'not a prefix', header)
            }
          },
        ),
        RUNS,
      )
    },
    TIMEOUT,
  )

  it(
    'tracestate parsing never throws and its serialization reads back the same',
    () => {
      const tracestateLike = fc.oneof(
        fc.string(),
        tsMembers.map((members) => members.map(([key, value]) => `${key}=${value}`).join(',')),
        fc
          .array(
            fc.oneof(
              fc.tuple(tsKey, tsValue).map(([k, v]) => `${k}=${v}`),
              fc.string({ maxLength: 6 }),
            ),
            { maxLength: 40 },
          )
          .map((parts) => parts.join(',')),
      )
      fc.assert(
        fc.property(tracestateLike, (header) => {
          const state = W3CTraceState.parse(header)
          if (state === undefined) return
          const serialized = state.serialize()
          check(serialized.length <= 512, 'over 512', header)
          check(W3CTraceState.parse(serialized)?.serialize() === serialized, 'not stable', header)
        }),
        RUNS,
      )
    },
    TIMEOUT,
  )

  it(
    'baggage round-trips any well-formed value, beside junk that never throws',
    () => {
      const propagator = new W3CBaggagePropagator()
      const token = fc.string({
        unit: chars("abcXYZ019!#$%&'*+-.^_`|~"),
        minLength: 1,
        maxLength: 12,
      })
      const wellFormed = fc
        .string({ unit: 'binary', maxLength: 20 })
        .filter(
          (value) =>
            !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value),
        )
      fc.assert(
        fc.property(
          fc.dictionary(token, wellFormed, { minKeys: 1, maxKeys: 8 }),
          fc.string(),
          (entries, junk) => {
            const baggage = propagation.createBaggage(
              Object.fromEntries(Object.entries(entries).map(([k, value]) => [k, { value }])),
            )
            const out: Record<string, string> = {}
            propagator.inject(
              propagation.setBaggage(ROOT_CONTEXT, baggage),
              out,
              defaultTextMapSetter,
            )
            // Junk first: a later member with the same key wins, so ours must survive it.
            const back = propagator.extract(
              ROOT_CONTEXT,
              { baggage: [junk, out.baggage!] },
              defaultTextMapGetter,
            )
            for (const [key, value] of Object.entries(entries)) {
              const got = propagation.getBaggage(back)?.getEntry(key)?.value
              check(got === value, `value of ${key} changed`, { entries, junk, got })
            }
          },
        ),
        RUNS,
      )
    },
    TIMEOUT,
  )

  it(
    'B3 and Jaeger never throw, and always inject well-formed headers',
    () => {
      const b3 = new B3Propagator()
      const b3multi = new B3Propagator({ inject: 'multi' })
      const jaeger = new JaegerPropagator()
      let continued = 0
      fc.assert(
        fc.property(
          fc.record({
            b3: fc.oneof(b3Like, fc.string()),
            'x-b3-traceid': fc.oneof(field(32), field(16), fc.string()),
            'x-b3-spanid': fc.oneof(field(16), fc.string()),
            'x-b3-sampled': fc.constantFrom('1', '0', 'true', 'false', 'x', ''),
            'x-b3-flags': fc.constantFrom('1', '0', ''),
            'uber-trace-id': fc.oneof(uberLike, fc.string()),
            'uberctx-k': fc.oneof(fc.string(), fc.string({ unit: 'binary' })),
          }),
          (headers) => {
            const single = hop(b3, headers)
            check(B3_SINGLE.test(single.headers.b3!), 'malformed b3', single.headers)
            const incoming = trace.getSpanContext(single.parent)
            if (incoming !== undefined) {
              continued++
              check(single.headers.b3!.startsWith(`${incoming.traceId}-`), 'b3 trace lost', headers)
              check(!single.headers.b3!.includes(`-${incoming.spanId}-`), 'span id reused', headers)
            }
            const multi = hop(b3multi, headers).headers
            check(/^[0-9a-f]{32}$/.test(multi['x-b3-traceid']!), 'malformed x-b3-traceid', multi)
            check(/^[0-9a-f]{16}$/.test(multi['x-b3-spanid']!), 'malformed x-b3-spanid', multi)
            const uber = hop(jaeger, headers)
            const match = UBER.exec(uber.headers['uber-trace-id']!)
            check(match !== null, 'malformed uber-trace-id', uber.headers)
            const remote = trace.getSpanContext(uber.parent)
            if (remote !== undefined) {
              check(match![1] === remote.traceId, 'jaeger trace lost', headers)
              check(match![2] !== remote.spanId, 'jaeger span id reused', headers)
            }
          },
        ),
        RUNS,
      )
      expect(continued).toBeGreaterThan(500)
    },
    TIMEOUT,
  )
})
