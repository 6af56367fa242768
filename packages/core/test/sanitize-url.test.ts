import fc from 'fast-check'
import { sanitizeUrl } from '../src/index.js'
import { compileQueryRedaction } from '../src/redact.js'

describe('sanitizeUrl', () => {
  describe('userinfo', () => {
    it.each([
      ['http://user:pw@127.0.0.1:8080/api', 'http://127.0.0.1:8080/api'],
      ['https://user@example.com/', 'https://example.com/'],
      ['https://:pw@example.com', 'https://example.com'],
      // an unescaped `@` in the password: the host starts after the last one
      ['http://a:p@ss@example.com/x', 'http://example.com/x'],
      ['HTTP://U:P@EXAMPLE.COM/X', 'HTTP://EXAMPLE.COM/X'],
      ['http://u:p@[::1]:3000/x', 'http://[::1]:3000/x'],
    ])('removes it from %s', (url, expected) => {
      expect(sanitizeUrl(url)).toBe(expected)
    })

    it.each([
      // `@` after the authority is not userinfo
      'http://example.com/users/@ada',
      'http://example.com/x?mail=ada@example.com',
      'http://example.com#me@home',
      'mailto:ada@example.com',
      '/relative/@path',
    ])('keeps %s as it is', (url) => {
      expect(sanitizeUrl(url)).toBe(url.split('#')[0])
    })
  })

  describe('query', () => {
    it('redacts sensitive values and keeps the rest as written', () => {
      expect(sanitizeUrl('http://127.0.0.1:9/api?token=S1&page=2&password=S2&q=a%20b')).toBe(
        'http://127.0.0.1:9/api?token=REDACTED&page=2&password=REDACTED&q=a%20b',
      )
    })

    it('matches names as the server span url.query does (case, escapes)', () => {
      expect(sanitizeUrl('http://h/p?Access_Token=x&pass%77ord=y&page=1')).toBe(
        'http://h/p?Access_Token=REDACTED&pass%77ord=REDACTED&page=1',
      )
    })

    it('leaves a URL without a query, or with an empty one, unchanged', () => {
      expect(sanitizeUrl('https://example.com/a/b')).toBe('https://example.com/a/b')
      expect(sanitizeUrl('https://example.com/a?')).toBe('https://example.com/a?')
    })

    it('treats the query of a target without scheme and host', () => {
      expect(sanitizeUrl('/api?secret=S&x=1')).toBe('/api?secret=REDACTED&x=1')
    })

    it('does not take a URL inside the query for the authority', () => {
      expect(sanitizeUrl('/go?next=http://u:p@x/&token=t')).toBe(
        '/go?next=http://u:p@x/&token=REDACTED',
      )
    })

    it('gives the same query as the url.query redaction, for any query', () => {
      const redaction = compileQueryRedaction([])
      const query = fc
        .array(
          fc.tuple(
            fc.constantFrom('token', 'Password', 'page', 'api_key', 'q', '', 'sig'),
            fc.option(fc.string({ unit: fc.constantFrom('a', '=', '%', '@', '/', '?', ' ') })),
          ),
          { maxLength: 6 },
        )
        .map((pairs) => pairs.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join('&'))
      fc.assert(
        fc.property(query, (q) => {
          expect(sanitizeUrl(`https://u:p@h:1/p?${q}`)).toBe(`https://h:1/p?${redaction.redact(q)}`)
        }),
      )
    })
  })

  describe('fragment', () => {
    it('drops it, with whatever it carries', () => {
      expect(sanitizeUrl('https://app.example.com/cb#access_token=T&state=s')).toBe(
        'https://app.example.com/cb',
      )
      expect(sanitizeUrl('https://h/p?page=1#token=T')).toBe('https://h/p?page=1')
      // a `?` inside the fragment is not a query
      expect(sanitizeUrl('https://h/p#a?token=T')).toBe('https://h/p')
    })
  })
})
