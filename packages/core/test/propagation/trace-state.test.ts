import { diag } from '@opentelemetry/api'
import { isValidTraceStateKey, isValidTraceStateValue, W3CTraceState } from '../../src/index.js'

function entriesOf(state: W3CTraceState | undefined): Array<[string, string]> | undefined {
  return state === undefined ? undefined : [...state.entries()]
}

describe('isValidTraceStateKey', () => {
  it.each([
    'a',
    'foo',
    '1tenant@vendor',
    '0',
    'foo@',
    'foo@@bar',
    'foo@bar@baz',
    'a_b-c*d/e',
    'k'.repeat(256),
  ])('accepts %j', (key) => {
    expect(isValidTraceStateKey(key)).toBe(true)
  })

  it.each(['', '@foo', '_a', 'FOO', 'foo.bar', 'foo ', ' foo', 'fo=o', 'k'.repeat(257), 'é'])(
    'rejects %j',
    (key) => {
      expect(isValidTraceStateKey(key)).toBe(false)
    },
  )

  it('rejects non-strings', () => {
    expect(isValidTraceStateKey(5 as unknown as string)).toBe(false)
  })
})

describe('isValidTraceStateValue', () => {
  it.each(['1', ' leading', 'a b', '!"#$%&\'()*+-./:;<>?@[\\]^_`{|}~', 'v'.repeat(256)])(
    'accepts %j',
    (value) => {
      expect(isValidTraceStateValue(value)).toBe(true)
    },
  )

  it.each(['', ' ', 'trailing ', 'a,b', 'a=b', 'tab\there', 'é', 'v'.repeat(257), '\u007f'])(
    'rejects %j',
    (value) => {
      expect(isValidTraceStateValue(value)).toBe(false)
    },
  )

  it('rejects non-strings', () => {
    expect(isValidTraceStateValue(null as unknown as string)).toBe(false)
  })
})

describe('W3CTraceState', () => {
  describe('parse', () => {
    it.each([
      [
        'foo=1,bar=2',
        [
          ['foo', '1'],
          ['bar', '2'],
        ],
      ],
      [
        'foo=1,,bar=2',
        [
          ['foo', '1'],
          ['bar', '2'],
        ],
      ],
      [
        ' foo=1 ,\tbar=2\t',
        [
          ['foo', '1'],
          ['bar', '2'],
        ],
      ],
      ['foo=1,foo=2', [['foo', '1']]],
      ['foo= x', [['foo', ' x']]],
    ])('reads %j', (header, expected) => {
      expect(entriesOf(W3CTraceState.parse(header))).toEqual(expected)
    })

    it.each(['', ',', ' , \t ', 'foo', '=1', 'foo=', 'foo=1,bar', 'foo =1', 'foo= ', 'a=1,b'])(
      'gives nothing for %j',
      (header) => {
        expect(W3CTraceState.parse(header)).toBeUndefined()
      },
    )

    it('gives nothing for a non-string', () => {
      expect(W3CTraceState.parse(undefined as unknown as string)).toBeUndefined()
    })

    it('discards the whole header above 32 members, not counting empty ones', () => {
      const members = Array.from({ length: 32 }, (_, i) => `k${i}=${i}`)
      expect(W3CTraceState.parse([...members, '', ' '].join(','))?.size).toBe(32)
      expect(W3CTraceState.parse([...members, 'k32=32'].join(','))).toBeUndefined()
    })
  })

  describe('from', () => {
    it('keeps valid pairs in order, first value of a repeated key, at most 32', () => {
      const pairs: Array<[string, string]> = [
        ['a', '1'],
        ['BAD', '1'],
        ['b', 'bad,value'],
        ['a', '2'],
        ...Array.from({ length: 40 }, (_, i): [string, string] => [`k${i}`, String(i)]),
      ]
      const state = W3CTraceState.from(pairs)
      expect(state.size).toBe(32)
      expect(state.get('a')).toBe('1')
      expect(state.get('BAD')).toBeUndefined()
      expect(state.get('b')).toBeUndefined()
      expect(state.get('k30')).toBe('30')
      expect(state.get('k31')).toBeUndefined()
    })

    it('is empty without arguments', () => {
      expect(W3CTraceState.from().serialize()).toBe('')
    })
  })

  describe('set', () => {
    const base = W3CTraceState.parse('foo=1,bar=2')!

    it('adds a new entry on the left and leaves the original alone', () => {
      const next = base.set('tracehop', 'x')
      expect(next.serialize()).toBe('tracehop=x,foo=1,bar=2')
      expect(base.serialize()).toBe('foo=1,bar=2')
    })

    it('moves an updated entry to the left', () => {
      expect(base.set('bar', '3').serialize()).toBe('bar=3,foo=1')
    })

    it('drops the right-most entry when full', () => {
      const full = W3CTraceState.from(
        Array.from({ length: 32 }, (_, i): [string, string] => [`k${i}`, String(i)]),
      )
      const next = full.set('new', 'v')
      expect(next.size).toBe(32)
      expect(next.get('new')).toBe('v')
      expect(next.get('k31')).toBeUndefined()
      expect(next.get('k30')).toBe('30')
    })

    it('ignores an invalid key or value, reporting it through diag', () => {
      const debug = jest.spyOn(diag, 'debug').mockImplementation(() => undefined)
      try {
        expect(base.set('BAD', '1')).toBe(base)
        expect(base.set('ok', 'a,b')).toBe(base)
        expect(debug).toHaveBeenCalledWith(
          '@tracehop/core: ignoring invalid tracestate entry "BAD"',
        )
      } finally {
        debug.mockRestore()
      }
    })
  })

  describe('unset', () => {
    it('removes a key', () => {
      const state = W3CTraceState.parse('foo=1,bar=2')!
      expect(state.unset('foo').serialize()).toBe('bar=2')
      expect(state.unset('missing')).toBe(state)
    })
  })

  describe('serialize', () => {
    it('stays within 512 characters, long entries going first', () => {
      const long = `long=${'x'.repeat(200)}`
      const small = Array.from({ length: 25 }, (_, i) => `s${i}=${'y'.repeat(14)}`)
      const state = W3CTraceState.parse([long, ...small].join(','))!
      expect(state.size).toBe(26)
      const out = state.serialize()
      expect(out).toBe(small.join(','))
      expect(out.length).toBeLessThanOrEqual(512)
    })

    it('removes from the right when there are no long entries', () => {
      const entries = Array.from({ length: 32 }, (_, i) => `k${i}=${'z'.repeat(30)}`)
      const out = W3CTraceState.parse(entries.join(','))!.serialize()
      expect(out.length).toBeLessThanOrEqual(512)
      expect(out).toBe(entries.slice(0, out.split(',').length).join(','))
      expect(entries.slice(0, out.split(',').length + 1).join(',').length).toBeGreaterThan(512)
    })

    it('returns the same string on every call', () => {
      const state = W3CTraceState.parse('a=1')!
      expect(state.serialize()).toBe('a=1')
      expect(state.serialize()).toBe('a=1')
    })
  })
})
