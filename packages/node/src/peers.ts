// The OpenTelemetry SDK packages are peer dependencies of @tracehop/node: it runs on the app's own
// copy, of one SDK line (2.x on Node 20, 3.x on Node >= 22.15). The ones most apps never use
// (gRPC, Prometheus, OTLP metrics, instrumentation-http on Node 20) are optional peers, loaded
// here only when the configuration asks for them.
import { SDK_INFO } from '@opentelemetry/core'
import { createRequire } from 'node:module'

// CommonJS (our own build, and apps bundled to CommonJS) knows its file name; an ES module makes
// its require from its URL. (Not `typeof require`: bundlers put a require shim without
// `require.resolve` into ES module output.)
const load: NodeJS.Require = createRequire(
  typeof __filename === 'string' ? __filename : import.meta.url,
)

/** The SDK line the installed `@opentelemetry/core` belongs to: 2 or 3 (or later). */
export function sdkMajor(): number {
  const version = String(SDK_INFO['telemetry.sdk.version'] ?? '')
  const major = Number.parseInt(version, 10)
  return Number.isNaN(major) ? 2 : major
}

/** The install line of the SDK 2 packages for Node 20 (the README gives the same). */
export const NODE20_INSTALL =
  'npm install @opentelemetry/api@~1.9.0 @opentelemetry/core@2.12.0 ' +
  '@opentelemetry/sdk-trace@2.12.0 @opentelemetry/resources@2.12.0 ' +
  '@opentelemetry/sdk-metrics@2.12.0 @opentelemetry/context-async-hooks@2.12.0 ' +
  '@opentelemetry/exporter-trace-otlp-proto@0.223.0 @opentelemetry/instrumentation-http@0.223.0'

function atLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split('.').map(Number)
  return a > major || (a === major && b >= minor)
}

/**
 * Why the installed SDK cannot run on this Node, or `undefined` when it can. SDK 3 needs
 * Node >= 22.15; on Node 20 its spans are silently never exported, so this is checked up front.
 */
export function sdkLineProblem(
  major = sdkMajor(),
  nodeVersion = process.versions.node,
): string | undefined {
  if (major < 3 || atLeast(nodeVersion, 22, 15)) return undefined
  return (
    `the installed OpenTelemetry SDK ${String(SDK_INFO['telemetry.sdk.version'])} needs ` +
    `Node >= 22.15, and this is Node ${nodeVersion}; tracing is off. On Node 20, install the ` +
    `SDK 2 line: ${NODE20_INSTALL}`
  )
}

/** The version range of an optional peer that matches the installed SDK line. */
function rangeFor(name: string, major: number): string {
  if (name === '@grpc/grpc-js') return '^1.10.0'
  return major >= 3 ? '^0.301.0' : '^0.223.0'
}

function isMissing(error: unknown, name: string): boolean {
  // the package itself, not a module it failed to load; duck-typed, since an error from another
  // realm (a test runner's resolver) is no instance of this realm's Error
  const message = (error as { message?: unknown } | null)?.message
  return typeof message === 'string' && message.startsWith(`Cannot find module '${name}'`)
}

/**
 * Loads optional peer packages, or throws an error naming the packages to install (with the
 * range that matches the installed SDK line) and what needs them.
 */
export function loadOptionalPeers<T extends unknown[]>(
  names: { [K in keyof T]: string },
  purpose: string,
): T {
  const missing = names.filter((name) => {
    try {
      load.resolve(name)
      return false
    } catch (error) {
      if (isMissing(error, name)) return true
      throw error
    }
  })
  if (missing.length > 0) {
    const major = sdkMajor()
    const install = missing.map((name) => `${name}@${rangeFor(name, major)}`).join(' ')
    throw new Error(
      `${purpose} needs ${missing.join(' and ')}, which ${missing.length === 1 ? 'is' : 'are'} ` +
        `not installed: npm install ${install}`,
    )
  }
  return names.map((name) => load(name)) as T
}
