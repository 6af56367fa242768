// Every row of shared/CONFORMANCE.md, run end to end over real sockets: a client sends raw
// headers to a test service, which extracts, starts a SERVER span with the real SDK and makes
// three outgoing calls; the assertions read what the downstream server received.
import { context, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  TracerProvider as BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace'
import { TraceContextPropagator } from '../../src/index.js'
import {
  OUTGOING_CALLS,
  splitTraceparent,
  startHarness,
  TRACEPARENT_SHAPE,
  type HopResult,
  type RawHeaders,
} from './harness.js'

const TRACE_ID = '12345678901234567890123456789012'
const PARENT_ID = '1234567890123456'
const VALID = `00-${TRACE_ID}-${PARENT_ID}-01`
const ZERO_TRACE_ID = '0'.repeat(32)
const ZERO_PARENT_ID = '0'.repeat(16)

interface Expectation {
  /** `continue` keeps the incoming trace id; `restart` means a fresh one. */
  readonly trace: 'continue' | 'restart'
  /** Flags on every outgoing traceparent. */
  readonly flags: string
  /** The outgoing tracestate, or `undefined` when none must be sent. */
  readonly tracestate?: string
}

const exporter = new InMemorySpanExporter()
const provider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor({ exporter })],
})
let harness: Awaited<ReturnType<typeof startHarness>>
let plainHarness: Awaited<ReturnType<typeof startHarness>>

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  // The SDK's RandomIdGenerator is random, so traces started here carry the random flag.
  harness = await startHarness(new TraceContextPropagator({ randomTraceIds: true }), provider)
  plainHarness = await startHarness(new TraceContextPropagator(), provider)
})

afterEach(() => exporter.reset())

afterAll(async () => {
  await harness.close()
  await plainHarness.close()
  await provider.shutdown()
  context.disable()
  trace.disable()
  propagation.disable()
})

/** Asserts everything CONFORMANCE.md asks of the three outgoing calls; returns their trace id. */
function expectConforming(result: HopResult, expected: Expectation): string {
  expect(result.status).toBe(200)
  expect(result.calls).toHaveLength(OUTGOING_CALLS)
  const sent = result.calls.map((call) => {
    const lines = call.values('traceparent')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(TRACEPARENT_SHAPE)
    return splitTraceparent(lines[0]!)
  })
  const traceId = sent[0]!.traceId
  for (const hop of sent) {
    expect(hop.traceId).toBe(traceId)
    expect(hop.traceId).not.toBe(ZERO_TRACE_ID)
    expect(hop.parentId).not.toBe(ZERO_PARENT_ID)
    expect(hop.parentId).not.toBe(PARENT_ID)
    expect(hop.flags).toBe(expected.flags)
  }
  // A new parent-id per call: each outgoing call names its own CLIENT span.
  expect(new Set(sent.map((hop) => hop.parentId)).size).toBe(OUTGOING_CALLS)
  expect(sent.map((hop) => hop.parentId)).toEqual(result.clientSpans.map((span) => span.spanId))
  if (expected.trace === 'continue') {
    expect(traceId).toBe(TRACE_ID)
    expect(result.serverParent).toMatchObject({ traceId: TRACE_ID, spanId: PARENT_ID })
  } else {
    expect(traceId).not.toBe(TRACE_ID)
    expect(result.serverParent).toBeUndefined()
  }
  expect(result.serverSpan?.traceId).toBe(traceId)
  for (const call of result.calls) {
    expect(call.values('tracestate')).toEqual(
      expected.tracestate === undefined ? [] : [expected.tracestate],
    )
  }
  return traceId
}

const restart: Expectation = { trace: 'restart', flags: '03' }
const continued: Expectation = { trace: 'continue', flags: '01' }

