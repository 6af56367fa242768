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
      ['session_token=s&code=c&state=ok', `session_token=${REDACTED}&code=${REDACTED}&state=ok`],
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

  describe('end to end', () => {
    let tracing: ReturnType<typeof setupTracing>
    beforeEach(() => {
      tracing = setupTracing()
    })
    afterEach(async () => {
      await tracing.teardown()
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
