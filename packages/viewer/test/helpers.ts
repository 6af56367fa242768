// Builders of OTLP/JSON spans and a viewer on port 0 for the tests.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { OtlpResourceSpans, OtlpSpan, OtlpTracesData, ViewSpan } from '../src/shared/api.js'
import { flattenTrace } from '../src/shared/flatten.js'
import { normalizeOptions } from '../src/options.js'
import { start, type StartedViewer } from '../src/server/viewer.js'
import type { ViewerOptions } from '../src/types.js'

/** A 32-digit trace id made from a small number. */
export function traceId(n: number): string {
  return n.toString(16).padStart(32, '0').replace(/^0/, 'a')
}

/** A 16-digit span id made from a small number. */
export function spanId(n: number): string {
  return n.toString(16).padStart(16, '0').replace(/^0/, 'b')
}

const BASE_NS = 1_700_000_000_000_000_000n

/** One OTLP/JSON span; times in ms from a fixed epoch. */
export function otlpSpan(
  fields: Partial<OtlpSpan> & {
    startMs?: number
    endMs?: number
    attrs?: Record<string, string | number>
  },
): OtlpSpan {
  const { startMs = 0, endMs = 10, attrs = {}, ...rest } = fields
  return {
    traceId: traceId(1),
    spanId: spanId(1),
    name: 'span',
    kind: 1,
    startTimeUnixNano: (BASE_NS + BigInt(Math.round(startMs * 1e6))).toString(),
    endTimeUnixNano: (BASE_NS + BigInt(Math.round(endMs * 1e6))).toString(),
    attributes: Object.entries(attrs).map(([key, value]) => ({
      key,
      value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value },
    })),
    ...rest,
  }
}

/** Spans grouped under one resource per service. */
export function batch(byService: Record<string, OtlpSpan[]>): OtlpTracesData {
  const resourceSpans: OtlpResourceSpans[] = Object.entries(byService).map(([service, spans]) => ({
    resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
    scopeSpans: [{ scope: { name: 'test' }, spans }],
  }))
  return { resourceSpans }
}

/** Flattened spans of one service, for the shared functions' tests. */
export function viewSpans(byService: Record<string, OtlpSpan[]>): ViewSpan[] {
  return flattenTrace(batch(byService))
}

/** A temporary directory. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tracehop-viewer-'))
}

/** Starts a viewer on a free port of 127.0.0.1, serving the page from `pageDir` (default: none). */
export function startTestViewer(
  options: ViewerOptions = {},
  pageDir = join(tempDir(), 'no-page'),
): Promise<StartedViewer> {
  return start(normalizeOptions({ port: 0, ...options }), pageDir)
}

/** POSTs OTLP/JSON to the viewer's /v1/traces. */
export async function postJson(viewer: StartedViewer, body: unknown): Promise<Response> {
  return fetch(`${viewer.otlpEndpoint}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

/** GETs a JSON endpoint of the viewer. */
export async function getJson<T>(viewer: StartedViewer, path: string): Promise<T> {
  const response = await fetch(`${viewer.otlpEndpoint}${path}`)
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`)
  return (await response.json()) as T
}
