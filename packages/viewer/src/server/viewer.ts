// One HTTP server on one port: OTLP in, the page and its API out.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { normalizeOptions, type NormalizedOptions } from '../options.js'
import type { Viewer, ViewerOptions } from '../types.js'
import { handleApi } from './api.js'
import { allowedOrigin, isLoopback, isLocalHostHeader } from './access.js'
import { EventHub } from './events.js'
import type { Limits, NormalizedRequest } from './normalize.js'
import { TraceFile, type LoadResult } from './persist.js'
import { handleOtlp } from './receiver.js'
import { defaultPageDir, PageFiles } from './static.js'
import { TraceStore } from './store.js'

const OTLP_SIGNALS: Record<string, 'traces' | 'metrics' | 'logs'> = {
  '/v1/traces': 'traces',
  '/v1/metrics': 'metrics',
  '/v1/logs': 'logs',
}

/** A running viewer, with what the CLI prints about it. */
export interface StartedViewer extends Viewer {
  /** What `file` held when the viewer started (`undefined` without `file`). */
  readonly loaded: LoadResult | undefined
}

/**
 * Starts the viewer: the OTLP/HTTP receiver on `/v1/traces`, the page on `/` and
 * `/trace/<traceId>`, and its API on `/api/*`, all on one port.
 * @example
 * const viewer = await startViewer({ port: 0 })
 * process.env.OTEL_EXPORTER_OTLP_ENDPOINT = viewer.otlpEndpoint
 * // ... open viewer.url, then
 * await viewer.close()
 */
export async function startViewer(options?: ViewerOptions): Promise<StartedViewer> {
  return start(normalizeOptions(options), defaultPageDir())
}

/** {@link startViewer} with normalised options and the page's folder (tests pass their own). */
export async function start(options: NormalizedOptions, pageDir: string): Promise<StartedViewer> {
  const limits: Limits = {
    maxAttributes: options.maxAttributes,
    maxValueLength: options.maxValueLength,
    maxEvents: options.maxAttributes,
    maxLinks: options.maxAttributes,
    maxArrayLength: options.maxAttributes,
  }
  const store = new TraceStore({ maxSpans: options.maxSpans })
  let file: TraceFile | undefined
  let loaded: LoadResult | undefined
  if (options.file !== undefined) {
    ;({ file, loaded } = await TraceFile.open(options.file, store, limits))
  }
  const events = new EventHub({
    summary: (id) => store.getSummary(id),
    stats: () => store.stats(),
  })
  const page = new PageFiles(pageDir)
  const loopback = isLoopback(options.host)

  const accept = (request: NormalizedRequest): { rejected: number; reason: string | undefined } => {
    store.countRejected(request.rejected)
    if (request.spanCount === 0) return { rejected: 0, reason: undefined }
    const result = store.add(request.resourceSpans)
    events.changed(result.touched, result.evicted)
    file?.append({ resourceSpans: request.resourceSpans })
    return {
      rejected: result.rejected,
      reason:
        result.rejected > 0
          ? `one trace would hold more than the viewer's ${options.maxSpans} spans`
          : undefined,
    }
  }
  const clear = async (): Promise<void> => {
    store.clear()
    await file?.truncate()
    events.cleared()
  }

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    // Bound to this machine only, a page from elsewhere must not reach the API through a DNS
    // name that it points at 127.0.0.1 (DNS rebinding): only local host names are answered.
    if (loopback && !isLocalHostHeader(request.headers.host)) {
      request.resume()
      response.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' })
      response.end('this viewer answers only to localhost, 127.0.0.1 and [::1]\n')
      return
    }
    const url = new URL(request.url ?? '/', 'http://viewer.invalid')
    const method = request.method ?? 'GET'
    const signal = OTLP_SIGNALS[url.pathname]
    if (signal !== undefined) {
      const origin = allowedOrigin(request.headers.origin, options.allowedOrigins)
      if (origin !== undefined) {
        response.setHeader('access-control-allow-origin', origin)
        response.setHeader('vary', 'origin')
      }
      if (method === 'OPTIONS') {
        if (origin !== undefined) {
          response.setHeader('access-control-allow-methods', 'POST, OPTIONS')
          response.setHeader(
            'access-control-allow-headers',
            request.headers['access-control-request-headers'] ?? 'content-type, content-encoding',
          )
          response.setHeader('access-control-max-age', '600')
        }
        response.writeHead(204).end()
        return
      }
      if (method !== 'POST') {
        request.resume()
        response.writeHead(405, { allow: 'POST, OPTIONS' }).end()
        return
      }
      return handleOtlp(signal, request, response, {
        limits,
        maxBodyBytes: options.maxBodyBytes,
        accept,
      })
    }
    if (url.pathname.startsWith('/api/'))
      return handleApi(request, response, url, { store, events, clear })
    request.resume()
    if (method !== 'GET' && method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end()
      return
    }
    const head = method === 'HEAD'
    if (url.pathname.startsWith('/assets/')) {
      if (await page.asset(url.pathname.slice('/assets/'.length), response, head)) return
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n')
      return
    }
    return page.index(response, head)
  }

  const server = createServer({ requestTimeout: 60_000 }, (request, response) => {
    route(request, response).catch((err: unknown) => {
      // Whatever went wrong answers this request alone; the server goes on.
      if (!response.headersSent) {
        response.writeHead(500, {
          'content-type': 'text/plain; charset=utf-8',
          connection: 'close',
        })
        response.end(`internal error: ${err instanceof Error ? err.message : String(err)}\n`)
      } else {
        response.destroy()
      }
    })
  })
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n')
    else socket.destroy()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  }).catch(async (err: unknown) => {
    events.close()
    await file?.close()
    throw err
  })
  const port = (server.address() as AddressInfo).port
  const shown = urlHost(options.host)
  const otlpEndpoint = `http://${shown}:${port}`
  let closing: Promise<void> | undefined
  return {
    url: `${otlpEndpoint}/`,
    otlpEndpoint,
    port,
    loaded,
    close() {
      closing ??= (async () => {
        events.close()
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        })
        await file?.close()
      })()
      return closing
    },
  }
}

/** How the host appears in a URL: the wildcard addresses as loopback, IPv6 in brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1'
  if (host === '::' || host === '[::]') return '[::1]'
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}
