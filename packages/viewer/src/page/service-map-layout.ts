// Where the service map draws its nodes: columns by call depth (callers left of what they call),
// rows in name order within a column. No layout library: service maps here are small.
import type { ServiceEdge, ServiceMapResponse, ServiceNode } from '../shared/api.js'

/** A node with its box. */
export interface PlacedNode extends ServiceNode {
  x: number
  y: number
  column: number
}

/** An edge with its end points (right side of `from`, left side of `to`). */
export interface PlacedEdge extends ServiceEdge {
  x1: number
  y1: number
  x2: number
  y2: number
}

/** The laid-out map. */
export interface ServiceMapLayout {
  nodes: PlacedNode[]
  edges: PlacedEdge[]
  width: number
  height: number
}

/** Box size and gaps of the layout, in SVG units. */
export const MAP_BOX = { width: 168, height: 52, columnGap: 96, rowGap: 28, margin: 16 } as const

/**
 * Lays the map out in columns: a service's column is the longest chain of callers above it
 * (services nobody calls start at column 0). Cycles are cut where they close.
 */
export function layoutServiceMap(map: ServiceMapResponse): ServiceMapLayout {
  const callers = new Map<string, string[]>()
  for (const node of map.nodes) callers.set(node.service, [])
  for (const edge of map.edges) {
    if (edge.from === edge.to) continue
    if (!callers.has(edge.to)) callers.set(edge.to, [])
    if (!callers.has(edge.from)) callers.set(edge.from, [])
    callers.get(edge.to)!.push(edge.from)
  }
  const column = new Map<string, number>()
  const visiting = new Set<string>()
  const depth = (service: string): number => {
    const known = column.get(service)
    if (known !== undefined) return known
    if (visiting.has(service)) return -1 // a cycle: this caller does not push the column right
    visiting.add(service)
    let d = 0
    for (const caller of callers.get(service) ?? []) d = Math.max(d, depth(caller) + 1)
    visiting.delete(service)
    column.set(service, d)
    return d
  }
  const known = new Map(map.nodes.map((n) => [n.service, n]))
  const services = [...callers.keys()].sort()
  const columns: string[][] = []
  for (const service of services) (columns[depth(service)] ??= []).push(service)

  const { width: w, height: h, columnGap, rowGap, margin } = MAP_BOX
  const nodes: PlacedNode[] = []
  const at = new Map<string, PlacedNode>()
  columns.forEach((list, c) => {
    list.forEach((service, r) => {
      const base = known.get(service) ?? { service, spanCount: 0, errorCount: 0 }
      const node = {
        ...base,
        column: c,
        x: margin + c * (w + columnGap),
        y: margin + r * (h + rowGap),
      }
      nodes.push(node)
      at.set(service, node)
    })
  })
  const edges: PlacedEdge[] = map.edges.map((edge) => {
    const from = at.get(edge.from)!
    const to = at.get(edge.to)!
    return { ...edge, x1: from.x + w, y1: from.y + h / 2, x2: to.x, y2: to.y + h / 2 }
  })
  const rows = Math.max(1, ...columns.map((list) => list?.length ?? 0))
  return {
    nodes,
    edges,
    width:
      margin * 2 + Math.max(1, columns.length) * w + Math.max(0, columns.length - 1) * columnGap,
    height: margin * 2 + rows * h + (rows - 1) * rowGap,
  }
}