describe('traceparent (CONFORMANCE.md "traceparent cases")', () => {
  const rows: ReadonlyArray<readonly [string, RawHeaders, Expectation]> = [
    ['missing', [], restart],
    [
      'two identical traceparent headers',
      [
        ['traceparent', VALID],
        ['traceparent', VALID],
      ],
      restart,
    ],
    [
      'two different traceparent headers',
      [
        ['traceparent', VALID],
        ['traceparent', `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`],
      ],
      restart,
    ],
    ['header named trace-parent', [['trace-parent', VALID]], restart],
    ['header named trace.parent', [['trace.parent', VALID]], restart],
    ['header named TraceParent', [['TraceParent', VALID]], continued],
    ['header named TRACEPARENT', [['TRACEPARENT', VALID]], continued],
    ['header named tRaCePaReNt', [['tRaCePaReNt', VALID]], continued],
    ['version 00 followed by "."', [['traceparent', `${VALID}.`]], restart],
    [
      'version 00 followed by -extra',
      [['traceparent', `${VALID}-what-the-future-will-be-like`]],
      restart,
    ],
    ['future version cc', [['traceparent', `cc-${TRACE_ID}-${PARENT_ID}-01`]], continued],
    [
      'future version cc followed by -extra',
      [['traceparent', `cc-${TRACE_ID}-${PARENT_ID}-01-what-the-future-will-be-like`]],
      continued,
    ],
    [
      'future version cc followed by .extra (bad separator)',
      [['traceparent', `cc-${TRACE_ID}-${PARENT_ID}-01.what-the-future-will-be-like`]],
      restart,
    ],
    ['version ff', [['traceparent', `ff-${TRACE_ID}-${PARENT_ID}-01`]], restart],
    ['version ".0"', [['traceparent', `.0-${TRACE_ID}-${PARENT_ID}-01`]], restart],
    ['version "0."', [['traceparent', `0.-${TRACE_ID}-${PARENT_ID}-01`]], restart],
    ['version "0g"', [['traceparent', `0g-${TRACE_ID}-${PARENT_ID}-01`]], restart],
    ['version uppercase "CC"', [['traceparent', `CC-${TRACE_ID}-${PARENT_ID}-01`]], restart],
    ['version of 1 character', [['traceparent', `0-${TRACE_ID}-${PARENT_ID}-01`]], restart],
    ['version of 3 characters', [['traceparent', `000-${TRACE_ID}-${PARENT_ID}-01`]], restart],
    ['version of 4 characters', [['traceparent', `0000-${TRACE_ID}-${PARENT_ID}-01`]], restart],
    ['trace-id all zero', [['traceparent', `00-${ZERO_TRACE_ID}-${PARENT_ID}-01`]], restart],
    [
      'trace-id of 31 characters',
      [['traceparent', `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`]],
      restart,
    ],
    ['trace-id of 33 characters', [['traceparent', `00-${TRACE_ID}0-${PARENT_ID}-01`]], restart],
    [
      'trace-id with a non-hex character',
      [['traceparent', `00-${TRACE_ID.slice(0, 31)}.-${PARENT_ID}-01`]],
      restart,
    ],
    [
      'trace-id with uppercase hex',
      [['traceparent', `00-4BF92F3577B34DA6A3CE929D0E0E4736-${PARENT_ID}-01`]],
      restart,
    ],
    ['parent-id all zero', [['traceparent', `00-${TRACE_ID}-${ZERO_PARENT_ID}-01`]], restart],
    [
      'parent-id of 15 characters',
      [['traceparent', `00-${TRACE_ID}-${PARENT_ID.slice(1)}-01`]],
      restart,
    ],
    ['parent-id of 17 characters', [['traceparent', `00-${TRACE_ID}-${PARENT_ID}0-01`]], restart],
    [
      'parent-id with a non-hex character',
      [['traceparent', `00-${TRACE_ID}-${PARENT_ID.slice(0, 15)}.-01`]],
      restart,
    ],
    [
      'parent-id with uppercase hex',
      [['traceparent', `00-${TRACE_ID}-00F067AA0BA902B7-01`]],
      restart,
    ],
    ['flags ".0"', [['traceparent', `00-${TRACE_ID}-${PARENT_ID}-.0`]], restart],
    ['flags "0."', [['traceparent', `00-${TRACE_ID}-${PARENT_ID}-0.`]], restart],
    ['flags "1" (too short)', [['traceparent', `00-${TRACE_ID}-${PARENT_ID}-1`]], restart],
    ['flags "001" (too long)', [['traceparent', `00-${TRACE_ID}-${PARENT_ID}-001`]], restart],
    ['flags uppercase "0A"', [['traceparent', `00-${TRACE_ID}-${PARENT_ID}-0A`]], restart],
    ['leading spaces', [['traceparent', `   ${VALID}`]], continued],
    ['trailing spaces', [['traceparent', `${VALID}   `]], continued],
    ['leading and trailing tabs', [['traceparent', `\t${VALID}\t`]], continued],
    ['mixed spaces and tabs around', [['traceparent', ` \t ${VALID} \t `]], continued],
    [
      'not sampled',
      [['traceparent', `00-${TRACE_ID}-${PARENT_ID}-00`]],
      { ...continued, flags: '00' },
    ],
    [
      'random flag, sampled (Level 2)',
      [['traceparent', `00-${TRACE_ID}-${PARENT_ID}-03`]],
      { ...continued, flags: '03' },
    ],
    [
      'random flag, not sampled',
      [['traceparent', `00-${TRACE_ID}-${PARENT_ID}-02`]],
      { ...continued, flags: '02' },
    ],
    [
      'unknown flag bits are not passed on',
      [['traceparent', `00-${TRACE_ID}-${PARENT_ID}-ff`]],
      { ...continued, flags: '03' },
    ],
    [
      'future version with the random flag',
      [['traceparent', `cc-${TRACE_ID}-${PARENT_ID}-03-extra`]],
      { ...continued, flags: '03' },
    ],
  ]

  it.each(rows)('%s', async (_name, headers, expected) => {
    expectConforming(await harness.send(headers), expected)
  })

  it.each([
    [
      'two traceparent values',
      [
        ['traceparent', VALID],
        ['traceparent', VALID],
      ],
      restart,
    ],
    ['TraceParent', [['TraceParent', VALID]], continued],
    [
      'two tracestate values',
      [
        ['traceparent', VALID],
        ['tracestate', 'foo=1'],
        ['tracestate', 'bar=2'],
      ],
      { ...continued, tracestate: 'foo=1,bar=2' },
    ],
  ] as const)('%s sent through setHeader()', async (_name, headers, expected) => {
    expectConforming(await harness.send(headers, 'setHeader'), expected)
  })

  it('restarts with a fresh random trace id every time', async () => {
    const ids = new Set<string>()
    for (let i = 0; i < 5; i++) {
      ids.add(expectConforming(await harness.send([['traceparent', 'garbage']]), restart))
    }
    expect(ids.size).toBe(5)
  })

  it('without randomTraceIds, a new trace goes out without the random flag', async () => {
    expectConforming(await plainHarness.send([]), { trace: 'restart', flags: '01' })
  })

  it('without randomTraceIds, a continued trace still keeps the incoming random flag', async () => {
    const result = await plainHarness.send([['traceparent', `00-${TRACE_ID}-${PARENT_ID}-03`]])
    expectConforming(result, { ...continued, flags: '03' })
  })

  it('with randomTraceIds, a continued trace without the random flag does not gain it', async () => {
    const result = await harness.send([['traceparent', VALID]])
    expectConforming(result, continued)
  })
})

