// Hostile trace headers (issue 12, item 4): joined values, non-breaking spaces, control bytes,
// upper case and percent-encoding never yield an invalid span context, and an invalid value in
// one format never replaces a valid context extracted from another.
import {
  defaultTextMapGetter,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Context,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
} from '@opentelemetry/api'
import fc from 'fast-check'
import {
  CompositePropagator,
  createPropagator,
  parseTraceparent,
  TraceContextPropagator,
} from '../../src/index.js'
import { parseB3Single } from '../../src/propagation/b3.js'
import { isHex } from '../../src/propagation/header-utils.js'
import { parseUberTraceId } from '../../src/propagation/jaeger.js'

const T1 = 'ab28fb76b8213d06f9cb3b3c0a643f8c'
const S1 = 'b38ba69fa3a292b4'
const T2 = 'aeeb2e3b6b0a4f7c8d9e0f1a2b3c4d5e'
const S2 = '00f067aa0ba902b7'
const VALID_TRACEPARENT = `00-${T2}-${S2}-01`
const NBSP = '\u00a0'

function spanOf(names: string, carrier: Record<string, unknown>): SpanContext | undefined {
  return trace.getSpanContext(
    createPropagator(names).extract(ROOT_CONTEXT, carrier, defaultTextMapGetter),
  )
}

