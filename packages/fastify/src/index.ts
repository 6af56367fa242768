// The public face of @tracehop/fastify. Named exports only.
import './types.js'

export { tracingPlugin } from './plugin.js'
export type { RequestTracing, RouteTracingConfig, TracingPluginOptions } from './types.js'
