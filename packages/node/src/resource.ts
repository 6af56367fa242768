import { type Attributes } from '@opentelemetry/api'
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  processDetector,
  resourceFromAttributes,
  serviceInstanceIdDetector,
  type Resource,
} from '@opentelemetry/resources'
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { type ResolvedConfig } from './config.js'

/** The `name` and `version` of the nearest package.json above `start`, if any. */
export function nearestPackage(
  start: string,
): { name: string; version: string | undefined; path: string } | undefined {
  let dir = resolve(start)
  for (;;) {
    const path = join(dir, 'package.json')
    try {
      const pkg = JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown; version?: unknown }
      if (typeof pkg.name === 'string' && pkg.name !== '') {
        return {
          name: pkg.name,
          version: typeof pkg.version === 'string' ? pkg.version : undefined,
          path,
        }
      }
    } catch {
      // no (readable) package.json here: keep walking up
    }
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

/** Where the app lives: the entry script's directory, else the working directory. */
function appDirectory(): string {
  const entry = process.argv[1]
  return entry ? dirname(resolve(entry)) : process.cwd()
}

/**
 * Builds the resource: SDK defaults, then `OTEL_RESOURCE_ATTRIBUTES`/`OTEL_SERVICE_NAME`,
 * host, process and a `service.instance.id`, then the options. Without a service name anywhere,
 * the nearest package.json's `name` is used and `warn` says how to set one.
 */
export function buildResource(
  config: ResolvedConfig,
  extra: Attributes | undefined,
  warn: (message: string) => void,
): { resource: Resource; serviceName: string } {
  const detected = defaultResource().merge(
    detectResources({
      detectors: [envDetector, hostDetector, processDetector, serviceInstanceIdDetector],
    }),
  )
  // Decisions read the variables' attributes alone: the host detector's are still settling, and
  // reading a resource before they settle makes the SDK complain.
  const fromEnv = detectResources({ detectors: [envDetector] }).attributes
  const attributes: Attributes = { ...extra }
  const envName = fromEnv['service.name']
  const named =
    config.serviceName !== undefined ||
    typeof envName === 'string' ||
    typeof extra?.['service.name'] === 'string'
  let pkg: ReturnType<typeof nearestPackage>
  const packageInfo = (): ReturnType<typeof nearestPackage> =>
    (pkg ??= nearestPackage(appDirectory()))
  if (config.serviceName !== undefined) attributes['service.name'] = config.serviceName
  else if (!named) {
    const found = packageInfo()
    if (found) {
      attributes['service.name'] = found.name
      warn(
        `no service name set; using "${found.name}" from ${found.path}. ` +
          `Name the service with OTEL_SERVICE_NAME=<name> or startTracing({ serviceName: '<name>' }).`,
      )
    } else {
      warn(
        `no service name set and no package.json found; spans say "${String(defaultResource().attributes['service.name'])}". ` +
          `Name the service with OTEL_SERVICE_NAME=<name> or startTracing({ serviceName: '<name>' }).`,
      )
    }
  }
  if (config.serviceVersion !== undefined) attributes['service.version'] = config.serviceVersion
  else if (fromEnv['service.version'] === undefined && extra?.['service.version'] === undefined) {
    const version = packageInfo()?.version
    if (version !== undefined) attributes['service.version'] = version
  }
  const environment = config.environment ?? process.env.NODE_ENV
  if (config.environment !== undefined) attributes['deployment.environment.name'] = environment
  else if (
    environment &&
    fromEnv['deployment.environment.name'] === undefined &&
    extra?.['deployment.environment.name'] === undefined
  ) {
    attributes['deployment.environment.name'] = environment
  }
  const serviceName =
    attributes['service.name'] ??
    envName ??
    extra?.['service.name'] ??
    defaultResource().attributes['service.name']
  return {
    resource: detected.merge(resourceFromAttributes(attributes)),
    serviceName: String(serviceName),
  }
}
