// The critical path of a trace: the chain of work that decided how long the request took.
import type { ViewSpan } from './api.js'
import { buildTree, type SpanNode } from './tree.js'

/** One stretch of the critical path: during `[startMs, endMs)` the trace was waiting on `spanId`. */
export interface CriticalSegment {
  spanId: string
  /** Milliseconds since the epoch. */
  startMs: number
  endMs: number
}

/**
 * Computes the critical path from the trace's longest root: walking back from a span's end, the
 * child that finished last (before the point reached) is on the path, then whatever finished last
 * before that child started, and so on; the time no child covers is the span's own. Children are
 * clipped to their parent's window, so work that outlived its parent (a fire-and-forget call) does
 * not stretch the path. Segments come in time order and never overlap.
 * @example
 * const onPath = new Set(criticalPath(spans).map((s) => s.spanId))
 */
export function criticalPath(spans: readonly ViewSpan[]): CriticalSegment[] {
  const roots = buildTree(spans)
  let main: SpanNode | undefined
  for (const root of roots) {
    if (main === undefined || root.span.durationMs > main.span.durationMs) main = root
  }
  if (main === undefined) return []
  const out: CriticalSegment[] = []
  const start = main.span.startMs
  walk(main, start, start + main.span.durationMs, out)
  return out.reverse()
}

interface Frame {
  spanId: string
  from: number
  /** Children clipped to [from, to), the one that ends last first. */
  children: { child: SpanNode; start: number; end: number }[]
  next: number
  cursor: number
}

function frame(node: SpanNode, from: number, to: number): Frame {
  const children = node.children
    .map((child) => ({
      child,
      start: Math.max(child.span.startMs, from),
      end: Math.min(child.span.startMs + child.span.durationMs, to),
    }))
    .filter((c) => c.end > c.start)
    .sort((a, b) => b.end - a.end)
  return { spanId: node.span.spanId, from, children, next: 0, cursor: to }
}

// Appends the segments of `node` within [from, to) in reverse time order (latest first). A loop
// over an explicit stack rather than recursion: a trace can nest thousands of spans deep.
function walk(node: SpanNode, from: number, to: number, out: CriticalSegment[]): void {
  const stack = [frame(node, from, to)]
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!
    const c = top.cursor > top.from ? top.children[top.next++] : undefined
    if (c === undefined) {
      if (top.cursor > top.from) push(out, top.spanId, top.from, top.cursor)
      stack.pop()
      continue
    }
    if (c.start >= top.cursor) continue
    const end = Math.min(c.end, top.cursor)
    if (end < top.cursor) push(out, top.spanId, end, top.cursor)
    top.cursor = c.start
    stack.push(frame(c.child, c.start, end))
  }
}

function push(out: CriticalSegment[], spanId: string, startMs: number, endMs: number): void {
  // Neighbouring stretches of one span (either side of a zero-length child) read as one.
  const last = out[out.length - 1]
  if (last !== undefined && last.spanId === spanId && last.startMs === endMs) {
    last.startMs = startMs
    return
  }
  out.push({ spanId, startMs, endMs })
}
