import type { TraceOptions } from '@tracehop/core'
import { PACKAGE } from './constants.js'
import type { TracingPluginOptions } from './types.js'

/** The option names the adapter reads itself, besides the engine's. */
export const ADAPTER_KEYS: readonly string[] = ['logCorrelation']

/** The plugin's options split into the engine's and the adapter's own, with defaults applied. */
export interface NormalizedPluginOptions {
  readonly trace: TraceOptions
  readonly logCorrelation: boolean
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (Array.isArray(value)) return 'an array'
  return String(value)
}

/**
 * Validates what only the adapter reads; the engine validates the rest when the lifecycle is made.
 * Fastify passes `{}` when the plugin is registered without options.
 */
export function normalizePluginOptions(
  options: TracingPluginOptions | undefined,
): NormalizedPluginOptions {
  if (options === undefined || options === null) return { trace: {}, logCorrelation: true }
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${PACKAGE}: options must be an object; received ${describe(options)}`)
  }
  const { logCorrelation, ...trace } = options
  if (logCorrelation !== undefined && typeof logCorrelation !== 'boolean') {
    throw new TypeError(
      `${PACKAGE}: option "logCorrelation" must be a boolean; received ${describe(logCorrelation)}`,
    )
  }
  return { trace, logCorrelation: logCorrelation ?? true }
}

/** The options of a route with `config.tracing: { ... }`: the route's merged over the plugin's. */
export function routeOptions(
  pluginOptions: TracingPluginOptions | undefined,
  tracing: unknown,
  url: string,
): TracingPluginOptions {
  if (typeof tracing !== 'object' || tracing === null || Array.isArray(tracing)) {
    throw new TypeError(
      `${PACKAGE}: route config "tracing" of ${url} must be false or an options object; received ${describe(tracing)}`,
    )
  }
  return { ...pluginOptions, ...(tracing as TracingPluginOptions) }
}
