#!/usr/bin/env node
// tracehop-viewer [--port 4318] [--host 127.0.0.1] [--max-spans N] [--file PATH] [--allow-origin O]
import { parseCli } from './cli-args.js'
import { DEFAULTS } from './options.js'
import { isLoopback } from './server/access.js'
import { startViewer } from './server/viewer.js'

const USAGE = `Usage: tracehop-viewer [options]

Receives OTLP/HTTP traces and shows them in the browser: the whole trace across services,
with hints where it is broken.

Options:
  --port N           port for OTLP, the page and the API (default ${DEFAULTS.port}; 0 picks a free one)
  --host ADDRESS     address to listen on (default ${DEFAULTS.host}, this machine only)
  --max-spans N      spans kept in memory, oldest traces evicted first (default ${DEFAULTS.maxSpans})
  --file PATH        append every batch to PATH and load it on start, so traces survive a restart
  --allow-origin O   let a browser page at origin O export OTLP here (repeatable; * for any)
  -h, --help         print this and exit

Then run your app with OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:${DEFAULTS.port} and open the URL printed.
`

async function main(): Promise<void> {
  const parsed = parseCli(process.argv.slice(2))
  if (parsed === 'help') {
    process.stdout.write(USAGE)
    return
  }
  if (typeof parsed === 'string') {
    process.stderr.write(
      `tracehop-viewer: ${parsed}\nRun tracehop-viewer --help for the options.\n`,
    )
    process.exitCode = 2
    return
  }
  const host = parsed.host ?? DEFAULTS.host
  if (!isLoopback(host))
    process.stderr.write(
      `tracehop-viewer: warning: listening on ${host}, not only on this machine: traces can hold personal data (URLs, user ids, headers), and anyone who reaches this port can read them and send spans.\n`,
    )
  let viewer
  try {
    viewer = await startViewer(parsed)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const message =
      code === 'EADDRINUSE'
        ? `port ${parsed.port ?? DEFAULTS.port} is in use (another viewer or collector?); pick another with --port, or --port 0 for any free one`
        : (err as Error).message
    process.stderr.write(`tracehop-viewer: ${message}\n`)
    process.exitCode = 1
    return
  }
  if (viewer.loaded !== undefined && viewer.loaded.badLines > 0)
    process.stderr.write(
      `tracehop-viewer: skipped ${viewer.loaded.badLines} unreadable lines of ${parsed.file}\n`,
    )
  const loaded =
    viewer.loaded === undefined ? '' : ` · ${viewer.loaded.spans} spans loaded from ${parsed.file}`
  process.stdout.write(
    `tracehop viewer on ${viewer.url} · send spans with OTEL_EXPORTER_OTLP_ENDPOINT=${viewer.otlpEndpoint}${loaded}\n`,
  )
  const stop = (): void => {
    void viewer.close().then(() => process.exit(0))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

void main()