describe('hostile trace headers', () => {
  describe('the regressions of issue 12', () => {
    it.each([
      [
        'a future version joined with a version 00 line',
        `01-${T1}-${S1}-01-x, ${VALID_TRACEPARENT}`,
      ],
      ['two version 00 lines joined', `00-${T1}-${S1}-01, ${VALID_TRACEPARENT}`],
      ['a future version with a comma in its extra fields', `cc-${T1}-${S1}-01-a,b`],
      ['NBSP before the value', `${NBSP}${VALID_TRACEPARENT}`],
      ['NBSP after the value', `${VALID_TRACEPARENT}${NBSP}`],
      ['upper-case hex', `00-${T2.toUpperCase()}-${S2}-01`],
    ])('traceparent: rejects %s', (_what, value) => {
      expect(parseTraceparent(value)).toBeUndefined()
      expect(spanOf('tracecontext', { traceparent: value })).toBeUndefined()
    })

    it('traceparent: still accepts a future version with extra fields, and spaces or tabs around', () => {
      expect(parseTraceparent(`cc-${T1}-${S1}-01-extra`)?.traceId).toBe(T1)
      expect(parseTraceparent(` \t${VALID_TRACEPARENT}\t `)?.traceId).toBe(T2)
    })

    it.each([
      ['control byte from %11', `%11f92f3577b34da6a3ce929d0e0e4736:${S2}:0:1`],
      ['other percent-encoded hex digits', `%34bf92f3577b34da6a3ce929d0e0e4736:${S2}:0:1`],
      ['NBSP around', `${NBSP}${T1}:${S1}:0:1${NBSP}`],
      ['a raw control byte', `\u0011${T1.slice(1)}:${S1}:0:1`],
    ])('uber-trace-id: rejects %s', (_what, value) => {
      expect(parseUberTraceId(value)).toBeUndefined()
    })

    it('uber-trace-id: still accepts %3A colons, upper case (lowered) and spaces or tabs around', () => {
      expect(parseUberTraceId(` ${T1.toUpperCase()}%3A${S1}%3a0%3A1\t`)?.spanContext).toEqual({
        traceId: T1,
        spanId: S1,
        traceFlags: 1,
        isRemote: true,
      })
    })

    it.each([
      ['NBSP around the ids', { 'x-b3-traceid': `${NBSP}${T1}`, 'x-b3-spanid': `${S1}${NBSP}` }],
      [
        'a control byte in the trace id',
        { 'x-b3-traceid': `\u0011${T1.slice(1)}`, 'x-b3-spanid': S1 },
      ],
      ['NBSP around the single header', { b3: `${NBSP}${T1}-${S1}-1` }],
    ])('b3: rejects %s', (_what, headers) => {
      expect(spanOf('b3', headers)).toBeUndefined()
    })

    it('the hex test accepts 0-9, a-f, A-F and nothing else', () => {
      const accepted: string[] = []
      for (let c = 0; c < 0x10000; c++) {
        if (isHex(String.fromCharCode(c), 0, 1)) accepted.push(String.fromCharCode(c))
      }
      expect(accepted.join('')).toBe('0123456789ABCDEFabcdef')
      expect(parseB3Single(`${T1.toUpperCase()}-${S1}-1`)?.spanContext.traceId).toBe(T1)
    })

    it.each([
      [
        'uber-trace-id from %11',
        { 'uber-trace-id': `%11f92f3577b34da6a3ce929d0e0e4736:${S2}:0:1` },
      ],
      ['uber-trace-id with NBSP', { 'uber-trace-id': `${NBSP}${T1}:${S1}:0:1` }],
      ['x-b3 ids with NBSP', { 'x-b3-traceid': `${NBSP}${T1}`, 'x-b3-spanid': S1 }],
      ['b3 with a control byte', { b3: `${T1}-\u0011${S1.slice(1)}-1` }],
    ])('a valid traceparent survives %s, whatever the order', (_what, headers) => {
      for (const names of [
        'tracecontext,b3,jaeger',
        'jaeger,b3,tracecontext',
        'b3,jaeger,tracecontext',
      ]) {
        const found = spanOf(names, { traceparent: VALID_TRACEPARENT, ...headers })
        expect(found).toMatchObject({ traceId: T2, spanId: S2 })
      }
    })
  })

  describe('CompositePropagator', () => {
    const bogus: TextMapPropagator = {
      extract: (ctx: Context) =>
        propagation.setBaggage(
          trace.setSpanContext(ctx, {
            traceId: '0\u0011f92f3577b34da6a3ce929d0e0e473',
            spanId: S1,
            traceFlags: 1,
          }),
          propagation.createBaggage({ from: { value: 'bogus' } }),
        ),
      inject: () => undefined,
      fields: () => [],
    }

    it('keeps the valid context when a later propagator extracts an invalid one, and its baggage', () => {
      const composite = new CompositePropagator([createPropagator('tracecontext'), bogus])
      const ctx = composite.extract(
        ROOT_CONTEXT,
        { traceparent: VALID_TRACEPARENT },
        defaultTextMapGetter,
      )
      expect(trace.getSpanContext(ctx)).toMatchObject({ traceId: T2, spanId: S2 })
      expect(propagation.getBaggage(ctx)?.getEntry('from')?.value).toBe('bogus')
    })

    it('never yields the invalid context alone either', () => {
      const ctx = new CompositePropagator([bogus]).extract(ROOT_CONTEXT, {}, defaultTextMapGetter)
      expect(trace.getSpanContext(ctx)).toBeUndefined()
      expect(propagation.getBaggage(ctx)?.getEntry('from')?.value).toBe('bogus')
    })

    it("checks a subclass or a patched instance of tracehop's own propagators", () => {
      // only tracehop's own extract methods, as written, are trusted to check their ids
      class Overriding extends TraceContextPropagator {
        override extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
          return bogus.extract(super.extract(ctx, carrier, getter), carrier, getter)
        }
      }
      const patched = new TraceContextPropagator()
      patched.extract = (ctx, carrier, getter) => bogus.extract(ctx, carrier, getter)
      for (const propagator of [new Overriding(), patched]) {
        const ctx = new CompositePropagator([propagator]).extract(
          ROOT_CONTEXT,
          { traceparent: VALID_TRACEPARENT },
          defaultTextMapGetter,
        )
        expect(trace.getSpanContext(ctx)).toBeUndefined()
        expect(propagation.getBaggage(ctx)?.getEntry('from')?.value).toBe('bogus')
      }
    })
  })

  describe('property: any header combination', () => {
    const chars = (s: string): fc.Arbitrary<string> => fc.constantFrom(...s.split(''))
    const hex = (length: number): fc.Arbitrary<string> =>
      fc.string({ unit: chars('0123456789abcdef'), minLength: length, maxLength: length })
    const noise = fc.string({
      unit: chars(`0123456789abcdefABCDEF-:%,; \t${NBSP}\u0011\u0000\u3000=x`),
      maxLength: 70,
    })

    // A valid value of each format, then bent: NBSP or Unicode space around it, upper case,
    // joined with another line, a control byte or its percent-encoding in front.
    const bend = (value: fc.Arbitrary<string>): fc.Arbitrary<string | string[]> =>
      fc
        .tuple(
          value,
          fc.constantFrom(
            'as is',
            'as is',
            'nbsp',
            'ideographic space',
            'tabs',
            'upper',
            'joined',
            'two lines',
            'control',
            'percent control',
          ),
          fc.oneof(value, noise),
        )
        .map(([v, how, other]): string | string[] => {
          switch (how) {
            case 'nbsp':
              return `${NBSP}${v}${NBSP}`
            case 'ideographic space':
              return `\u3000${v}`
            case 'tabs':
              return `\t${v} `
            case 'upper':
              return v.toUpperCase()
            case 'joined':
              return `${v}, ${other}`
            case 'two lines':
              return [v, other]
            case 'control':
              return `\u0011${v.slice(1)}`
            case 'percent control':
              return `%11${v.slice(1)}`
            default:
              return v
          }
        })

    const traceparent = fc
      .tuple(fc.constantFrom('00', '01', 'cc'), hex(32), hex(16), hex(2), fc.constantFrom('', '-x'))
      .map(([v, t, s, f, extra]) => `${v}-${t}-${s}-${f}${v === '00' ? '' : extra}`)
    const b3 = fc
      .tuple(fc.oneof(hex(32), hex(16)), hex(16), fc.constantFrom('', '-1', '-0', '-d'))
      .map(([t, s, flag]) => `${t}-${s}${flag}`)
    const uber = fc
      .tuple(
        fc.oneof(hex(32), hex(16)),
        hex(16),
        fc.constantFrom(':', '%3A'),
        fc.constantFrom('0', '1', '3'),
      )
      .map(([t, s, colon, flags]) => [t, s, '0', flags].join(colon))

    const carrier = fc.record(
      {
        traceparent: fc.oneof(bend(traceparent), noise),
        tracestate: fc.oneof(noise, fc.constant('a=1,b=2')),
        b3: fc.oneof(bend(b3), noise),
        'x-b3-traceid': fc.oneof(bend(fc.oneof(hex(32), hex(16))), noise),
        'x-b3-spanid': fc.oneof(bend(hex(16)), noise),
        'x-b3-sampled': fc.constantFrom('1', '0', 'true', ` 1${NBSP}`),
        'uber-trace-id': fc.oneof(bend(uber), noise),
        'uberctx-k': noise,
        baggage: fc.oneof(noise, fc.constant('k=v,bad member')),
      },
      { requiredKeys: [] },
    )
    const order = fc.shuffledSubarray(['tracecontext', 'b3', 'b3multi', 'jaeger', 'baggage'], {
      minLength: 1,
    })

    it('never yields an invalid span context, and the last valid one wins', () => {
      let valid = 0
      fc.assert(
        fc.property(carrier, order, (headers, names) => {
          let expected: SpanContext | undefined
          for (const name of names) {
            const single = spanOf(name, headers)
            if (single !== undefined && !isSpanContextValid(single)) {
              throw new Error(
                `${name} yielded ${JSON.stringify(single)} from ${JSON.stringify(headers)}`,
              )
            }
            if (single !== undefined) expected = single
          }
          const found = spanOf(names.join(','), headers)
          if (found !== undefined && !isSpanContextValid(found)) {
            throw new Error(`invalid ${JSON.stringify(found)} from ${JSON.stringify(headers)}`)
          }
          if (found?.traceId !== expected?.traceId || found?.spanId !== expected?.spanId) {
            throw new Error(
              `${names.join(',')} gave ${JSON.stringify(found)}, expected ${JSON.stringify(expected)} from ${JSON.stringify(headers)}`,
            )
          }
          if (found !== undefined) valid++
        }),
        { numRuns: 5_000 },
      )
      // the generators reach valid contexts, not only rejections
      expect(valid).toBeGreaterThan(500)
    }, 120_000)
  })
})
