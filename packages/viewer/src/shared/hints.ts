// Broken-trace hints: what is wrong with a trace's structure, on which span, and the likely cause.
// Computed once per trace (the server counts them for the list, the page shows them).
import type { TraceHint, ViewSpan } from './api.js'

/** The attribute tracehop sets on a SERVER span whose caller's trace it did not continue. */
export const ATTR_REMOTE_PARENT_POLICY = 'tracehop.remote_parent.policy'

/** The first 8 hex digits of an id and an ellipsis, as the hints print ids. */
export function shortId(id: string): string {
  return id.length > 8 ? `${id.slice(0, 8)}…` : id
}

const CALLER_KINDS = new Set(['client', 'producer'])

/**
 * Finds what makes a trace hard to read: spans whose parent never arrived, several roots, a
 * CONSUMER without its PRODUCER, a SERVER span whose remote parent no caller here exported, and
 * the requests where tracehop's trust policy did not continue the caller's trace. One hint per
 * span and cause, in span start order.
 * @example
 * for (const hint of traceHints(flattenTrace(data))) console.log(hint.spanId, hint.message)
 */
export function traceHints(spans: readonly ViewSpan[]): TraceHint[] {
  const byId = new Map<string, ViewSpan>()
  for (const span of spans) byId.set(span.spanId, span)
  const hints: TraceHint[] = []

  const roots = spans.filter((span) => span.parentSpanId === undefined)
  const mainRoot = roots.reduce<ViewSpan | undefined>(
    (first, span) => (first === undefined || span.startMs < first.startMs ? span : first),
    undefined,
  )

  for (const span of spans) {
    const parentId = span.parentSpanId
    const parent = parentId === undefined ? undefined : byId.get(parentId)

    if (span.kind === 'consumer' && !hasProducer(span, parent, byId)) {
      hints.push({
        kind: 'consumer-without-producer',
        spanId: span.spanId,
        ...(parentId === undefined ? {} : { parentSpanId: parentId }),
        message:
          parent === undefined && parentId !== undefined
            ? `CONSUMER span without its PRODUCER: parent ${shortId(parentId)} is missing, so the publisher did not export its span`
            : 'CONSUMER span without its PRODUCER: the publisher did not put the trace context into the message, or did not export its span',
      })
    } else if (span.kind === 'server' && parentId !== undefined && parent === undefined) {
      hints.push({
        kind: 'server-without-client',
        spanId: span.spanId,
        parentSpanId: parentId,
        message: `parent ${shortId(parentId)} is a remote context no caller here exported: the caller is not traced, or exports its spans somewhere else`,
      })
    } else if (parentId !== undefined && parent === undefined) {
      hints.push({
        kind: 'missing-parent',
        spanId: span.spanId,
        parentSpanId: parentId,
        message: `parent ${shortId(parentId)} is missing: the caller did not export, or the context was lost before this call`,
      })
    } else if (
      span.kind === 'server' &&
      parent !== undefined &&
      parent.service !== span.service &&
      !CALLER_KINDS.has(parent.kind)
    ) {
      hints.push({
        kind: 'server-without-client',
        spanId: span.spanId,
        parentSpanId: parent.spanId,
        message: `the caller ${parent.service} exported no CLIENT span for this call (its parent is ${parent.kind.toUpperCase()} span "${parent.name}"): the outgoing request was not traced, so its time on the wire is not shown`,
      })
    }

    if (parentId === undefined && roots.length > 1 && span !== mainRoot) {
      hints.push({
        kind: 'several-roots',
        spanId: span.spanId,
        message: `this trace has ${roots.length} root spans: "${span.name}" (${span.service}) started without a parent, so its work is not attached to the request that caused it`,
      })
    }

    const policy = span.attributes[ATTR_REMOTE_PARENT_POLICY]
    if (policy === 'link' || policy === 'ignore') {
      const link = span.links[0]
      hints.push({
        kind: 'remote-parent-policy',
        spanId: span.spanId,
        message:
          policy === 'link'
            ? `tracehop did not continue the caller's trace (policy "link"): this request starts a new trace${link === undefined ? '' : `, linked to span ${shortId(link.spanId)} of trace ${shortId(link.traceId)}`}`
            : `tracehop ignored the caller's trace context (policy "ignore"): this request starts a new trace with no link to its caller`,
      })
    }
  }
  return hints
}

function hasProducer(
  span: ViewSpan,
  parent: ViewSpan | undefined,
  byId: ReadonlyMap<string, ViewSpan>,
): boolean {
  if (parent?.kind === 'producer') return true
  for (const link of span.links) {
    // A link into another trace cannot be checked here; give it the benefit of the doubt.
    if (link.traceId !== span.traceId) return true
    if (byId.get(link.spanId)?.kind === 'producer') return true
  }
  return false
}
