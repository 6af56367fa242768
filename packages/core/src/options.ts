import {
  type Attributes,
  type MeterProvider,
  type Span,
  type TextMapPropagator,
  type TracerProvider,
} from '@opentelemetry/api'
import type { IncomingMessage, OutgoingHttpHeader, ServerResponse } from 'node:http'
import { compileIgnore, type IgnoreMatcher } from './ignore.js'
import { TRACE_OPTION_KEYS, warnUnknownOptions } from './option-keys.js'
import { captureResponseHeaders, compileQueryRedaction, type QueryRedaction } from './redact.js'
import type {
  IgnoreRule,
  SpanNameInfo,
  StatusClassifier,
  TraceOptions,
  TrustPolicy,
} from './types.js'

/** Header values replaced by `REDACTED` whatever the user configures. */
export const DEFAULT_REDACTED_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
]

/** One header to capture: its lowercase name, the attribute key, and whether to redact its value. */
export interface CapturedHeader {
  readonly name: string
  readonly key: string
  readonly redact: boolean
}

/** Options after validation, with every default applied. Made once per lifecycle. */
export interface NormalizedOptions {
  readonly owner: string
  readonly ignore: IgnoreMatcher | undefined
  readonly trust: TrustPolicy | ((request: IncomingMessage) => TrustPolicy)
  /** `undefined` for accept; an empty set for drop; the allowed keys otherwise. */
  readonly baggageAllow: ReadonlySet<string> | undefined
  readonly spanName: ((info: SpanNameInfo) => string) | undefined
  readonly requestHook: ((span: Span, request: IncomingMessage) => void) | undefined
  readonly responseHook: ((span: Span, response: ServerResponse) => void) | undefined
  readonly requestHeaders: readonly CapturedHeader[]
  readonly responseHeaders: readonly CapturedHeader[]
  readonly query: QueryRedaction
  readonly isError: StatusClassifier | undefined
  /** `true` when at least one server metric is recorded. */
  readonly metrics: boolean
  readonly durationMetric: boolean
  readonly activeRequestsMetric: boolean
  readonly tracerProvider: TracerProvider | undefined
  readonly meterProvider: MeterProvider | undefined
  readonly propagator: TextMapPropagator | undefined
  readonly diagnostics: boolean
  readonly trustProxy: boolean
}

const TRUST_VALUES: ReadonlySet<unknown> = new Set(['continue', 'link', 'ignore'])
// RFC 9110 token characters: what a header name may contain.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

function brief(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

/** Describes a received option value for an error message, briefly and without throwing. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'undefined':
      return 'undefined'
    case 'string':
      return brief(JSON.stringify(value))
    case 'function':
      return 'a function'
    case 'symbol':
      return value.toString()
    case 'object':
      if (value instanceof RegExp) return String(value)
      if (Array.isArray(value)) return `an array of length ${value.length}`
      try {
        return brief(JSON.stringify(value))
      } catch {
        return 'an object'
      }
    default:
      return String(value as number | boolean | bigint)
  }
}

/** Creates the `TypeError` every invalid option throws. */
export function optionError(
  owner: string,
  name: string,
  expected: string,
  received: unknown,
): TypeError {
  return new TypeError(
    `${owner}: option "${name}" must be ${expected}; received ${describeValue(received)}`,
  )
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

function optionalFunction<T>(owner: string, name: string, value: unknown): T | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function') throw optionError(owner, name, 'a function', value)
  return value as T
}

function optionalBoolean(owner: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw optionError(owner, name, 'a boolean', value)
  return value
}

function stringList(
  owner: string,
  name: string,
  value: unknown,
  what: string,
  check?: RegExp,
): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw optionError(owner, name, `an array of ${what}s`, value)
  return value.map((item: unknown, index) => {
    if (typeof item !== 'string' || item === '' || (check !== undefined && !check.test(item))) {
      throw optionError(owner, `${name}[${index}]`, `a ${what}`, item)
    }
    return item.toLowerCase()
  })
}

function hasMethods(value: unknown, methods: readonly string[]): boolean {
  return isObject(value) && methods.every((method) => typeof value[method] === 'function')
}

