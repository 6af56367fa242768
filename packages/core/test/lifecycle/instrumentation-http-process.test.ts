import { execFile } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { build } from 'esbuild'

const packageDir = resolve(__dirname, '../..')
// under this package's node_modules so Node resolves the OpenTelemetry packages from the bundle
const outDir = join(packageDir, 'node_modules/.cache/tracehop-core-fixtures', String(process.pid))

afterAll(() => rmSync(outDir, { recursive: true, force: true }))

describe('instrumentation-http registered through its require hook, in a real process', () => {
  it('leaves exactly one SERVER span: its own, adopted and enriched by tracehop', async () => {
    mkdirSync(outDir, { recursive: true })
    const outfile = join(outDir, 'instrumentation-http-app.cjs')
    await build({
      entryPoints: [join(packageDir, 'test/fixtures/instrumentation-http-app.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'error',
      // tracehop from source, every package from node_modules as an application would load it
      packages: 'external',
    })
    const stdout = await new Promise<string>((resolveRun, reject) => {
      execFile(process.execPath, [outfile], { timeout: 30_000 }, (error, out, err) => {
        if (error) reject(new Error(`${error.message}\n${err}`))
        else resolveRun(out)
      })
    })
    const result = JSON.parse(stdout) as {
      adopted: string
      spans: {
        name: string
        kind: number
        scope: string
        traceId: string
        parentSpanId?: string
        attributes: Record<string, unknown>
      }[]
    }
    expect(result.adopted).toBe('true')
    expect(result.spans).toHaveLength(1)
    const [span] = result.spans
    expect(span).toMatchObject({
      name: 'GET /orders/:id',
      kind: 1,
      scope: '@opentelemetry/instrumentation-http',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      parentSpanId: 'b7ad6b7169203331',
    })
    expect(span?.attributes['http.route']).toBe('/orders/:id')
    expect(span?.attributes['url.query']).toBe('token=REDACTED')
  }, 60_000)
})
