import { runFixture, spawnFixture, type FixtureResult, type RunningFixture } from './fixtures.js'

export const APP = 'packages/node/test/fixtures/traced-app.ts'

/** What the traced app prints about its one request. */
export interface AppReport {
  body: string
  ms: number
  enabled: boolean
  exporter: string
  serviceName: string
  received: Record<string, string | undefined>[]
  warnings: string[]
  /** The development line saying where spans go (not among `warnings`). */
  startup: string[]
  shutdownMs?: number
  stats?: { queued: number; exported: number; dropped: number; failed: number }
}

/** Parses the `report {...}` / `ready {...}` line. */
export function parseReport(stdout: string, prefix = 'report'): AppReport {
  const line = stdout.split('\n').find((l) => l.startsWith(`${prefix} `))
  if (!line) throw new Error(`no "${prefix}" line in the app's output:\n${stdout}`)
  return JSON.parse(line.slice(prefix.length + 1)) as AppReport
}

/** Runs the traced app once to the end; fails the test if it did not exit 0. */
export async function runApp(
  env: Record<string, string | undefined>,
  options: object = {},
  mode = 'once',
): Promise<{ result: FixtureResult; report: AppReport }> {
  const result = await runFixture(APP, {
    env: { ...env, TRACEHOP_OPTIONS: JSON.stringify(options) },
    args: [mode],
  })
  if (result.code !== 0) {
    throw new Error(
      `app exited ${result.code}/${result.signal}\n${result.stdout}\n${result.stderr}`,
    )
  }
  return { result, report: parseReport(result.stdout) }
}

/** Starts the traced app in a mode that waits (`signal`, `app-signal`, `serve`). */
export function startApp(
  env: Record<string, string | undefined>,
  options: object,
  mode: string,
): Promise<RunningFixture> {
  return spawnFixture(APP, {
    env: { ...env, TRACEHOP_OPTIONS: JSON.stringify(options) },
    args: [mode],
  })
}
