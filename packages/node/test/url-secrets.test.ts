import { SpanKind } from '@opentelemetry/api'
import { startOtlpReceiver, type OtlpReceiver } from '../../../test-utils/otlp-receiver.js'
import { runFixture, type FixtureResult } from './helpers/fixtures.js'

// A secret in an outgoing URL (userinfo, token and password in the query) must not reach the
// collector nor the console: the real OTLP exporter sends to an in-process receiver, and the
// bytes it received, and everything the app printed, are searched for the secrets.
const USER = 'ada-user'
const PASSWORD = 'pw-Hunter2-secret'
const TOKEN = 'S1-token-value'
const SECRET = 'S2-password-value'
const SECRETS = [
  PASSWORD,
  TOKEN,
  SECRET,
  USER,
  Buffer.from(`${USER}:${PASSWORD}`).toString('base64'),
]

let receiver: OtlpReceiver
beforeEach(async () => {
  receiver = await startOtlpReceiver()
})
afterEach(() => receiver.close())

async function run(protocol: string): Promise<{ result: FixtureResult; port: number }> {
  const result = await runFixture('packages/node/test/fixtures/url-secrets-app.ts', {
    env: {
      OTEL_SERVICE_NAME: 'secrets',
      OTEL_TRACES_EXPORTER: 'otlp,console',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      SECRETS: [USER, PASSWORD, TOKEN, SECRET].join(','),
    },
  })
  // the development line saying where spans go is all tracehop prints
  expect(result).toMatchObject({
    code: 0,
    stderr: `@tracehop/node: spans go to the console waterfall and ${receiver.url}/v1/traces (OTLP ${protocol})\n`,
  })
  const line = result.stdout.split('\n').find((l) => l.startsWith('report '))!
  const report = JSON.parse(line.slice('report '.length)) as { port: number; sawSecrets: number }
  // the secrets did travel: the server got the query and the credentials of both calls
  expect(report.sawSecrets).toBe(3)
  return { result, port: report.port }
}

describe.each(['http/protobuf', 'http/json'])('exporting %s', (protocol) => {
  it('records url.full of http.get and fetch without userinfo, with the query redacted', async () => {
    const { port } = await run(protocol)
    const spans = await receiver.waitForSpans((all) => all.length >= 4)
    const clients = spans.filter((s) => s.kind === SpanKind.CLIENT)
    const servers = spans.filter((s) => s.kind === SpanKind.SERVER)
    expect(clients).toHaveLength(2)
    const expected = `http://127.0.0.1:${port}/api?token=REDACTED&password=REDACTED`
    expect(clients.map((s) => s.attributes['url.full'])).toEqual([expected, expected])
    // the same rules as the server's url.query
    for (const server of servers) {
      expect(`?${String(server.attributes['url.query'])}`).toBe(
        expected.slice(expected.indexOf('?')),
      )
    }
  })

  it('sends none of the secrets to the collector', async () => {
    await run(protocol)
    await receiver.waitForSpans((all) => all.length >= 4)
    const raw = Buffer.concat(receiver.requests.map((r) => r.body))
    expect(raw.includes('/api')).toBe(true) // the URLs are in there, searched as sent
    for (const secret of SECRETS)
      expect({ secret, found: raw.includes(secret) }).toEqual({
        secret,
        found: false,
      })
  })
})

it('prints the target without the secrets in the console waterfall', async () => {
  const { result, port } = await run('http/protobuf')
  const printed = result.stdout + result.stderr
  expect(printed).toContain(`→ 127.0.0.1:${port}/api?token=REDACTED&password=REDACTED`)
  for (const secret of SECRETS)
    expect({ secret, found: printed.includes(secret) }).toEqual({
      secret,
      found: false,
    })
})
