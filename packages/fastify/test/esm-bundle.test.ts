import { build } from 'esbuild'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

// The fixture app as CommonJS, as ESM run by plain `node` (no loader flags), and as ESM bundled
// by esbuild into one file run outside the repository: all three must print the same spans.
// The fixtures use the BUILT package (dist/), which `pnpm test` builds before jest runs.

const run = promisify(execFile)
const fixtures = join(__dirname, 'fixtures')
const dist = join(__dirname, '..', 'dist')
const built = existsSync(join(dist, 'index.js')) && existsSync(join(dist, 'index.cjs'))
const describeBuilt = built ? describe : describe.skip
if (!built) {
  console.warn(
    '@tracehop/fastify: skipping the ESM / esbuild tests: packages/fastify/dist is missing (run `pnpm build` first)',
  )
}

interface PrintedSpan {
  name: string
  kind: number
  traceId: string
  parentSpanId?: string
  spanId: string
  status: number
  attributes: Record<string, unknown>
}

interface Observed {
  span: Omit<PrintedSpan, 'spanId' | 'attributes'> & {
    route: unknown
    path: unknown
    statusCode: unknown
    errorType: unknown
  }
  reply: {
    path: string
    status: number
    handlerSawServerSpan: boolean
    preHandlerSawServerSpan: boolean
  }
}

async function observe(file: string, fastify: '4' | '5'): Promise<Observed[]> {
  const { stdout } = await run(process.execPath, [file], {
    env: { ...process.env, FIXTURE_FASTIFY: fastify, NODE_OPTIONS: '' },
    timeout: 60_000,
  })
  const lines = stdout.split('\n')
  const spans = lines
    .filter((line) => line.startsWith('SPAN '))
    .map((line) => JSON.parse(line.slice(5)) as PrintedSpan)
  const replies = lines
    .filter((line) => line.startsWith('REPLY '))
    .map((line) => JSON.parse(line.slice(6)) as { path: string; status: number; body: string })
  expect(spans).toHaveLength(replies.length)
  return replies.map((reply) => {
    const span = spans.find((s) => s.attributes['url.path'] === reply.path)!
    const body = JSON.parse(reply.body) as { handler?: string; preHandler?: string }
    return {
      span: {
        name: span.name,
        kind: span.kind,
        traceId: span.traceId,
        parentSpanId: span.parentSpanId,
        status: span.status,
        route: span.attributes['http.route'],
        path: span.attributes['url.path'],
        statusCode: span.attributes['http.response.status_code'],
        errorType: span.attributes['error.type'],
      },
      reply: {
        path: reply.path,
        status: reply.status,
        handlerSawServerSpan: body.handler === span.spanId,
        preHandlerSawServerSpan: body.preHandler === span.spanId,
      },
    }
  })
}

describeBuilt('the same app as CommonJS, ESM and an esbuild bundle', () => {
  const out = mkdtempSync(join(tmpdir(), 'tracehop-fastify-bundle-'))
  const bundle = join(out, 'app.bundle.mjs')
  beforeAll(async () => {
    await build({
      entryPoints: [join(fixtures, 'app.mjs')],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      // CommonJS dependencies bundled into ESM still call require() for node builtins
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
      logLevel: 'silent',
    })
  }, 60_000)
  afterAll(() => rmSync(out, { recursive: true, force: true }))

  describe.each(['4', '5'] as const)('fastify %s', (fastify) => {
    it('prints the expected spans from the CommonJS app', async () => {
      const observed = await observe(join(fixtures, 'app.cjs'), fastify)
      expect(observed).toEqual([
        {
          span: {
            name: 'GET /api/orders/:id',
            kind: 1,
            traceId: '0af7651916cd43dd8448eb211c80319c',
            parentSpanId: 'b7ad6b7169203331',
            status: 0,
            route: '/api/orders/:id',
            path: '/api/orders/7',
            statusCode: 200,
            errorType: undefined,
          },
          reply: {
            path: '/api/orders/7',
            status: 200,
            handlerSawServerSpan: true,
            preHandlerSawServerSpan: true,
          },
        },
        {
          span: {
            name: 'POST /api/orders/:id/fail',
            kind: 1,
            traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
            parentSpanId: '00f067aa0ba902b7',
            status: 2,
            route: '/api/orders/:id/fail',
            path: '/api/orders/7/fail',
            statusCode: 500,
            errorType: '500',
          },
          reply: {
            path: '/api/orders/7/fail',
            status: 500,
            handlerSawServerSpan: false,
            preHandlerSawServerSpan: false,
          },
        },
        {
          span: {
            name: 'GET',
            kind: 1,
            traceId: '5bf92f3577b34da6a3ce929d0e0e4736',
            parentSpanId: '00f067aa0ba902b8',
            status: 0,
            route: undefined,
            path: '/nothing',
            statusCode: 404,
            errorType: undefined,
          },
          reply: {
            path: '/nothing',
            status: 404,
            handlerSawServerSpan: false,
            preHandlerSawServerSpan: false,
          },
        },
      ])
    }, 60_000)

    it('prints the same spans from the ESM app run with plain node', async () => {
      const [cjs, esm] = await Promise.all([
        observe(join(fixtures, 'app.cjs'), fastify),
        observe(join(fixtures, 'app.mjs'), fastify),
      ])
      expect(esm).toEqual(cjs)
    }, 60_000)

    it('prints the same spans from the esbuild bundle run outside the repository', async () => {
      const [cjs, bundled] = await Promise.all([
        observe(join(fixtures, 'app.cjs'), fastify),
        observe(bundle, fastify),
      ])
      expect(bundled).toEqual(cjs)
    }, 60_000)
  })
})
