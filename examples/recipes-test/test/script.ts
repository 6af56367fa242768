// Runs a recipe the way a reader does: as a script in its own Node process, with
// `--require` of @tracehop/node's register entry, exporting OTLP to an in-process receiver. (Jest's
// sandbox can neither load the OTLP exporters nor see undici's diagnostics channels.)
// esbuild turns the TypeScript into JavaScript and takes @tracehop/* from source, so no build is
// needed; the recipe's other imports are left to Node, resolved from this package's node_modules.
import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build, type Plugin } from 'esbuild'
import { REPO } from './tracing'

function sources(externalFrom: string): Plugin {
  return {
    name: 'tracehop-sources',
    setup(b) {
      b.onResolve({ filter: /^@tracehop\/[a-z]+(\/register)?$/ }, (args) => {
        const [, name, sub] = /^@tracehop\/([a-z]+)(\/register)?$/.exec(args.path)!
        return { path: join(REPO, 'packages', name!, 'src', sub ? 'register.ts' : 'index.ts') }
      })
      // the entry's own imports stay imports; what tracehop's sources import is bundled
      b.onResolve({ filter: /^[^./]/ }, (args) =>
        args.importer.startsWith(externalFrom) ? { path: args.path, external: true } : undefined,
      )
    },
  }
}

// CommonJS packages bundled into an ES module still call require() for Node's builtins. (The
// recipes' Jest transform rewrites every `import.meta` URL in this file too: spelled in two parts.)
const META_URL = ['import', 'meta', 'url'].join('.')
const REQUIRE_BANNER = `import { createRequire as tracehopCreateRequire } from 'node:module'; const require = tracehopCreateRequire(${META_URL});`

async function bundleTo(
  entry: string,
  outfile: string,
  format: 'esm' | 'cjs',
  banner?: string,
): Promise<string> {
  mkdirSync(dirname(outfile), { recursive: true })
  await build({
    ...(banner === undefined ? {} : { banner: { js: banner } }),
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format,
    target: 'node20',
    logLevel: 'error',
    plugins: [sources(dirname(entry))],
  })
  return outfile
}

export interface ScriptResult {
  code: number | null
  stdout: string
  stderr: string
}

/** How {@link runRecipeScript} runs a recipe. */
export interface ScriptOptions {
  /** Kill the recipe after this. Default 60 s. */
  timeoutMs?: number
  /**
   * A recipe file that sets tracing up (`node --import ./<preload> <recipe>`), loaded instead of
   * @tracehop/node's register entry.
   */
  preload?: string
}

/**
 * Runs docs/recipes/<file> as `node --require @tracehop/node/register <recipe>` (or
 * `node --import <preload> <recipe>`); kills it after `timeoutMs`.
 */
export async function runRecipeScript(
  file: string,
  env: Record<string, string>,
  { timeoutMs = 60_000, preload }: ScriptOptions = {},
): Promise<ScriptResult> {
  const cache = join(__dirname, '..', 'node_modules', '.cache', 'recipes')
  const bundleRecipe = (name: string, banner?: string): Promise<string> =>
    bundleTo(
      join(REPO, 'docs', 'recipes', name),
      join(cache, name.replace(/\.ts$/, `.${process.pid}.mjs`)),
      'esm',
      banner,
    )
  const recipe = await bundleRecipe(file)
  // the preload has @tracehop/node's CommonJS dependencies bundled in
  const setup =
    preload === undefined
      ? ['--require', await registerBundle()]
      : ['--import', pathToFileURL(await bundleRecipe(preload, REQUIRE_BANNER)).href]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...setup, recipe], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** @tracehop/node's register entry, bundled where its own dependencies resolve. */
function registerBundle(): Promise<string> {
  // the register entry's own dependencies resolve from @tracehop/node's node_modules
  return bundleTo(
    join(REPO, 'packages', 'node', 'src', 'register.ts'),
    // one file per Jest worker: two workers must not write the same bundle at once
    join(
      REPO,
      'packages',
      'node',
      'node_modules',
      '.cache',
      'recipes-register',
      `register.${process.pid}.cjs`,
    ),
    'cjs',
  )
}
