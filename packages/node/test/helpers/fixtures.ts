// Runs test fixtures in real child processes. The OTLP exporters load `http` through a dynamic
// `import()`, which Jest's module sandbox refuses, and signals and exit codes need a real process
// anyway. Each fixture is bundled once with esbuild, @tracehop/* from source, everything else
// left to Node's resolution (the bundle sits under this package's node_modules/.cache).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { build, type Plugin } from 'esbuild'

const packageDir = resolve(__dirname, '../..')
/** The repository root. */
export const repoDir = resolve(packageDir, '../..')
// One directory per worker: Jest workers bundling the same fixture at once must not write the
// same file while a child of the other reads it. Removed after each test file that used it.
const outDir = join(packageDir, 'node_modules/.cache/tracehop-fixtures', String(process.pid))
afterAll(() => rmSync(outDir, { recursive: true, force: true }))
const built = new Map<string, Promise<string>>()

const sources: Plugin = {
  name: 'tracehop-sources',
  setup(build) {
    build.onResolve({ filter: /^@tracehop\/[a-z]+(\/register)?$/ }, (args) => {
      const [, name, sub] = /^@tracehop\/([a-z]+)(\/register)?$/.exec(args.path)!
      const file = sub ? 'register.ts' : 'index.ts'
      return { path: join(repoDir, 'packages', name!, 'src', file) }
    })
    build.onResolve({ filter: /^[^./]/ }, (args) => ({ path: args.path, external: true }))
  },
}

/** Bundles `file` (absolute or relative to the repo) into a runnable CommonJS file, once. */
export function bundle(file: string): Promise<string> {
  const entry = resolve(repoDir, file)
  const cached = built.get(entry)
  if (cached) return cached
  mkdirSync(outDir, { recursive: true })
  const outfile = join(outDir, `${entry.slice(repoDir.length + 1).replace(/[/\\]/g, '_')}.cjs`)
  const done = build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'error',
    plugins: [sources],
  }).then(() => outfile)
  built.set(entry, done)
  return done
}

/** What a finished child process left behind. */
export interface FixtureResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Options of {@link spawnFixture}. */
export interface FixtureOptions {
  env?: Record<string, string | undefined>
  args?: string[]
  /** Working directory. Default: this package. */
  cwd?: string
  /** Flags for node itself, before the script (`--import`, ...). */
  nodeArgs?: string[]
  /** Kill the child (SIGKILL) if it is still running after this. Default 20 s. */
  timeoutMs?: number
}

/** A running fixture: the child, and a promise of how it ended. */
export interface RunningFixture {
  child: ChildProcess
  done: Promise<FixtureResult>
  /** Resolves once stdout contains `text`. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>
  /** What the child printed on stdout so far. */
  stdout(): string
  /** What the child printed on stderr so far. */
  stderr(): string
}

/** Clean environment for a fixture: no OTEL_* or NODE_ENV from the test runner leak in. */
function childEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('OTEL_') || key === 'NODE_ENV' || key.startsWith('JEST_')) continue
    env[key] = value
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key]
    else env[key] = value
  }
  return env
}

/** Starts a fixture file in a child process. */
export async function spawnFixture(
  file: string,
  options: FixtureOptions = {},
): Promise<RunningFixture> {
  return spawnNode([await bundle(file)], options)
}

/** Starts `node [nodeArgs] ...argv [args]` from the repository root with a clean environment. */
export function spawnNode(argv: string[], options: FixtureOptions = {}): RunningFixture {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), ...argv, ...(options.args ?? [])],
    {
      env: childEnv(options.env ?? {}),
      cwd: options.cwd ?? packageDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stdout = ''
  let stderr = ''
  const listeners = new Set<() => void>()
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    for (const listener of [...listeners]) listener()
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000)
  const done = new Promise<FixtureResult>((resolveDone) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      for (const listener of [...listeners]) listener()
      resolveDone({ code, signal, stdout, stderr })
    })
  })
  const waitForOutput = (text: string, timeoutMs = 15_000): Promise<void> =>
    new Promise((resolveWait, reject) => {
      const check = (): void => {
        if (stdout.includes(text)) {
          listeners.delete(check)
          clearTimeout(t)
          resolveWait()
        } else if (child.exitCode !== null || child.signalCode !== null) {
          listeners.delete(check)
          clearTimeout(t)
          reject(new Error(`fixture exited before printing "${text}"\n${stdout}\n${stderr}`))
        }
      }
      const t = setTimeout(() => {
        listeners.delete(check)
        reject(
          new Error(`fixture did not print "${text}" in ${timeoutMs} ms\n${stdout}\n${stderr}`),
        )
      }, timeoutMs)
      listeners.add(check)
      check()
    })
  return { child, done, waitForOutput, stdout: () => stdout, stderr: () => stderr }
}

/** Runs a fixture to the end. */
export async function runFixture(
  file: string,
  options: FixtureOptions = {},
): Promise<FixtureResult> {
  return (await spawnFixture(file, options)).done
}
