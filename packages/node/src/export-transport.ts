// Bounds what one OTLP export may cost, and lets shutdown end it at once.
//
// The OTLP exporters retry inside one export until their timeout, from timers of their own, and
// send over a keep-alive agent: a hung or refusing collector kept the process alive for the whole
// retry budget after shutdown() had returned. Go's batch span processor cancels the export's
// context when its timeout passes; the JavaScript exporters take no cancellation, so tracehop
// supplies their HTTP agent (to end in-flight requests) and takes the retrying over (to cancel a
// retry that is waiting). It also records why an attempt failed, HTTP status included, which the
// exporters do not report for the statuses they retry.
import type { Agent as HttpAgent, ClientRequest, IncomingMessage } from 'node:http'
import { createRequire } from 'node:module'
import { join } from 'node:path'

/** One attempt's outcome, as the OTLP exporters' transports report it. */
interface TransportResult {
  status: 'success' | 'failure' | 'retryable'
  error?: Error
  retryInMillis?: number
  data?: Uint8Array
}

/** The transport interface inside the OTLP exporters (`@opentelemetry/otlp-exporter-base`). */
interface Transport {
  send(data: Uint8Array, timeoutMillis: number): Promise<TransportResult>
  shutdown(): void
}

const FIRST_BACKOFF_MILLIS = 1000
const MAX_BACKOFF_MILLIS = 5000

function isTransport(value: unknown): value is Transport {
  return (
    typeof (value as Partial<Transport> | null)?.send === 'function' &&
    typeof (value as Partial<Transport>).shutdown === 'function'
  )
}

/** The text of a network error: its message when it names the code, else both. */
function networkCause(error: Error): string {
  const code = (error as { code?: unknown }).code
  if (typeof code !== 'string' || error.message.includes(code)) return error.message
  return `${code}: ${error.message}`
}

/**
 * The export link of one OTLP exporter: its HTTP agent, its retries, and how it ends.
 * Build it first, give `agentFactory` to the exporter (`httpAgentOptions`), then `adopt` it.
 */
export class ExportTransport implements Transport {
  private inner: Transport | undefined
  private agent: HttpAgent | undefined
  private aborted = false
  private lastResponse: { code: number; message: string } | undefined
  private readonly wakers = new Set<() => void>()

  /** For the exporter's `httpAgentOptions`: a keep-alive agent this link can end. */
  readonly agentFactory = (protocol: string): HttpAgent => {
    // Required, not imported: an ESM import of node:http before the http instrumentation patched
    // it would fix the app's named imports (`import { get } from 'node:http'`) unpatched.
    const load = createRequire(join(process.cwd(), 'tracehop.cjs'))
    const { Agent } = load(protocol === 'https:' ? 'node:https' : 'node:http') as {
      Agent: typeof HttpAgent
    }
    const agent = new Agent({ keepAlive: true })
    const add = (agent as unknown as { addRequest: (req: ClientRequest, o: unknown) => void })
      .addRequest
    Object.assign(agent, {
      addRequest: (req: ClientRequest, options: unknown) => {
        req.once('response', (res: IncomingMessage) => {
          this.lastResponse = { code: res.statusCode ?? 0, message: res.statusMessage ?? '' }
        })
        add.call(agent, req, options)
      },
    })
    this.agent = agent
    return agent
  }

  /**
   * Puts this link between the exporter and its transport, in place of the exporter's own
   * retrying. Returns `false` (and changes nothing) when the exporter is not built as expected.
   */
  adopt(exporter: unknown): boolean {
    const delegate = (exporter as { _delegate?: { _transport?: unknown } } | null)?._delegate
    const current = delegate?._transport
    if (!isTransport(current)) return false
    const wrapped = (current as { _transport?: unknown })._transport
    this.inner = isTransport(wrapped) ? wrapped : current
    delegate!._transport = this
    return true
  }

  /** Ends the request in flight and any waiting retry now; later exports fail at once. */
  abort(): void {
    if (this.aborted) return
    this.aborted = true
    for (const wake of [...this.wakers]) wake()
    this.agent?.destroy()
    try {
      this.inner?.shutdown()
    } catch {
      // ending is best effort
    }
  }

  /**
   * @param quietOnAbort report an export ended by `abort()` as done: for the metric reader,
   *   which would report each such export as an error at shutdown, after tracehop's own warning.
   */
  constructor(private readonly quietOnAbort = false) {}

  private ended(): TransportResult {
    return this.quietOnAbort
      ? { status: 'success' }
      : { status: 'failure', error: new Error('tracehop shut down') }
  }

  async send(data: Uint8Array, timeoutMillis: number): Promise<TransportResult> {
    const inner = this.inner!
    const deadline = performance.now() + timeoutMillis
    let backoff = FIRST_BACKOFF_MILLIS
    for (;;) {
      if (this.aborted) return this.ended()
      this.lastResponse = undefined
      const remaining = deadline - performance.now()
      const result =
        remaining >= 1
          ? await inner.send(data, Math.ceil(remaining))
          : { status: 'retryable' as const, error: new Error('Request timed out') }
      if (result.status === 'success') return result
      if (this.aborted) return this.ended()
      const cause = this.cause(result, timeoutMillis)
      if (result.status === 'failure') return { status: 'failure', error: cause }
      // Spread the retries of many processes: ±20 % around the backoff.
      const wait = result.retryInMillis ?? backoff * (0.8 + Math.random() * 0.4)
      backoff = Math.min(backoff * 1.5, MAX_BACKOFF_MILLIS)
      if (wait > deadline - performance.now()) return { status: 'failure', error: cause }
      await this.sleep(wait)
    }
  }

  shutdown(): void {
    this.inner?.shutdown()
  }

  /** Why an attempt failed, in the words a warning should use. */
  private cause(result: TransportResult, timeoutMillis: number): Error {
    const error = result.error
    if (error?.message === 'Request timed out') {
      return new Error(`timed out after ${timeoutMillis} ms`)
    }
    const response = this.lastResponse
    if (response !== undefined && response.code >= 300) {
      return new Error(`HTTP ${response.code}${response.message ? ` ${response.message}` : ''}`)
    }
    if (error === undefined) return new Error('export failed')
    return new Error(networkCause(error))
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer)
        this.wakers.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      this.wakers.add(wake)
    })
  }
}