// Every character the grammar allows, as the W3C suite's "all allowed characters" test.
const KEY_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/'
const VENDOR_KEY = `${KEY_CHARS}@a-z0-9_-*/`
const VALUE_CHARS = (() => {
  let s = ''
  for (let c = 0x20; c <= 0x7e; c++) if (c !== 0x2c && c !== 0x3d) s += String.fromCharCode(c)
  return s
})()

function members(from: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `k${from + i}=v${from + i}`)
}

describe('tracestate (CONFORMANCE.md "tracestate cases")', () => {
  const tp = ['traceparent', VALID] as const
  const keep = (tracestate: string): Expectation => ({ ...continued, tracestate })
  const drop: Expectation = continued
  const rows: ReadonlyArray<readonly [string, RawHeaders, Expectation]> = [
    ['tracestate without traceparent is ignored', [['tracestate', 'foo=1,bar=2']], restart],
    [
      'tracestate beside an invalid traceparent is ignored',
      [
        ['traceparent', `00-${ZERO_TRACE_ID}-${PARENT_ID}-01`],
        ['tracestate', 'foo=1'],
      ],
      restart,
    ],
    [
      'foo=1,bar=2 keeps members and order',
      [tp, ['tracestate', 'foo=1,bar=2']],
      keep('foo=1,bar=2'),
    ],
    [
      'bar=2,foo=1 keeps members and order',
      [tp, ['tracestate', 'bar=2,foo=1']],
      keep('bar=2,foo=1'),
    ],
    ['header named trace-state is ignored', [tp, ['trace-state', 'foo=1']], drop],
    ['header named trace.state is ignored', [tp, ['trace.state', 'foo=1']], drop],
    ['header named TraceState', [tp, ['TraceState', 'foo=1']], keep('foo=1')],
    ['header named TRACESTATE', [tp, ['TRACESTATE', 'foo=1']], keep('foo=1')],
    ['empty header alone', [tp, ['tracestate', '']], drop],
    ['empty header, then foo=1', [tp, ['tracestate', ''], ['tracestate', 'foo=1']], keep('foo=1')],
    [
      'foo=1, then an empty header',
      [tp, ['tracestate', 'foo=1'], ['tracestate', '']],
      keep('foo=1'),
    ],
    [
      'several lines are combined in order',
      [tp, ['tracestate', 'foo=1'], ['tracestate', 'bar=2'], ['TraceState', 'baz=3']],
      keep('foo=1,bar=2,baz=3'),
    ],
    [
      'every legal key and value character, leading space in the value',
      [tp, ['tracestate', `${KEY_CHARS}=${VALUE_CHARS}`]],
      keep(`${KEY_CHARS}=${VALUE_CHARS}`),
    ],
    [
      'every legal vendor key character',
      [tp, ['tracestate', `${VENDOR_KEY}=${VALUE_CHARS}`]],
      keep(`${VENDOR_KEY}=${VALUE_CHARS}`),
    ],
    [
      'spaces and tabs around commas and at the ends',
      [tp, ['tracestate', ' \t foo=1 \t , \t bar=2 \t , ,\t']],
      keep('foo=1,bar=2'),
    ],
    ['duplicated keys with one value', [tp, ['tracestate', 'foo=1,foo=1']], keep('foo=1')],
    ['duplicated keys with two values', [tp, ['tracestate', 'foo=1,foo=2']], keep('foo=1')],
    ['key with a space (foo =1)', [tp, ['tracestate', 'foo =1']], drop],
    ['uppercase key (FOO=1)', [tp, ['tracestate', 'FOO=1']], drop],
    ['key with a dot (foo.bar=1)', [tp, ['tracestate', 'foo.bar=1']], drop],
    ['vendor key foo@', [tp, ['tracestate', 'foo@=1,bar=2']], keep('foo@=1,bar=2')],
    ['vendor key foo@@bar', [tp, ['tracestate', 'foo@@bar=1,bar=2']], keep('foo@@bar=1,bar=2')],
    [
      'vendor key foo@bar@baz',
      [tp, ['tracestate', 'foo@bar@baz=1,bar=2']],
      keep('foo@bar@baz=1,bar=2'),
    ],
    [
      'vendor key of 241 + 1 + 14 characters',
      [tp, ['tracestate', 'foo=1'], ['tracestate', `${'t'.repeat(241)}@${'v'.repeat(14)}=1`]],
      keep(`foo=1,${'t'.repeat(241)}@${'v'.repeat(14)}=1`),
    ],
    [
      // Level 1 capped tenant (241) and system (14) parts; Level 2 only caps the whole key.
      'vendor keys beyond the Level 1 tenant/system lengths',
      [tp, ['tracestate', `${'t'.repeat(242)}@v=1,t@${'v'.repeat(15)}=2`]],
      keep(`${'t'.repeat(242)}@v=1,t@${'v'.repeat(15)}=2`),
    ],
    ['key starting with @ discards everything', [tp, ['tracestate', '@foo=1,bar=2']], drop],
    [
      'tenant key starting with a digit',
      [tp, ['tracestate', '1tenant@vendor=1']],
      keep('1tenant@vendor=1'),
    ],
    [
      '32 members over 4 lines are kept',
      [
        tp,
        ['tracestate', members(0, 8).join(',')],
        ['tracestate', members(8, 8).join(',')],
        ['tracestate', members(16, 8).join(',')],
        ['tracestate', members(24, 8).join(',')],
      ],
      keep(members(0, 32).join(',')),
    ],
    [
      '33 members over 4 lines discard everything',
      [
        tp,
        ['tracestate', members(0, 8).join(',')],
        ['tracestate', members(8, 8).join(',')],
        ['tracestate', members(16, 8).join(',')],
        ['tracestate', members(24, 9).join(',')],
      ],
      drop,
    ],
    [
      '256-character key is kept',
      [tp, ['tracestate', `${'k'.repeat(256)}=1,bar=2`]],
      keep(`${'k'.repeat(256)}=1,bar=2`),
    ],
    [
      '257-character key discards everything',
      [tp, ['tracestate', `${'k'.repeat(257)}=1,bar=2`]],
      drop,
    ],
    ['foo=bar=baz is dropped', [tp, ['tracestate', 'foo=bar=baz']], drop],
    ['foo=,bar=3 discards everything', [tp, ['tracestate', 'foo=,bar=3']], drop],
    // Beyond the suite.
    [
      '256-character value is kept',
      [tp, ['tracestate', `foo=${'v'.repeat(256)}`]],
      keep(`foo=${'v'.repeat(256)}`),
    ],
    [
      '257-character value discards everything',
      [tp, ['tracestate', `foo=${'v'.repeat(257)},bar=2`]],
      drop,
    ],
    [
      'value ending in a space inside the list',
      [tp, ['tracestate', 'foo=1 ,bar=2']],
      keep('foo=1,bar=2'),
    ],
    ['value with a tab discards everything', [tp, ['tracestate', 'foo=a\tb,bar=2']], drop],
  ]

  it.each(rows)('%s', async (_name, headers, expected) => {
    expectConforming(await harness.send(headers), expected)
  })

  it('keeps the key of a duplicated-key header, as the suite checks', async () => {
    const result = await harness.send([
      ['traceparent', VALID],
      ['tracestate', 'foo=1,foo=2'],
    ])
    for (const call of result.calls) expect(call.values('tracestate')[0]).toMatch(/^foo=[12]$/)
  })
})

