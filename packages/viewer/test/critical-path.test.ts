import { criticalPath } from '../src/shared/critical-path.js'
import { buildTree, walkTree } from '../src/shared/tree.js'
import { otlpSpan, spanId, viewSpans } from './helpers.js'

const T0 = 1.7e12

// Segments as [span number, from ms, to ms] relative to the trace's epoch.
function path(spans: ReturnType<typeof viewSpans>): [number, number, number][] {
  return criticalPath(spans).map((s) => [
    parseInt(s.spanId.slice(1), 16),
    Math.round((s.startMs - T0) * 1000) / 1000,
    Math.round((s.endMs - T0) * 1000) / 1000,
  ])
}

const s = (n: number, startMs: number, endMs: number, parent?: number) =>
  otlpSpan({
    spanId: spanId(n),
    startMs,
    endMs,
    ...(parent !== undefined && { parentSpanId: spanId(n === parent ? 0 : parent) }),
  })

describe('criticalPath', () => {
  it('is the root alone when it has no children', () => {
    expect(path(viewSpans({ a: [s(1, 0, 10)] }))).toEqual([[1, 0, 10]])
  })

  it('follows sequential children and gives the gaps to the parent', () => {
    expect(path(viewSpans({ a: [s(1, 0, 100), s(2, 10, 40, 1), s(3, 50, 90, 1)] }))).toEqual([
      [1, 0, 10],
      [2, 10, 40],
      [1, 40, 50],
      [3, 50, 90],
      [1, 90, 100],
    ])
  })

  it('takes the child that finished last among parallel ones, then what ended before it began', () => {
    // 2 and 3 run in parallel; 3 ends last, so 2 is on the path only before 3 started.
    expect(path(viewSpans({ a: [s(1, 0, 100), s(2, 10, 60, 1), s(3, 30, 80, 1)] }))).toEqual([
      [1, 0, 10],
      [2, 10, 30],
      [3, 30, 80],
      [1, 80, 100],
    ])
  })

  it('descends into grandchildren across services', () => {
    const spans = viewSpans({
      gateway: [s(1, 0, 100), s(2, 10, 90, 1)],
      orders: [s(3, 20, 80, 2), s(4, 30, 70, 3)],
    })
    expect(path(spans)).toEqual([
      [1, 0, 10],
      [2, 10, 20],
      [3, 20, 30],
      [4, 30, 70],
      [3, 70, 80],
      [2, 80, 90],
      [1, 90, 100],
    ])
  })

  it('clips a child that outlives its parent to the parent', () => {
    expect(path(viewSpans({ a: [s(1, 0, 50), s(2, 40, 500, 1)] }))).toEqual([
      [1, 0, 40],
      [2, 40, 50],
    ])
  })

  it('starts from the longest root when there are several, and is empty for no spans', () => {
    expect(path(viewSpans({ a: [s(1, 0, 10), s(2, 5, 100)] }))).toEqual([[2, 5, 100]])
    expect(criticalPath([])).toEqual([])
  })

  it('copes with a 5,000-span chain', () => {
    const chain = Array.from({ length: 5000 }, (_, i) =>
      s(i + 1, i * 0.01, 100 - i * 0.01, i === 0 ? undefined : i),
    )
    const segments = criticalPath(viewSpans({ a: chain }))
    expect(new Set(segments.map((x) => x.spanId)).size).toBe(5000)
  })
})

describe('buildTree', () => {
  it('nests children in start order and makes spans with a missing parent roots', () => {
    const roots = buildTree(
      viewSpans({
        a: [
          s(1, 0, 10),
          s(3, 5, 6, 1),
          s(2, 2, 3, 1),
          otlpSpan({ spanId: spanId(9), parentSpanId: spanId(99), startMs: 1 }),
        ],
      }),
    )
    expect(roots.map((r) => [r.span.spanId, r.missingParent])).toEqual([
      [spanId(1), false],
      [spanId(9), true],
    ])
    expect(walkTree(roots).map((n) => [n.span.spanId, n.depth])).toEqual([
      [spanId(1), 0],
      [spanId(2), 1],
      [spanId(3), 1],
      [spanId(9), 0],
    ])
  })

  it('breaks a parent cycle instead of losing its spans', () => {
    const roots = buildTree(
      viewSpans({
        a: [
          otlpSpan({ spanId: spanId(1), parentSpanId: spanId(2), startMs: 0 }),
          otlpSpan({ spanId: spanId(2), parentSpanId: spanId(1), startMs: 1 }),
        ],
      }),
    )
    expect(
      walkTree(roots)
        .map((n) => n.span.spanId)
        .sort(),
    ).toEqual([spanId(1), spanId(2)])
    expect(roots).toHaveLength(1)
  })
})
