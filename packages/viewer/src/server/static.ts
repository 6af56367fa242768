// The page: the built files of dist/page, index.html for every page path (the page routes itself).
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import type { ServerResponse } from 'node:http'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
}

// Span data reaches the page only through the API as JSON and is rendered as text; the policy
// also keeps any script but the bundle from running should some text ever become markup.
const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-cache',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tracehop viewer</title></head>
<body><h1>tracehop viewer</h1>
<p>The page is not built in this copy (run the package's <code>build</code>). The API answers:
<a href="/api/traces">/api/traces</a>, <a href="/api/stats">/api/stats</a>,
<a href="/api/red">/api/red</a>, <a href="/api/service-map">/api/service-map</a>.</p>
</body></html>
`

/** Where the built page is: `dist/page` beside the bundle, or of the package when run from src. */
export function defaultPageDir(): string {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url))
  const candidates = [join(here, 'page'), join(here, '..', '..', 'dist', 'page')]
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!
}

/** Serves the page's files from `dir`; caches them after the first read. */
export class PageFiles {
  private readonly cache = new Map<string, Buffer | null>()

  constructor(private readonly dir: string) {}

  /** Answers a page path (`/`, `/trace/<id>`, …) with index.html, or the placeholder. */
  async index(response: ServerResponse, head: boolean): Promise<void> {
    const html = (await this.read('index.html')) ?? Buffer.from(PLACEHOLDER)
    response.writeHead(200, { ...HTML_HEADERS, 'content-length': html.length })
    response.end(head ? undefined : html)
  }

  /** Answers `/assets/<name>`; `false` when there is no such file. */
  async asset(name: string, response: ServerResponse, head: boolean): Promise<boolean> {
    if (!/^[\w][\w.-]*$/.test(name)) return false
    const type = TYPES[extname(name)]
    if (type === undefined) return false
    const body = await this.read(join('assets', name))
    if (body === null) return false
    response.writeHead(200, {
      'content-type': type,
      'content-length': body.length,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    })
    response.end(head ? undefined : body)
    return true
  }

  private async read(relative: string): Promise<Buffer | null> {
    if (this.cache.has(relative)) return this.cache.get(relative)!
    let body: Buffer | null
    try {
      body = await readFile(join(this.dir, relative))
    } catch {
      body = null
    }
    // A missing index.html is looked for again, so a page built while the viewer runs shows up.
    if (body !== null) this.cache.set(relative, body)
    return body
  }
}
