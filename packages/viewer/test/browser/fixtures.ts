// What the end-to-end tests run against: the page as built from its sources now, and the demo's
// five traces, sent by the demo itself through its real OTLP exporter.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { tempDir } from '../helpers.js'

const exec = promisify(execFile)
const packageDir = join(__dirname, '..', '..')
const repoDir = join(packageDir, '..', '..')

/** Builds the page into a fresh folder (a child process: esbuild runs outside Jest's VM). */
export async function buildPageDir(): Promise<string> {
  const dir = join(tempDir(), 'page')
  await exec(process.execPath, [join(packageDir, 'scripts', 'build-page.mjs'), '--outdir', dir])
  return dir
}

/** One scenario line of the demo's output. */
export interface DemoRequest {
  outcome: string
  traceId: string
}

/**
 * Runs `pnpm demo` with its traces going over OTLP to `otlpEndpoint` as well; returns the five
 * requests it printed, in order.
 */
export async function runDemo(otlpEndpoint: string): Promise<DemoRequest[]> {
  const { stdout } = await exec(
    process.execPath,
    ['--import', './examples/demo/loader.mjs', './examples/demo/src/main.ts'],
    {
      cwd: repoDir,
      // its own viewer on a free port, so a viewer already on 4318 is left alone
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint, VIEWER_PORT: '0' },
      timeout: 60_000,
    },
  )
  return [...stdout.matchAll(/^POST \/api\/orders \S+ → (.*) · trace ([0-9a-f]{32})$/gm)].map(
    (m) => ({ outcome: m[1]!, traceId: m[2]! }),
  )
}
