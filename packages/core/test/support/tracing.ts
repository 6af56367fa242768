import {
  listen,
  startTestTracing,
  waitForSpans,
  type TestTracing,
} from '../../../../test-utils/tracing.js'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'

export { listen, waitForSpans }

/** A local tracer provider with an in-memory exporter, plus the ALS context manager. */
export function setupTracing(): TestTracing {
  return startTestTracing()
}

export interface Reply {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

/** One request over a real socket with node:http (no agent reuse, so every request is isolated). */
export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string | string[]>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export type { IncomingMessage, ServerResponse }
