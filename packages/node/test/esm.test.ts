import { SpanKind } from '@opentelemetry/api'
import { startOtlpReceiver, type OtlpReceiver } from '../../../test-utils/otlp-receiver.js'
import { repoDir, spawnNode } from './helpers/fixtures.js'

// An ESM app with no tracing code, started with `--import @tracehop/node/register` (the demo's
// source loader maps the package to its TypeScript sources): since tracing starts before the app
// imports node:http, even a named import of http.get is traced.
let receiver: OtlpReceiver
beforeAll(async () => {
  receiver = await startOtlpReceiver()
})
afterAll(() => receiver.close())

it('traces http.get (default and named imports) and fetch in an ESM app', async () => {
  const result = await spawnNode(
    [
      '--import',
      './examples/demo/loader.mjs',
      '--import',
      '@tracehop/node/register',
      './packages/node/test/fixtures/esm-app.mjs',
    ],
    { cwd: repoDir, env: { OTEL_SERVICE_NAME: 'esm', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } },
  ).done
  expect(result).toMatchObject({
    code: 0,
    stderr: `@tracehop/node: spans go to ${receiver.url}/v1/traces (OTLP http/protobuf)\n`,
  })
  const received = JSON.parse(result.stdout) as { path: string; traceparent?: string }[]
  expect(received.map((r) => r.path)).toEqual(['/default-import', '/named-import', '/fetch'])
  const spans = await receiver.waitForSpans((all) => all.length >= 3)
  for (const { path, traceparent } of received) {
    const client = spans.find(
      (s) => s.kind === SpanKind.CLIENT && String(s.attributes['url.full']).endsWith(path),
    )
    expect(client).toBeDefined()
    expect(traceparent).toBe(`00-${client!.traceId}-${client!.spanId}-03`)
  }
})
