// Where the CPU of a bench server went, kernel included, from a `perf` recording with call graphs.
// `pnpm bench --perf ID` records and prints this for each matching run; this script reads a
// recording again:
//
//   node bench/perf-report.mjs FILE.perf.txt [--cpu-per-request µs] [--ours REGEX] [--top N]
//
// FILE.perf.txt is `perf script` output (the harness writes one next to each perf.data).
// --cpu-per-request: the measured CPU µs per request, to print µs beside the shares.
// --ours: the tracer's frames (default: tracehop's packages), e.g. '@fastify\+otel' for a peer.
import { readFileSync } from 'node:fs'
import process from 'node:process'
import { parseArgs } from 'node:util'
import { analyze, formatPerf, parsePerfScript } from './lib/perf.mjs'

let parsed
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      'cpu-per-request': { type: 'string' },
      ours: { type: 'string' },
      top: { type: 'string', default: '15' },
    },
  })
} catch (error) {
  console.error(error.message)
  process.exit(2)
}
const { values, positionals } = parsed
if (positionals.length === 0) {
  console.error(
    'usage: node bench/perf-report.mjs FILE.perf.txt [--cpu-per-request µs] [--ours REGEX]',
  )
  process.exit(2)
}
for (const file of positionals) {
  const stacks = parsePerfScript(readFileSync(file, 'utf8'))
  const result = analyze(stacks, values.ours ? { ours: new RegExp(values.ours) } : {})
  const perRequest = values['cpu-per-request'] ? Number(values['cpu-per-request']) : undefined
  console.log(`${file}\n${formatPerf(result, { perRequest, top: Number(values.top) })}\n`)
}