function normalizeBaggage(owner: string, value: unknown): ReadonlySet<string> | undefined {
  if (value === undefined || value === 'accept') return undefined
  if (value === 'drop') return new Set()
  if (
    isObject(value) &&
    Array.isArray(value.allow) &&
    value.allow.every((key) => typeof key === 'string')
  ) {
    return new Set(value.allow as string[])
  }
  throw optionError(owner, 'baggage', `'accept', 'drop' or { allow: string[] }`, value)
}

function normalizeCapture(
  owner: string,
  value: unknown,
): { request: string[]; response: string[] } {
  if (value === undefined) return { request: [], response: [] }
  if (!isObject(value) || Array.isArray(value)) {
    throw optionError(
      owner,
      'captureHeaders',
      'an object { request?: string[], response?: string[] }',
      value,
    )
  }
  return {
    request: stringList(owner, 'captureHeaders.request', value.request, 'header name', HEADER_NAME),
    response: stringList(
      owner,
      'captureHeaders.response',
      value.response,
      'header name',
      HEADER_NAME,
    ),
  }
}

function captured(
  names: readonly string[],
  prefix: string,
  redacted: ReadonlySet<string>,
): CapturedHeader[] {
  return [...new Set(names)].map((name) => ({
    name,
    key: prefix + name,
    redact: redacted.has(name),
  }))
}

function redactedHeaders(owner: string, extra: unknown): ReadonlySet<string> {
  return new Set([
    ...DEFAULT_REDACTED_HEADERS,
    ...stringList(owner, 'redactHeaders', extra, 'header name', HEADER_NAME),
  ])
}

/** Where a framework keeps the response headers it has not handed to `ServerResponse` yet. */
export interface ResponseHeaderSource {
  getHeader(name: string): OutgoingHttpHeader | undefined
}

/**
 * For an adapter whose framework holds response headers itself (Fastify's `reply.header()`
 * reaches `ServerResponse` only inside `writeHead`, where `getHeader` no longer sees it): reads
 * the `captureHeaders.response` headers from `source`, redacted by the same rules as the
 * lifecycle's own capture. `undefined` when no response header is captured. Validates like
 * {@link normalizeOptions}, so call it after the lifecycle is made.
 * @example
 * const capture = compileResponseHeaderCapture(options, '@tracehop/fastify')
 * reply.raw.prependOnceListener('finish', () => requestTrace.setAttributes(capture?.(reply) ?? {}))
 */
export function compileResponseHeaderCapture(
  options: TraceOptions | undefined,
  owner: string,
): ((source: ResponseHeaderSource) => Attributes | undefined) | undefined {
  const o: Partial<Record<keyof TraceOptions, unknown>> = options ?? {}
  const names = normalizeCapture(owner, o.captureHeaders).response
  if (names.length === 0) return undefined
  const headers = captured(names, 'http.response.header.', redactedHeaders(owner, o.redactHeaders))
  return (source) => captureResponseHeaders(source, headers)
}

const METRICS_KEYS: ReadonlySet<string> = new Set(['duration', 'activeRequests'])

function normalizeMetrics(
  owner: string,
  value: unknown,
): { duration: boolean; activeRequests: boolean } {
  if (value === undefined || value === true) return { duration: true, activeRequests: false }
  if (value === false) return { duration: false, activeRequests: false }
  if (!isObject(value)) throw optionError(owner, 'metrics', 'a boolean', value)
  if (Array.isArray(value) || Object.keys(value).some((key) => !METRICS_KEYS.has(key))) {
    throw optionError(
      owner,
      'metrics',
      'a boolean or an object { duration?: boolean, activeRequests?: boolean }',
      value,
    )
  }
  return {
    duration: optionalBoolean(owner, 'metrics.duration', value.duration, true),
    activeRequests: optionalBoolean(owner, 'metrics.activeRequests', value.activeRequests, false),
  }
}

function defaultDiagnostics(): boolean {
  return process.env.NODE_ENV !== 'production'
}

/**
 * Validates user options once and returns them frozen, with every default applied.
 * Throws a `TypeError` naming `owner`, the option and what was received; warns (once, through
 * `diag`) of keys that are neither options of the engine nor in `adapterKeys` (the ones the
 * adapter reads itself and took out before).
 */
