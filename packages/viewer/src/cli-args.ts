// The command line of tracehop-viewer, parsed into startViewer's options.
import { parseArgs } from 'node:util'
import type { ViewerOptions } from './types.js'

/** Turns argv into options, or the message of what is wrong with it. */
export function parseCli(argv: string[]): ViewerOptions | 'help' | string {
  let values
  try {
    ;({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'max-spans': { type: 'string' },
        file: { type: 'string' },
        'allow-origin': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    }))
  } catch (err) {
    return (err as Error).message
  }
  if (values.help === true) return 'help'
  const options: ViewerOptions = {}
  const integer = (
    flag: string,
    raw: string | undefined,
    min: number,
    max: number,
  ): number | string | undefined => {
    if (raw === undefined) return undefined
    const n = Number(raw)
    return /^\d+$/.test(raw) && n >= min && n <= max
      ? n
      : `--${flag} must be an integer from ${min} to ${max}; received ${JSON.stringify(raw)}`
  }
  const port = integer('port', values.port, 0, 65535)
  if (typeof port === 'string') return port
  if (port !== undefined) options.port = port
  const maxSpans = integer('max-spans', values['max-spans'], 1, 10_000_000)
  if (typeof maxSpans === 'string') return maxSpans
  if (maxSpans !== undefined) options.maxSpans = maxSpans
  if (values.host !== undefined) {
    if (values.host.trim() === '') return '--host must not be empty'
    options.host = values.host
  }
  if (values.file !== undefined) {
    if (values.file === '') return '--file must not be empty'
    options.file = values.file
  }
  const origins = values['allow-origin']
  if (origins !== undefined) {
    const bad = origins.find((o) => o !== '*' && !/^https?:\/\/[^/]+$/.test(o))
    if (bad !== undefined)
      return `--allow-origin must be an origin like http://localhost:5173 or *; received ${JSON.stringify(bad)}`
    options.allowedOrigins = origins
  }
  return options
}
