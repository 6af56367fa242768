// The page's calls to the viewer's API (paths and response types from src/shared/api.ts).
import {
  API_PATHS,
  type ApiError,
  type OtlpTracesData,
  type RedResponse,
  type ServiceMapResponse,
  type TraceListResponse,
} from '../shared/api.js'
import { filtersToQuery, type ListFilters } from './filters.js'

/** An API answer other than 2xx, with the server's message. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, { headers: { accept: 'application/json' }, signal })
  if (!response.ok) throw new ApiFailure(response.status, await errorText(response))
  return (await response.json()) as T
}

async function errorText(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as Partial<ApiError>
    if (typeof body.error === 'string') return body.error
  } catch {
    // not JSON: fall through to the status line
  }
  return `${response.status} ${response.statusText}`
}

/** `GET /api/traces` with the list's filters. */
export function fetchTraceList(
  filters: ListFilters,
  signal?: AbortSignal,
): Promise<TraceListResponse> {
  return getJson(`${API_PATHS.traces}${filtersToQuery(filters)}`, signal)
}

/** `GET /api/traces/<id>`: the trace as OTLP/JSON. */
export function fetchTrace(traceId: string, signal?: AbortSignal): Promise<OtlpTracesData> {
  return getJson(`${API_PATHS.trace}${encodeURIComponent(traceId)}`, signal)
}

/** `GET /api/red`. */
export function fetchRed(signal?: AbortSignal): Promise<RedResponse> {
  return getJson(API_PATHS.red, signal)
}

/** `GET /api/service-map`. */
export function fetchServiceMap(signal?: AbortSignal): Promise<ServiceMapResponse> {
  return getJson(API_PATHS.serviceMap, signal)
}

/** Imports an OTLP/JSON file: `POST /v1/traces` as an exporter would send it. */
export async function uploadTraces(json: string): Promise<void> {
  const response = await fetch(API_PATHS.otlpTraces, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: json,
  })
  if (!response.ok) {
    const text = await response.text()
    throw new ApiFailure(response.status, `${response.status}: ${text.slice(0, 200)}`)
  }
}
