// A finished span as a fixture prints it on stdout (JSON) for the test that ran it.
import { SpanKind } from '@opentelemetry/api'
import type { ReadableSpan } from '@opentelemetry/sdk-trace'

/** What a fixture prints of one span. */
export interface PrintedSpan {
  name: string
  kind: string
  spanId: string
  traceId: string
  parentSpanId?: string
  service: string
  version?: string
  attributes: Record<string, unknown>
  status: { code: number; message?: string }
}

/** The printable form of a finished span. */
export function printSpan(s: ReadableSpan): PrintedSpan {
  return {
    name: s.name,
    kind: SpanKind[s.kind],
    spanId: s.spanContext().spanId,
    traceId: s.spanContext().traceId,
    parentSpanId: s.parentSpanContext?.spanId,
    service: s.resource.attributes['service.name'] as string,
    version: s.resource.attributes['service.version'] as string | undefined,
    attributes: s.attributes,
    status: s.status,
  }
}
