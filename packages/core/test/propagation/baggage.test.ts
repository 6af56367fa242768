import {
  baggageEntryMetadataFromString,
  defaultTextMapGetter,
  defaultTextMapSetter,
  diag,
  propagation,
  ROOT_CONTEXT,
  type BaggageEntry,
  type Context,
} from '@opentelemetry/api'
import { suppressTracing } from '@opentelemetry/core'
import { W3CBaggagePropagator } from '../../src/index.js'

const propagator = new W3CBaggagePropagator()

function extract(carrier: unknown): Record<string, { value: string; metadata?: string }> {
  const ctx = propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter)
  const out: Record<string, { value: string; metadata?: string }> = {}
  for (const [key, entry] of propagation.getBaggage(ctx)?.getAllEntries() ?? []) {
    out[key] =
      entry.metadata === undefined
        ? { value: entry.value }
        : { value: entry.value, metadata: entry.metadata.toString() }
  }
  return out
}

function withBaggage(entries: Record<string, BaggageEntry>): Context {
  return propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage(entries))
}

function inject(ctx: Context): Record<string, string> {
  const out: Record<string, string> = {}
  propagator.inject(ctx, out, defaultTextMapSetter)
  return out
}

describe('W3CBaggagePropagator', () => {
  it('lists its field', () => {
    expect(propagator.fields()).toEqual(['baggage'])
  })

  describe('extract', () => {
    it.each([
      ['a=1,b=2', { a: { value: '1' }, b: { value: '2' } }],
      [' a = 1 ,\tb=2\t', { a: { value: '1' }, b: { value: '2' } }],
      ['a=', { a: { value: '' } }],
      ['a=hello%20world', { a: { value: 'hello world' } }],
      ['a=%E2%9C%93', { a: { value: '\u2713' } }],
      ['a=100%25', { a: { value: '100%' } }],
      ['a=1,a=2', { a: { value: '2' } }],
      ["!#$%&'*+-.^_`|~09AZaz=v", { "!#$%&'*+-.^_`|~09AZaz": { value: 'v' } }],
      ['a=1;p1;p2=x', { a: { value: '1', metadata: 'p1;p2=x' } }],
      ['a=1 ; p1 = x ; p2', { a: { value: '1', metadata: 'p1 = x ; p2' } }],
    ])('reads %j', (header, expected) => {
      expect(extract({ baggage: header })).toEqual(expected)
    })

    it.each([
      ['a lone percent', 'a=%', '%'],
      ['a non-hex escape', 'a=%zz', '%zz'],
      ['an escape at the end', 'a=x%4', 'x%4'],
      ['a truncated UTF-8 sequence', 'a=%E2%9C', '\ufffd'],
      ['good and bad escapes together', 'a=%41%zz%42', 'A%zzB'],
      ['bytes that are not UTF-8', 'a=%FF%41', '\ufffdA'],
    ])('never throws on %s', (_name, header, value) => {
      expect(extract({ baggage: header })).toEqual({ a: { value } })
    })

    it.each([
      'a',
      '=1',
      'a b=1',
      'a="x"',
      'a=x y',
      'a=x\\y',
      'a=1;',
      'a=1;=p',
      'a=1;p=x y',
      'a=1;p;;q',
      'é=1',
      'a=é',
    ])('skips the invalid member %j and keeps its neighbours', (member) => {
      expect(extract({ baggage: `x=1,${member},y=2` })).toEqual({
        x: { value: '1' },
        y: { value: '2' },
      })
    })

    it('keeps a member named __proto__ as an ordinary entry', () => {
      const ctx = propagator.extract(
        ROOT_CONTEXT,
        { baggage: '__proto__=1,constructor=2' },
        defaultTextMapGetter,
      )
      const baggage = propagation.getBaggage(ctx)!
      expect(baggage.getEntry('__proto__')).toEqual({ value: '1' })
      expect(baggage.getEntry('constructor')).toEqual({ value: '2' })
      expect(baggage.getAllEntries()).toHaveLength(2)
    })

    it('combines several header lines, and any casing of the name', () => {
      expect(extract({ baggage: ['a=1', 'b=2'] })).toEqual({ a: { value: '1' }, b: { value: '2' } })
      expect(extract({ Baggage: 'a=1' })).toEqual({ a: { value: '1' } })
    })

    it('keeps at most 180 members', () => {
      const header = Array.from({ length: 200 }, (_, i) => `k${i}=${i}`).join(',')
      const entries = extract({ baggage: header })
      expect(Object.keys(entries)).toHaveLength(180)
      expect(entries.k179).toEqual({ value: '179' })
      expect(entries.k180).toBeUndefined()
    })

    it('skips members over 4096 characters and stops at 8192 characters', () => {
      const big = `big=${'x'.repeat(4100)}`
      expect(extract({ baggage: `a=1,${big},b=2` })).toEqual({
        a: { value: '1' },
        b: { value: '2' },
      })
      const members = Array.from({ length: 4 }, (_, i) => `k${i}=${'v'.repeat(2500)}`)
      expect(Object.keys(extract({ baggage: members.join(',') }))).toEqual(['k0', 'k1', 'k2'])
    })

    it.each([
      ['no header', {}],
      ['an empty header', { baggage: '' }],
      ['no valid member', { baggage: 'bad member,=' }],
      ['a header that is not a string', { baggage: 5 }],
      ['no carrier', undefined],
    ])('returns the context unchanged with %s', (_name, carrier) => {
      expect(propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter)).toBe(ROOT_CONTEXT)
    })

    it('never throws when the getter throws', () => {
      const debug = jest.spyOn(diag, 'debug').mockImplementation(() => undefined)
      try {
        const getter = {
          get: () => {
            throw new Error('boom')
          },
          keys: () => [],
        }
        expect(propagator.extract(ROOT_CONTEXT, {}, getter)).toBe(ROOT_CONTEXT)
        expect(debug).toHaveBeenCalledWith(
          '@tracehop/core: baggage extraction failed',
          expect.any(Error),
        )
      } finally {
        debug.mockRestore()
      }
    })
  })

  describe('inject', () => {
    it('percent-encodes values and keeps metadata', () => {
      const ctx = withBaggage({
        plain: { value: 'abc' },
        spaced: { value: 'hello world,;"\\' },
        unicode: { value: '\u2713' },
        broken: { value: '\ud800x' },
        meta: { value: '1', metadata: baggageEntryMetadataFromString('p1;p2=x') },
      })
      expect(inject(ctx)).toEqual({
        baggage:
          'plain=abc,spaced=hello%20world%2C%3B%22%5C,unicode=%E2%9C%93,broken=%EF%BF%BDx,meta=1;p1;p2=x',
      })
    })

    it('round-trips what it extracted', () => {
      const header = 'a=1,b=hello%20world;p1;p2=x,c='
      const ctx = propagator.extract(ROOT_CONTEXT, { baggage: header }, defaultTextMapGetter)
      expect(inject(ctx)).toEqual({ baggage: header })
    })

    it('skips keys that are not HTTP tokens and values that are not strings', () => {
      const ctx = withBaggage({
        'a b': { value: '1' },
        ok: { value: '2' },
        num: { value: 3 as unknown as string },
      })
      expect(inject(ctx)).toEqual({ baggage: 'ok=2' })
    })

    it('writes nothing without baggage, with empty baggage, or when suppressed', () => {
      expect(inject(ROOT_CONTEXT)).toEqual({})
      expect(inject(withBaggage({}))).toEqual({})
      expect(inject(withBaggage({ bad: { value: '\u0000'.repeat(2000) } }))).toEqual({})
      expect(inject(suppressTracing(withBaggage({ a: { value: '1' } })))).toEqual({})
    })

    it('stays within the W3C limits', () => {
      const many: Record<string, BaggageEntry> = {}
      for (let i = 0; i < 200; i++) many[`k${i}`] = { value: String(i) }
      expect(inject(withBaggage(many)).baggage!.split(',')).toHaveLength(64)

      const big: Record<string, BaggageEntry> = { huge: { value: 'x'.repeat(5000) } }
      for (let i = 0; i < 5; i++) big[`k${i}`] = { value: 'v'.repeat(2000) }
      big.small = { value: 's' }
      const header = inject(withBaggage(big)).baggage!
      expect(header.length).toBeLessThanOrEqual(8192)
      expect(header.split(',').map((member) => member.split('=')[0])).toEqual([
        'k0',
        'k1',
        'k2',
        'k3',
        'small',
      ])
    })
  })
})
