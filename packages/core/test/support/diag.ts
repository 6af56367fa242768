import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api'

/** Collects `diag` output so tests can assert that hooks were reported. */
export function captureDiag(): { messages: string[]; restore: () => void } {
  const messages: string[] = []
  const record =
    (level: string) =>
    (message: string, ...args: unknown[]): void => {
      messages.push(
        `${level} ${message}${args.length > 0 ? ` ${args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ')}` : ''}`,
      )
    }
  const logger: DiagLogger = {
    error: record('error'),
    warn: record('warn'),
    info: record('info'),
    debug: record('debug'),
    verbose: record('verbose'),
  }
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true })
  return { messages, restore: () => diag.disable() }
}
