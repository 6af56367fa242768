/** Options of {@link startViewer}. Every one is optional. */
export interface ViewerOptions {
  /** TCP port for OTLP, the page and the API. `0` picks a free one. Default `4318` (OTLP/HTTP's). */
  port?: number
  /**
   * Address to listen on. Default `'127.0.0.1'`: traces can hold personal data (URLs, user ids,
   * headers), so the viewer is reachable from this machine only unless told otherwise.
   */
  host?: string
  /** Spans kept in memory; past it the traces that have gone longest without a span are evicted. Default `100000`. */
  maxSpans?: number
  /** Appends every accepted batch to this file (NDJSON of OTLP/JSON) and loads it on start. */
  file?: string
  /**
   * Origins allowed to POST OTLP from a browser (CORS on `/v1/*` only; the API stays same-origin),
   * e.g. `['http://localhost:5173']`; `['*']` allows any. Default none.
   */
  allowedOrigins?: readonly string[]
  /** Largest request body, before and after gzip, in bytes. Default 16 MiB. */
  maxBodyBytes?: number
  /** Attributes kept per span, event, link, resource and scope. Default `128`. */
  maxAttributes?: number
  /** Characters kept of a string value; longer ones are cut. Default `8192`. */
  maxValueLength?: number
}

/** A running viewer. */
export interface Viewer {
  /** Where the page is, e.g. `http://127.0.0.1:4318/`. */
  readonly url: string
  /** The value for `OTEL_EXPORTER_OTLP_ENDPOINT`, e.g. `http://127.0.0.1:4318`. */
  readonly otlpEndpoint: string
  /** The port listened on (the real one when `port` was `0`). */
  readonly port: number
  /** Stops listening, ends the event streams and flushes `file`. */
  close(): Promise<void>
}
