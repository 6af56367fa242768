// The parent/child tree of one trace, across services, for the waterfall and the critical path.
import type { ViewSpan } from './api.js'
import { byStart } from './flatten.js'

/** One span in the tree, children in start order. */
export interface SpanNode {
  span: ViewSpan
  children: SpanNode[]
  /** 0 for a root. */
  depth: number
  /** The span names a parent that is not in the trace (it is shown as a root). */
  missingParent: boolean
}

/**
 * Builds the tree of a trace: spans without a parent, and spans whose parent is missing, are
 * roots; roots and children are in start order. A parent cycle (malformed input) is broken at the
 * span where it is found, which then becomes a root.
 * @example
 * const roots = buildTree(flattenTrace(data))
 */
export function buildTree(spans: readonly ViewSpan[]): SpanNode[] {
  const nodes = new Map<string, SpanNode>()
  for (const span of [...spans].sort(byStart)) {
    if (!nodes.has(span.spanId))
      nodes.set(span.spanId, { span, children: [], depth: 0, missingParent: false })
  }
  const roots: SpanNode[] = []
  for (const node of nodes.values()) {
    const parentId = node.span.parentSpanId
    const parent = parentId === undefined ? undefined : nodes.get(parentId)
    if (parent === undefined || parent === node) {
      node.missingParent = parentId !== undefined && parent === undefined
      roots.push(node)
    } else {
      parent.children.push(node)
    }
  }
  const seen = new Set<SpanNode>()
  const visit = (root: SpanNode): void => {
    const stack = [root]
    while (stack.length > 0) {
      const node = stack.pop()!
      seen.add(node)
      for (const child of node.children) {
        child.depth = node.depth + 1
        stack.push(child)
      }
    }
  }
  for (const root of roots) visit(root)
  // What no root reaches hangs in a parent cycle: cut each cycle at its earliest span.
  for (const node of nodes.values()) {
    if (seen.has(node)) continue
    const parent = nodes.get(node.span.parentSpanId!)!
    parent.children.splice(parent.children.indexOf(node), 1)
    node.depth = 0
    roots.push(node)
    visit(node)
  }
  return roots
}

/** The nodes of a tree in display order (depth first, children in start order). */
export function walkTree(roots: readonly SpanNode[]): SpanNode[] {
  const out: SpanNode[] = []
  const stack = [...roots].reverse()
  while (stack.length > 0) {
    const node = stack.pop()!
    out.push(node)
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!)
  }
  return out
}
