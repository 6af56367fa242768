// Baggage that could make downstream calls fail (issue 12, item 5): what is sent keeps to the W3C
// limits whatever format it came in and goes out in, the same baggage is not sent twice when
// both the baggage and jaeger propagators are configured, and what is dropped is reported once.
import {
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  type Context,
  type TextMapPropagator,
} from '@opentelemetry/api'
import {
  CompositePropagator,
  createPropagator,
  JaegerPropagator,
  W3CBaggagePropagator,
} from '../../src/index.js'
import { droppedBaggageEntries, resetDroppedBaggage } from '../../src/propagation/baggage-limits.js'
import { captureDiag } from '../support/diag.js'

function withBaggage(count: number, value: (i: number) => string = String): Context {
  const entries: Record<string, { value: string }> = {}
  for (let i = 0; i < count; i++) entries[`k${i}`] = { value: value(i) }
  return propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage(entries))
}

function inject(propagator: TextMapPropagator, ctx: Context): Record<string, string> {
  const out: Record<string, string> = {}
  propagator.inject(ctx, out, defaultTextMapSetter)
  return out
}

function extract(propagator: TextMapPropagator, carrier: Record<string, string>): Context {
  return propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter)
}

/** What the baggage headers of `headers` weigh: `key=value` per uberctx-* header, plus `baggage`. */
function baggageBytes(headers: Record<string, string>): { members: number; bytes: number } {
  let members = 0
  let bytes = 0
  for (const [name, value] of Object.entries(headers)) {
    if (name === 'baggage') {
      members += value.split(',').length
      bytes += Buffer.byteLength(value)
    } else if (name.startsWith('uberctx-')) {
      members++
      bytes += Buffer.byteLength(`${name.slice(8)}=${value}`) + 1
    }
  }
  return { members, bytes }
}

let diagnostics: ReturnType<typeof captureDiag>
beforeEach(() => {
  resetDroppedBaggage()
  diagnostics = captureDiag()
})
afterEach(() => diagnostics.restore())

describe('outgoing baggage limits', () => {
  it.each([
    ['the baggage header', new W3CBaggagePropagator()],
    ['uberctx-* headers', new JaegerPropagator()],
  ])('%s: at most 64 members and 8192 bytes, the rest counted and reported once', (format, p) => {
    const many = baggageBytes(inject(p, withBaggage(100)))
    expect(many).toEqual({ members: 64, bytes: expect.any(Number) as number })
    const big = baggageBytes(
      inject(
        p,
        withBaggage(10, () => 'é'.repeat(500)),
      ),
    )
    // 'é' is 6 bytes percent-encoded: 3,000 per member, two fit in 8192
    expect(big.members).toBe(2)
    expect(big.bytes).toBeLessThanOrEqual(8192)
    expect(droppedBaggageEntries()).toEqual({ sent: 36 + 8, read: 0 })
    expect(diagnostics.messages).toEqual([
      `warn @tracehop/core: 36 baggage entries not sent in ${format}: outgoing baggage is limited to 64 members and 8192 bytes (W3C Baggage limits), members over 4096 bytes are never sent. Reported once; later drops are only counted.`,
    ])
  })

  it('never sends one member over 4096 bytes, but sends the smaller ones after it', () => {
    const ctx = propagation.setBaggage(
      ROOT_CONTEXT,
      propagation.createBaggage({ huge: { value: 'x'.repeat(5000) }, small: { value: 's' } }),
    )
    expect(inject(new JaegerPropagator(), ctx)).toEqual({ 'uberctx-small': 's' })
    expect(inject(new W3CBaggagePropagator(), ctx)).toEqual({ baggage: 'small=s' })
  })
})

describe('incoming uberctx-* headers', () => {
  it('reads up to 180 of them in one pass, and counts the rest', () => {
    const carrier: Record<string, string> = {}
    for (let i = 0; i < 2000; i++) carrier[`uberctx-k${i}`] = 'v'
    const baggage = propagation.getBaggage(extract(new JaegerPropagator(), carrier))!
    expect(baggage.getAllEntries()).toHaveLength(180)
    expect(baggage.getEntry('k179')?.value).toBe('v')
    expect(droppedBaggageEntries().read).toBe(1820)
    expect(diagnostics.messages).toEqual([
      'warn @tracehop/core: 1820 baggage entries not read from uberctx-* headers: incoming baggage is read up to 180 members and 8192 bytes, members over 4096 bytes are skipped. Reported once; later drops are only counted.',
    ])
  })

  it('skips a 15 KB value: it is never read, so never re-sent', () => {
    const ctx = extract(new JaegerPropagator(), {
      'uberctx-a': 'v '.repeat(7680).trim(),
      'uberctx-b': '1',
    })
    expect(inject(new JaegerPropagator(), ctx)).toEqual({ 'uberctx-b': '1' })
  })
})

describe('baggage and jaeger together', () => {
  const both = createPropagator('tracecontext,baggage,jaeger')

  it('sends W3C baggage once, in the baggage header only', () => {
    const header = Array.from({ length: 60 }, (_, i) => `k${i}=${'v'.repeat(120)}`).join(',')
    const out = inject(both, extract(both, { baggage: header }))
    expect(out.baggage).toBe(header)
    expect(Object.keys(out).filter((name) => name.startsWith('uberctx-'))).toEqual([])
    expect(baggageBytes(out).bytes).toBeLessThanOrEqual(8192)
  })

  it('passes entries that came as uberctx-* on as uberctx-*, and in the baggage header', () => {
    const out = inject(both, extract(both, { 'uberctx-user': 'alice', baggage: 'tenant=t1' }))
    expect(out).toEqual({ baggage: 'tenant=t1,user=alice', 'uberctx-user': 'alice' })
  })

  it('keeps both formats together within the limits when 8 KB arrived as uberctx-*', () => {
    const carrier: Record<string, string> = {}
    for (let i = 0; i < 60; i++) carrier[`uberctx-k${i}`] = 'v'.repeat(120)
    const out = inject(both, extract(both, carrier))
    const sent = baggageBytes(out)
    expect(sent.members).toBeLessThanOrEqual(64)
    expect(sent.bytes).toBeLessThanOrEqual(8192)
    // the baggage header comes first in the list and carries every entry; uberctx-* gets the rest
    expect(out.baggage!.split(',')).toHaveLength(60)
    expect(droppedBaggageEntries().sent).toBe(60 - (sent.members - 60))
    expect(diagnostics.messages[0]).toMatch(/baggage entries not sent in uberctx-\* headers/)
  })

  it('shares the limits between formats the user asked for explicitly, too', () => {
    const explicit = new CompositePropagator([
      new W3CBaggagePropagator(),
      new JaegerPropagator({ baggage: true }),
    ])
    const out = inject(explicit, withBaggage(100))
    expect(baggageBytes(out).members).toBe(64)
    expect(Object.keys(out)).toEqual(['baggage'])
    // each propagator alone has the limits to itself
    expect(Object.keys(inject(new JaegerPropagator(), withBaggage(100)))).toHaveLength(64)
  })

  it('sends baggage set in process in the baggage header only', () => {
    expect(inject(both, withBaggage(1))).toEqual({ baggage: 'k0=0' })
  })

  it('sends every entry as uberctx-* when jaeger is the only baggage format', () => {
    expect(inject(createPropagator('tracecontext,jaeger'), withBaggage(2))).toEqual({
      'uberctx-k0': '0',
      'uberctx-k1': '1',
    })
  })
})
