// The harness for the fixture apps each framework package writes twice, as CommonJS and as ESM:
// runs one in a child `node`, bundles one with esbuild, and pairs the spans it printed with the
// replies it printed (see span-printer.cjs for the printing side).
import { build } from 'esbuild'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** One `SPAN ` line a fixture app printed. */
export interface PrintedSpan {
  name: string
  kind: number
  traceId: string
  parentSpanId?: string
  spanId: string
  status: number
  attributes: Record<string, unknown>
}

/** One `REPLY ` line a fixture app printed: what its own request to itself got back. */
export interface PrintedReply {
  path: string
  status: number
  body: string
}

/** The span of one reply, reduced to what must not differ between CommonJS, ESM and a bundle. */
export interface ObservedSpan {
  name: string
  kind: number
  traceId: string
  parentSpanId?: string
  status: number
  route: unknown
  path: unknown
  statusCode: unknown
  errorType: unknown
}

/**
 * `describe` when `packages/<name>/dist` holds both builds, else `describe.skip` with a warning:
 * the fixtures load the BUILT package, which `pnpm test` builds before jest runs.
 * @example const describeBuilt = describeIfBuilt('express', join(__dirname, '..', 'dist'))
 */
export function describeIfBuilt(name: string, dist: string): jest.Describe {
  if (existsSync(join(dist, 'index.js')) && existsSync(join(dist, 'index.cjs'))) return describe
  console.warn(
    `@tracehop/${name}: skipping the ESM / esbuild tests: packages/${name}/dist is missing (run \`pnpm build\` first)`,
  )
  return describe.skip
}

/**
 * Bundles `entry` with esbuild into one file in a temporary folder outside the repository before
 * the suite's tests, and removes the folder after them. Call inside a `describe`.
 * @returns the bundle's path
 */
export function useFixtureBundle(entry: string, format: 'cjs' | 'esm'): string {
  const out = mkdtempSync(join(tmpdir(), 'tracehop-bundle-'))
  const bundle = join(out, format === 'cjs' ? 'app.bundle.cjs' : 'app.bundle.mjs')
  beforeAll(async () => {
    await build({
      entryPoints: [entry],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format,
      logLevel: 'silent',
      // CommonJS dependencies bundled into ESM still call require() for node builtins
      ...(format === 'esm' && {
        banner: {
          js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        },
      }),
    })
  }, 60_000)
  afterAll(() => rmSync(out, { recursive: true, force: true }))
  return bundle
}

/**
 * Runs a fixture app with plain `node` and pairs each printed reply with the span of its path.
 * `replyFields` adds what the package checks from the reply body and the span.
 */
export async function observeFixture<R>(
  file: string,
  env: Record<string, string>,
  replyFields: (reply: PrintedReply, span: PrintedSpan) => R,
): Promise<{ span: ObservedSpan; reply: { path: string; status: number } & R }[]> {
  const { stdout } = await run(process.execPath, [file], {
    env: { ...process.env, ...env, NODE_OPTIONS: '' },
    timeout: 60_000,
  })
  const lines = stdout.split('\n')
  const spans = lines
    .filter((line) => line.startsWith('SPAN '))
    .map((line) => JSON.parse(line.slice(5)) as PrintedSpan)
  const replies = lines
    .filter((line) => line.startsWith('REPLY '))
    .map((line) => JSON.parse(line.slice(6)) as PrintedReply)
  expect(spans).toHaveLength(replies.length)
  return replies.map((reply) => {
    const span = spans.find((s) => s.attributes['url.path'] === reply.path)!
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
      reply: { path: reply.path, status: reply.status, ...replyFields(reply, span) },
    }
  })
}
