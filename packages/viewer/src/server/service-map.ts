// The service map: which service calls which, from parent/child pairs that cross services.
import type { ServiceEdge, ServiceMapResponse, ServiceNode } from '../shared/api.js'
import type { StoredTrace } from './store.js'

const ERROR = 2

/**
 * Nodes for every service with a span in `traces`; an edge `from → to` for every span of `to`
 * whose parent span (present in the same trace) belongs to `from`, with counts.
 * @example
 * const { nodes, edges } = serviceMap(store.allTraces())
 */
export function serviceMap(traces: Iterable<StoredTrace>): ServiceMapResponse {
  const nodes = new Map<string, ServiceNode>()
  const edges = new Map<string, ServiceEdge>()
  for (const trace of traces) {
    for (const stored of trace.spans.values()) {
      const service = stored.resource.service
      const failed = stored.span.status?.code === ERROR
      let node = nodes.get(service)
      if (node === undefined) nodes.set(service, (node = { service, spanCount: 0, errorCount: 0 }))
      node.spanCount++
      if (failed) node.errorCount++
      const parentId = stored.span.parentSpanId
      const parent = parentId === undefined ? undefined : trace.spans.get(parentId)
      if (parent === undefined || parent.resource.service === service) continue
      const from = parent.resource.service
      const key = `${from}\u0000${service}`
      let edge = edges.get(key)
      if (edge === undefined)
        edges.set(key, (edge = { from, to: service, count: 0, errorCount: 0 }))
      edge.count++
      if (failed) edge.errorCount++
    }
  }
  const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
  return {
    nodes: [...nodes.values()].sort((a, b) => byName(a.service, b.service)),
    edges: [...edges.values()].sort((a, b) => byName(a.from, b.from) || byName(a.to, b.to)),
  }
}
