// CPU of the fetch hooks alone: undici's request channels replayed with a fake request.
// Run from the repository root:
//   node --import ./examples/demo/loader.mjs packages/node/test/bench/hooks.ts off      # or traced
import { startTracing } from '../../src/index.js'
import { trace } from '@opentelemetry/api'
import dc from 'node:diagnostics_channel'

const [variant] = process.argv.slice(2) as [string]
startTracing({
  serviceName: 'bench',
  exporter: 'none',
  handleSignals: false,
  outbound: variant === 'traced' ? { http: false } : false,
})
const create = dc.channel('undici:request:create')
const headers = dc.channel('undici:request:headers')
const trailers = dc.channel('undici:request:trailers')
const tracer = trace.getTracer('b')
const response = { statusCode: 200 }
const loop = (n: number): void => {
  tracer.startActiveSpan('parent', (span) => {
    for (let i = 0; i < n; i++) {
      const request = {
        method: 'GET',
        origin: 'http://127.0.0.1:8080',
        path: '/orders/42?x=1',
        headers: 'host: a\r\n',
        addHeader(k: string, v: string) {
          this.headers += `${k}: ${v}\r\n`
        },
      }
      if (create.hasSubscribers) create.publish({ request })
      if (headers.hasSubscribers) headers.publish({ request, response })
      if (trailers.hasSubscribers) trailers.publish({ request, trailers: [] })
    }
    span.end()
  })
}
loop(20000)
const n = 200000
const c0 = process.cpuUsage()
loop(n)
const c = process.cpuUsage(c0)
console.log(JSON.stringify({ variant, cpuUsPerCall: (c.user + c.system) / n }))
process.exit(0)
