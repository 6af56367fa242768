// Builds the page (src/page) into dist/page: index.html, assets/app.js and assets/app.css.
// Runs after tsup (which empties dist/). Prints the sizes; fails over the JS budget.
//   node scripts/build-page.mjs [--outdir DIR] [--dev]
import { build } from 'esbuild'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const packageDir = fileURLToPath(new URL('..', import.meta.url))

/** The most JavaScript the page may ship, gzipped. */
export const JS_BUDGET_GZIP = 150 * 1024

// Absolute asset paths: the same index.html answers `/` and `/trace/<id>`. No inline script or
// style: the server's Content-Security-Policy allows only files from 'self'.
const INDEX_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light dark" />
    <title>tracehop viewer</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="/assets/app.css" />
    <script type="module" src="/assets/app.js"></script>
  </head>
  <body>
    <div id="app"></div>
    <noscript>The tracehop viewer needs JavaScript; the API answers at /api/traces.</noscript>
  </body>
</html>
`

/**
 * Bundles the page into `outdir` (default dist/page) and returns the sizes in bytes.
 * @param {{ outdir?: string, minify?: boolean }} [options]
 */
export async function buildPage(options = {}) {
  const outdir = resolve(options.outdir ?? join(packageDir, 'dist', 'page'))
  const assets = join(outdir, 'assets')
  mkdirSync(assets, { recursive: true })
  await build({
    entryPoints: { app: join(packageDir, 'src', 'page', 'main.tsx') },
    outdir: assets,
    bundle: true,
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: options.minify ?? true,
    sourcemap: false,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: join(packageDir, 'src', 'page', 'tsconfig.json'),
    legalComments: 'none',
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  })
  writeFileSync(join(outdir, 'index.html'), INDEX_HTML)
  const size = (name) => {
    const body = readFileSync(join(assets, name))
    return { bytes: body.length, gzip: gzipSync(body, { level: 9 }).length }
  }
  return { outdir, js: size('app.js'), css: size('app.css') }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const at = args.indexOf('--outdir')
  const sizes = await buildPage({
    outdir: at >= 0 ? args[at + 1] : undefined,
    minify: !args.includes('--dev'),
  })
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`
  console.log(
    `page → ${sizes.outdir}: app.js ${kb(sizes.js.bytes)} (${kb(sizes.js.gzip)} gzipped), app.css ${kb(sizes.css.bytes)} (${kb(sizes.css.gzip)} gzipped)`,
  )
  if (sizes.js.gzip > JS_BUDGET_GZIP) {
    console.error(`the page's JavaScript is over its budget of ${kb(JS_BUDGET_GZIP)} gzipped`)
    process.exitCode = 1
  }
}
