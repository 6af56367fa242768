// docs/getting-started.md as a newcomer follows it: a package made by `npm init -y`, switched to
// ES modules with `npm pkg set type=module`, the page's app.js verbatim (only its port changed to
// a free one), started with `node --import @tracehop/node/register app.js`. The packages are this
// repository's BUILT ones, found from the folder the way npm's node_modules would give them.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { REPO, waitFor } from './tracing'

const page = readFileSync(join(REPO, 'docs', 'getting-started.md'), 'utf8')
const snippet = /<!-- getting-started: app\.js -->\n```js\n([\s\S]*?)```\n/.exec(page)?.[1]
const built = ['node', 'express'].every((name) =>
  existsSync(join(REPO, 'packages', name, 'dist', 'index.js')),
)
if (!built) console.warn('getting-started: skipped, packages/*/dist is missing (run `pnpm build`)')
const describeBuilt = built ? describe : describe.skip

const dir = join(__dirname, '..', 'node_modules', '.cache', `getting-started-${process.pid}`)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** `npm init -y` (npm 11 writes `"type": "commonjs"`), then `npm pkg set type=<type>`. */
function writeProject(type: 'module' | 'commonjs', app: string): void {
  mkdirSync(dir, { recursive: true })
  const manifest = { name: 'orders', version: '1.0.0', main: 'index.js', type, license: 'ISC' }
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2))
  writeFileSync(join(dir, 'app.js'), app)
}

function start(): {
  output: () => { stdout: string; stderr: string }
  stop: () => Promise<number | null>
} {
  const child = spawn(process.execPath, ['--import', '@tracehop/node/register', 'app.js'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', OTEL_SERVICE_NAME: 'orders' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve))
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  return {
    output: () => ({ stdout, stderr }),
    stop: async () => {
      child.kill('SIGTERM')
      const code = await closed
      clearTimeout(timer)
      return code
    },
  }
}

/** GETs `url` once the app listens (connection refused until then), as JSON. */
async function getWhenUp(url: string): Promise<unknown> {
  const deadline = Date.now() + 20_000
  for (;;) {
    try {
      return await (await fetch(url)).json()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

describeBuilt('getting started, as written', () => {
  it('shows the app.js snippet', () => {
    expect(snippet).toContain('app.use(traceMiddleware()) // first, before any other middleware')
  })

  it('after npm init -y && npm pkg set type=module: serves, and prints the trace as a waterfall', async () => {
    const port = await freePort()
    writeProject('module', snippet!.replace('app.listen(3000)', `app.listen(${port})`))
    const app = start()
    try {
      expect(await getWhenUp(`http://127.0.0.1:${port}/orders/42`)).toEqual({ id: '42' })
      const printed = await waitFor(`the waterfall in ${JSON.stringify(app.output())}`, () =>
        /^trace [0-9a-f]{32} {2}orders GET \/orders\/:id {2}.*· 1 span · orders$/m.test(
          app.output().stdout,
        )
          ? app.output().stdout
          : undefined,
      )
      expect(printed).toMatch(/^ {2}orders {2}GET \/orders\/:id {2}server {3}│█+│ .* 200$/m)
    } finally {
      await app.stop()
    }
  }, 60_000)

  it('without type=module the same file is the SyntaxError the page warns of', async () => {
    writeProject('commonjs', snippet!)
    const app = start()
    await waitFor('the process to fail', () =>
      app.output().stderr.includes('SyntaxError') ? true : undefined,
    )
    await app.stop()
    expect(app.output().stderr).toContain('Cannot use import statement outside a module')
  }, 60_000)
})
