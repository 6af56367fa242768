// Reading an OTLP/JSON file the user uploads (before it is POSTed to /v1/traces).

/** The trace ids in an OTLP/JSON document, in order of first appearance. */
export function traceIdsOf(json: unknown): string[] {
  const ids = new Set<string>()
  const data = json as { resourceSpans?: { scopeSpans?: { spans?: { traceId?: unknown }[] }[] }[] }
  for (const rs of data?.resourceSpans ?? []) {
    for (const ss of rs?.scopeSpans ?? []) {
      for (const span of ss?.spans ?? []) {
        if (typeof span?.traceId === 'string') ids.add(span.traceId.toLowerCase())
      }
    }
  }
  return [...ids]
}
