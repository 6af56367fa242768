// The public face of @tracehop/node.
export { startTracing } from './start.js'
export {
  renderWaterfall,
  WaterfallSpanExporter,
  type WaterfallExporterOptions,
  type WaterfallOptions,
} from './waterfall.js'
export type {
  BatchOptions,
  ExportStats,
  InstrumentationLike,
  MetricsOptions,
  OtlpProtocol,
  OutboundOptions,
  PropagatorName,
  TraceExporterChoice,
  TracingHandle,
  TracingOptions,
} from './types.js'