export function normalizeOptions(
  options: TraceOptions | undefined,
  owner: string,
  adapterKeys: readonly string[] = [],
): NormalizedOptions {
  if (options !== undefined && (!isObject(options) || Array.isArray(options))) {
    throw new TypeError(`${owner}: options must be an object; received ${describeValue(options)}`)
  }
  if (options !== undefined) {
    warnUnknownOptions(
      owner,
      options,
      adapterKeys.length === 0 ? TRACE_OPTION_KEYS : [...TRACE_OPTION_KEYS, ...adapterKeys],
    )
  }
  const o: Partial<Record<keyof TraceOptions, unknown>> = options ?? {}

  let ignore: IgnoreMatcher | undefined
  if (o.ignore !== undefined) {
    const rules: unknown[] = Array.isArray(o.ignore) ? (o.ignore as unknown[]) : [o.ignore]
    rules.forEach((rule, index) => {
      if (typeof rule !== 'string' && typeof rule !== 'function' && !(rule instanceof RegExp)) {
        const name = Array.isArray(o.ignore) ? `ignore[${index}]` : 'ignore'
        throw optionError(
          owner,
          name,
          'a string, a RegExp or a function (or an array of them)',
          rule,
        )
      }
    })
    ignore = compileIgnore(rules as IgnoreRule[], owner)
  }

  const trust = o.trust === undefined ? 'continue' : o.trust
  if (typeof trust !== 'function' && !TRUST_VALUES.has(trust)) {
    throw optionError(owner, 'trust', `'continue', 'link', 'ignore' or a function`, trust)
  }

  const baggageAllow = normalizeBaggage(owner, o.baggage)
  const capture = normalizeCapture(owner, o.captureHeaders)
  const redactHeaders = redactedHeaders(owner, o.redactHeaders)
  const redactQuery = stringList(
    owner,
    'redactQueryParams',
    o.redactQueryParams,
    'query parameter name',
  )
  // undefined keeps the default list; an array (even empty) replaces it
  const sensitiveQuery =
    o.sensitiveQueryParams === undefined
      ? undefined
      : stringList(owner, 'sensitiveQueryParams', o.sensitiveQueryParams, 'query parameter name')

  if (o.tracerProvider !== undefined && !hasMethods(o.tracerProvider, ['getTracer'])) {
    throw optionError(
      owner,
      'tracerProvider',
      'a TracerProvider (an object with getTracer())',
      o.tracerProvider,
    )
  }
  if (o.meterProvider !== undefined && !hasMethods(o.meterProvider, ['getMeter'])) {
    throw optionError(
      owner,
      'meterProvider',
      'a MeterProvider (an object with getMeter())',
      o.meterProvider,
    )
  }
  if (o.propagator !== undefined && !hasMethods(o.propagator, ['extract', 'inject', 'fields'])) {
    throw optionError(
      owner,
      'propagator',
      'a TextMapPropagator (extract(), inject() and fields())',
      o.propagator,
    )
  }

  const metrics = normalizeMetrics(owner, o.metrics)

  return Object.freeze({
    owner,
    ignore,
    trust: trust as NormalizedOptions['trust'],
    baggageAllow,
    spanName: optionalFunction<NormalizedOptions['spanName']>(owner, 'spanName', o.spanName),
    requestHook: optionalFunction<NormalizedOptions['requestHook']>(
      owner,
      'requestHook',
      o.requestHook,
    ),
    responseHook: optionalFunction<NormalizedOptions['responseHook']>(
      owner,
      'responseHook',
      o.responseHook,
    ),
    requestHeaders: captured(capture.request, 'http.request.header.', redactHeaders),
    responseHeaders: captured(capture.response, 'http.response.header.', redactHeaders),
    query: compileQueryRedaction(redactQuery, sensitiveQuery),
    isError: optionalFunction<StatusClassifier>(owner, 'isError', o.isError),
    metrics: metrics.duration || metrics.activeRequests,
    durationMetric: metrics.duration,
    activeRequestsMetric: metrics.activeRequests,
    tracerProvider: o.tracerProvider as TracerProvider | undefined,
    meterProvider: o.meterProvider as MeterProvider | undefined,
    propagator: o.propagator as TextMapPropagator | undefined,
    diagnostics: optionalBoolean(
      owner,
      'lostContextDiagnostics',
      o.lostContextDiagnostics,
      defaultDiagnostics(),
    ),
    trustProxy: optionalBoolean(owner, 'trustProxy', o.trustProxy, false),
  })
}
