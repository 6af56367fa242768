import { compileQueryRedaction } from '../../src/redact.js'
import {
  DEFAULT_REDACTED_HEADERS,
  DEFAULT_REDACTED_QUERY_PARAMS,
  REDACTED,
  traceHandler,
} from '../../src/index.js'
import { listen, request, setupTracing, waitForSpans } from '../support/tracing.js'

describe('redaction', () => {
  describe('url.query', () => {
    const redaction = compileQueryRedaction(['session_token'])

    it.each([
      ['a=1&b=2', 'a=1&b=2'],
      ['token=abc', `token=${REDACTED}`],
      ['a=1&access_token=abc&b=2', `a=1&access_token=${REDACTED}&b=2`],
      ['PASSWORD=x&Api_Key=y', `PASSWORD=${REDACTED}&Api_Key=${REDACTED}`],
      ['X-Amz-Signature=abc&X-Amz-Date=1', `X-Amz-Signature=${REDACTED}&X-Amz-Date=1`],
      ['access%5Ftoken=abc', `access%5Ftoken=${REDACTED}`],
      ['bad%ZZ=1&sig=2', `bad%ZZ=1&sig=${REDACTED}`],
      ['token&key=', `token&key=${REDACTED}`],
      ['session_token=s&code=c&page=ok', `session_token=${REDACTED}&code=${REDACTED}&page=ok`],
      ['a=1&&token=x&', `a=1&&token=${REDACTED}&`],
      ['', ''],
    ])('%s -> %s', (query, expected) => {
      expect(redaction.redact(query)).toBe(expected)
    })

    it('covers the usual credential names', () => {
      for (const name of [
        'token',
        'access_token',
        'id_token',
        'refresh_token',
        'password',
        'passwd',
        'pwd',
        'secret',
        'client_secret',
        'api_key',
        'apikey',
        'key',
        'sig',
        'signature',
        'x-amz-signature',
        'auth',
        'code',
      ]) {
        expect(DEFAULT_REDACTED_QUERY_PARAMS).toContain(name)
      }
      expect(DEFAULT_REDACTED_HEADERS).toEqual([
        'authorization',
        'proxy-authorization',
        'cookie',
        'set-cookie',
        'x-api-key',
      ])
    })
  })

  describe('default names (issue 12)', () => {
    const redaction = compileQueryRedaction([])

    // Every name the issue found unredacted, spelled as it arrived.
    it.each([
      'accessToken',
      'authToken',
      'clientSecret',
      'sessionToken',
      'privateKey',
      'state',
      'nonce',
      'code_verifier',
      'oauth_token',
      'oauth_verifier',
      'oauth_signature',
      'SAMLResponse',
      'SAMLRequest',
      'RelayState',
      'assertion',
      'client_assertion',
      'id_token',
      'otp',
      'pin',
      'ticket',
      'csrf_token',
      '_csrf',
      'xsrf_token',
      'sid',
      'session_token',
      'jsessionid',
      'PHPSESSID',
      'api_token',
      'apitoken',
      'access-token',
      'auth-token',
      'bearer',
      'api_secret',
      'secret_key',
      'aws_secret_access_key',
      'credential',
      'credentials',
      'hmac',
      'reset_token',
      'verification_code',
      'magic_link',
      'se',
      'sv',
      'sig',
    ])('redacts %s', (name) => {
      expect(redaction.redact(`a=1&${name}=s3cr3t&b=2`)).toBe(`a=1&${name}=${REDACTED}&b=2`)
    })

    it.each([
      ['token[]=a&token[]=b', `token[]=${REDACTED}&token[]=${REDACTED}`],
      ['user[password]=x&user[name]=ada', `user[password]=${REDACTED}&user[name]=ada`],
      ['auth[token]=x', `auth[token]=${REDACTED}`],
      ['password%5B%5D=x', `password%5B%5D=${REDACTED}`],
      ['user%5Bpassword%5D=x', `user%5Bpassword%5D=${REDACTED}`],
      ['data[user][accessToken]=x', `data[user][accessToken]=${REDACTED}`],
      ['user.password=x&user.name=ada', `user.password=${REDACTED}&user.name=ada`],
      ['ACCESS_TOKEN=x&Access-Token=y', `ACCESS_TOKEN=${REDACTED}&Access-Token=${REDACTED}`],
      ['X_AMZ_SIGNATURE=x', `X_AMZ_SIGNATURE=${REDACTED}`],
      ['AWSAccessKeyId=x', `AWSAccessKeyId=${REDACTED}`],
      // a sensitive name inside a longer word is another name
      ['tokenizer=x&passwordless=1&keyword=k', 'tokenizer=x&passwordless=1&keyword=k'],
      ['user[]=x&[]=y&[=z', 'user[]=x&[]=y&[=z'],
    ])('%s -> %s', (query, expected) => {
      expect(redaction.redact(query)).toBe(expected)
    })

    it('lists names once each, in the form users read', () => {
      expect(new Set(DEFAULT_REDACTED_QUERY_PARAMS).size).toBe(DEFAULT_REDACTED_QUERY_PARAMS.length)
      expect(Object.isFrozen(DEFAULT_REDACTED_QUERY_PARAMS)).toBe(true)
    })

    it('handles queries made only of separators, or with one "=" at the very end', () => {
      const ampersands = '&'.repeat(256 * 1024)
      expect(redaction.redact(ampersands)).toBe(ampersands)
      expect(redaction.redact(`${ampersands}token=x`)).toBe(`${ampersands}token=${REDACTED}`)
      const keys = 'k&'.repeat(64 * 1024)
      expect(redaction.redact(`${keys}sig=x`)).toBe(`${keys}sig=${REDACTED}`)
    })
  })

  describe('replacing the list', () => {
    it('uses only the given base list, plus the extra names', () => {
      const redaction = compileQueryRedaction(['invite'], ['state'])
      expect(redaction.redact('state=s&token=t&invite=i')).toBe(
        `state=${REDACTED}&token=t&invite=${REDACTED}`,
      )
      expect(compileQueryRedaction([], []).redact('token=t')).toBe('token=t')
    })

    it('is the sensitiveQueryParams option, validated with the other options', async () => {
      const tracing = setupTracing()
      const app = await listen(
        traceHandler((_req, res) => res.end('ok'), {
          tracerProvider: tracing.provider,
          sensitiveQueryParams: ['Tenant_Key'],
          redactQueryParams: ['invite'],
        }),
      )
      try {
        await request(`${app.url}/?tenantKey=a&token=b&invite=c&state=d`)
        const [span] = await waitForSpans(tracing.exporter, 1)
        expect(span!.attributes['url.query']).toBe(
          `tenantKey=${REDACTED}&token=b&invite=${REDACTED}&state=d`,
        )
      } finally {
        await app.close()
        await tracing.teardown()
      }
      expect(() => traceHandler(() => {}, { sensitiveQueryParams: 'token' as never })).toThrow(
        new TypeError(
          '@tracehop/core: option "sensitiveQueryParams" must be an array of query parameter names; received "token"',
        ),
      )
      expect(() => traceHandler(() => {}, { sensitiveQueryParams: ['ok', 5] as never })).toThrow(
        new TypeError(
          '@tracehop/core: option "sensitiveQueryParams[1]" must be a query parameter name; received 5',
        ),
      )
    })
  })

  describe('end to end', () => {
    let tracing: ReturnType<typeof setupTracing>
    beforeEach(() => {
      tracing = setupTracing()
    })
    afterEach(async () => {
      await tracing.teardown()
    })

    it('redacts camelCase, bracketed and flow parameters of a real request', async () => {
      const app = await listen(
        traceHandler((_req, res) => res.end('ok'), { tracerProvider: tracing.provider }),
      )
      try {
        const secrets = ['s3cr3t-camel', 's3cr3t-bracket', 's3cr3t-encoded', 's3cr3t-saml']
        const query = `accessToken=${secrets[0]}&user[password]=${secrets[1]}&password%5B%5D=${secrets[2]}&SAMLResponse=${secrets[3]}&page=2`
        await request(`${app.url}/callback?${query}`)
        const [span] = await waitForSpans(tracing.exporter, 1)
        const exported = JSON.stringify(span!.attributes)
        for (const secret of secrets) expect(exported).not.toContain(secret)
        expect(span!.attributes['url.query']).toBe(
          `accessToken=${REDACTED}&user[password]=${REDACTED}&password%5B%5D=${REDACTED}&SAMLResponse=${REDACTED}&page=2`,
        )
      } finally {
        await app.close()
      }
    })

    it('no secret value reaches the exported span data', async () => {
      const secrets = {
        bearer: 'Bearer s3cr3t-bearer-value',
        cookie: 'sid=s3cr3t-cookie-value',
        setCookie: 'sid=s3cr3t-set-cookie-value; HttpOnly',
        apiKey: 's3cr3t-api-key-value',
        proxy: 'Basic s3cr3t-proxy-value',
        custom: 's3cr3t-custom-header-value',
        token: 's3cr3t-query-token',
        password: 's3cr3t-query-password',
        signature: 's3cr3t-query-signature',
        userParam: 's3cr3t-user-param',
      }
      const app = await listen(
        traceHandler(
          (_req, res) => {
            res.setHeader('set-cookie', [secrets.setCookie])
            res.setHeader('x-session-secret', secrets.custom)
            res.setHeader('x-visible', 'fine')
            res.end('ok')
          },
          {
            tracerProvider: tracing.provider,
            captureHeaders: {
              request: [
                'authorization',
                'cookie',
                'x-api-key',
                'proxy-authorization',
                'x-session-secret',
                'x-visible',
              ],
              response: ['set-cookie', 'x-session-secret', 'x-visible'],
            },
            redactHeaders: ['X-Session-Secret'],
            redactQueryParams: ['My_Param'],
          },
        ),
      )
      try {
        const query = `token=${secrets.token}&password=${secrets.password}&X-Amz-Signature=${secrets.signature}&my_param=${secrets.userParam}&page=2`
        await request(`${app.url}/login?${query}`, {
          headers: {
            authorization: secrets.bearer,
            cookie: secrets.cookie,
            'x-api-key': secrets.apiKey,
            'proxy-authorization': secrets.proxy,
            'x-session-secret': secrets.custom,
            'x-visible': 'fine',
          },
        })
        const spans = await waitForSpans(tracing.exporter, 1)
        const exported = JSON.stringify(
          spans.map((span) => ({
            name: span.name,
            attributes: span.attributes,
            events: span.events,
            links: span.links,
            status: span.status,
            resource: span.resource.attributes,
          })),
        )
        for (const secret of Object.values(secrets)) {
          expect(exported).not.toContain(secret)
          // nor any distinctive piece of it
          expect(exported).not.toContain(secret.replace(/^.*s3cr3t/, 's3cr3t'))
        }
        const attributes = spans[0]!.attributes
        expect(attributes['url.query']).toBe(
          `token=${REDACTED}&password=${REDACTED}&X-Amz-Signature=${REDACTED}&my_param=${REDACTED}&page=2`,
        )
        for (const name of [
          'authorization',
          'cookie',
          'x-api-key',
          'proxy-authorization',
          'x-session-secret',
        ]) {
          expect(attributes[`http.request.header.${name}`]).toEqual([REDACTED])
        }
        expect(attributes['http.request.header.x-visible']).toEqual(['fine'])
        expect(attributes['http.response.header.set-cookie']).toEqual([REDACTED])
        expect(attributes['http.response.header.x-session-secret']).toEqual([REDACTED])
        expect(attributes['http.response.header.x-visible']).toEqual(['fine'])
      } finally {
        await app.close()
      }
    })
  })
})