describe('tracestate beyond the suite', () => {
  const tp = ['traceparent', VALID] as const

  const long = (name: string): string => `${name}=${'x'.repeat(140)}`

  it('over 512 characters, drops entries longer than 128 characters first', async () => {
    const short = Array.from({ length: 20 }, (_, i) => `s${i}=${'v'.repeat(18)}`)
    const entries = [
      short[0]!,
      long('big1'),
      ...short.slice(1, 10),
      long('big2'),
      ...short.slice(10),
    ]
    // Over 512 even with one long entry; within it once both go, short ones all kept.
    expect([long('big1'), ...short].join(',').length).toBeGreaterThan(512)
    expect(short.join(',').length).toBeLessThanOrEqual(512)
    const result = await harness.send([tp, ['tracestate', entries.join(',')]])
    expectConforming(result, keep(short.join(',')))
  })

  it('removes only as many long entries as needed, right-most first', async () => {
    const short = Array.from({ length: 10 }, (_, i) => `s${i}=${'v'.repeat(12)}`)
    const entries = [long('big1'), ...short, long('big2'), long('big3')]
    const expected = entries.filter((entry) => !entry.startsWith('big3='))
    expect(entries.join(',').length).toBeGreaterThan(512)
    expect(expected.join(',').length).toBeLessThanOrEqual(512)
    const result = await harness.send([tp, ['tracestate', entries.join(',')]])
    expectConforming(result, keep(expected.join(',')))
  })

  it('over 512 characters without long entries, drops entries from the right', async () => {
    const entries = Array.from({ length: 30 }, (_, i) => `key${i}=${'v'.repeat(20)}`)
    const expected: string[] = []
    for (const entry of entries) {
      if ([...expected, entry].join(',').length > 512) break
      expected.push(entry)
    }
    expect(expected.length).toBeLessThan(entries.length)
    const result = await harness.send([tp, ['tracestate', entries.join(',')]])
    expectConforming(result, keep(expected.join(',')))
  })

  it('headers over 16 KiB are refused by Node with 431 before the service runs', async () => {
    const result = await harness.send([tp, ['tracestate', `foo=${'v'.repeat(200)},`.repeat(90)]])
    expect(result.status).toBe(431)
    expect(result.calls).toHaveLength(0)
    expect(result.serverSpan).toBeUndefined()
  })

  function keep(tracestate: string): Expectation {
    return { ...continued, tracestate }
  }
})
