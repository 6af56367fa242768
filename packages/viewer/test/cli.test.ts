import { spawn, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { parseCli } from '../src/cli-args.js'
import { batch, otlpSpan, tempDir } from './helpers.js'

const CLI = join(__dirname, '..', 'src', 'cli.ts')

// The CLI from source, bundled once with esbuild (dependencies left to node_modules), run by node
// in a child process as the bin would be.
let built: Promise<string> | undefined
async function cliPath(): Promise<string> {
  built ??= (async () => {
    const { build } = await import('esbuild')
    // Inside the package, so that node finds the dependencies the bundle leaves out.
    const outfile = join(__dirname, '..', 'node_modules', '.cache', `cli-${process.pid}.mjs`)
    await build({
      entryPoints: [CLI],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'error',
    })
    return outfile
  })()
  return built
}

interface Run {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  exited: Promise<number | null>
  line(): Promise<string>
}

async function run(args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [await cliPath(), ...args], {
    cwd: join(__dirname, '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c))
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    line: () =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const end = stdout.indexOf('\n')
          if (end >= 0) resolve(stdout.slice(0, end))
        }
        child.stdout!.on('data', check)
        child.on('exit', () =>
          reject(new Error(`exited before printing a line; stderr: ${stderr}`)),
        )
        check()
      }),
  }
}

afterAll(async () => {
  if (built !== undefined) rmSync(await built, { force: true })
})

describe('tracehop-viewer', () => {
  it('prints one line with its URL and the OTEL_EXPORTER_OTLP_ENDPOINT, then receives', async () => {
    const file = join(tempDir(), 'traces.ndjson')
    const cli = await run(['--port', '0', '--file', file])
    try {
      const line = await cli.line()
      const match =
        /^tracehop viewer on (http:\/\/127\.0\.0\.1:(\d+)\/) · send spans with OTEL_EXPORTER_OTLP_ENDPOINT=(http:\/\/127\.0\.0\.1:\d+) · 0 spans loaded from /.exec(
          line,
        )
      expect(match).not.toBeNull()
      const [, url, port, endpoint] = match!
      expect(Number(port)).toBeGreaterThan(0)
      expect(`${endpoint}/`).toBe(url)
      const response = await fetch(`${endpoint}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(batch({ cli: [otlpSpan({})] })),
      })
      expect(response.status).toBe(200)
      expect(await (await fetch(`${url}api/stats`)).json()).toMatchObject({
        spanCount: 1,
        services: ['cli'],
      })
      expect(cli.stderr()).toBe('')
    } finally {
      cli.child.kill('SIGTERM')
    }
    expect(await cli.exited).toBe(0)
  })

  it('warns when --host makes it reachable from elsewhere', async () => {
    const cli = await run(['--port', '0', '--host', '0.0.0.0'])
    try {
      await cli.line()
      expect(cli.stderr()).toContain(
        'warning: listening on 0.0.0.0, not only on this machine: traces can hold personal data',
      )
    } finally {
      cli.child.kill('SIGTERM')
    }
    await cli.exited
  })

  it.each([
    [['--bogus'], "tracehop-viewer: Unknown option '--bogus'"],
    [['--port', 'x'], 'tracehop-viewer: --port must be an integer from 0 to 65535; received "x"'],
    [
      ['--port', '70000'],
      'tracehop-viewer: --port must be an integer from 0 to 65535; received "70000"',
    ],
    [
      ['--max-spans', '0'],
      'tracehop-viewer: --max-spans must be an integer from 1 to 10000000; received "0"',
    ],
    [['stray'], "tracehop-viewer: Unexpected argument 'stray'"],
  ])('exits 2 with a clear message for %j', async (args, message) => {
    const cli = await run(args)
    expect(await cli.exited).toBe(2)
    expect(cli.stderr().split('\n')[0]).toContain(message)
    expect(cli.stderr()).toContain('Run tracehop-viewer --help for the options.')
  })

  it('prints its usage for --help and exits 0', async () => {
    const cli = await run(['--help'])
    expect(await cli.exited).toBe(0)
    expect(cli.stdout()).toMatch(/^Usage: tracehop-viewer \[options\]/)
    expect(cli.stdout()).toContain('--max-spans N')
  })

  it('exits 1 and says so when the port is taken', async () => {
    const first = await run(['--port', '0'])
    const port = /:(\d+)\//.exec(await first.line())![1]!
    try {
      const second = await run(['--port', port])
      expect(await second.exited).toBe(1)
      expect(second.stderr()).toContain(`port ${port} is in use`)
    } finally {
      first.child.kill('SIGTERM')
    }
    await first.exited
  })
})

describe('parseCli', () => {
  it('maps the flags to options', () => {
    expect(
      parseCli([
        '--port',
        '0',
        '--host',
        '::1',
        '--max-spans',
        '50',
        '--file',
        'x.ndjson',
        '--allow-origin',
        'http://localhost:5173',
        '--allow-origin',
        '*',
      ]),
    ).toEqual({
      port: 0,
      host: '::1',
      maxSpans: 50,
      file: 'x.ndjson',
      allowedOrigins: ['http://localhost:5173', '*'],
    })
    expect(parseCli([])).toEqual({})
    expect(parseCli(['-h'])).toBe('help')
    expect(parseCli(['--allow-origin', 'localhost'])).toBe(
      '--allow-origin must be an origin like http://localhost:5173 or *; received "localhost"',
    )
  })
})
