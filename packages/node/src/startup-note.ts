import { type ResolvedConfig } from './config.js'

/**
 * The line a development start prints about where spans go: the console waterfall, the OTLP
 * URL requested, or the exporter given. `undefined` in production (a healthy start is silent
 * there) and when spans go nowhere by choice (`exporter: 'none'`).
 */
export function whereSpansGo(
  config: ResolvedConfig,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  if (env.NODE_ENV === 'production') return undefined
  const places: string[] = []
  if (config.customExporter) places.push('the exporter given in options')
  if (config.exporters.includes('console')) places.push('the console waterfall')
  if (config.exporters.includes('otlp')) {
    places.push(`${config.tracesUrl} (OTLP ${config.protocol})`)
  }
  if (places.length === 0) return undefined
  const hint =
    config.exporters.length === 1 && config.exporters[0] === 'console'
      ? '; set OTEL_EXPORTER_OTLP_ENDPOINT to send them to a collector'
      : ''
  return `spans go to ${places.join(' and ')}${hint}`
}
