// CPU per outgoing call, traced against untraced, in a keep-alive loop against a local server.
// Run from the repository root, variants in separate processes, paired rounds:
//   for r in 1 2 3 4 5; do for v in notrace traced; do
//     node --import ./examples/demo/loader.mjs packages/node/test/bench/outbound.ts $v fetch   # or http
//   done; done
// Variants: off (no tracing), notrace (tracing, outgoing calls off), traced (outgoing calls on).
import { startTracing } from '../../src/index.js'
import { trace } from '@opentelemetry/api'
import http from 'node:http'
import { type AddressInfo } from 'node:net'

const [variant, kind] = process.argv.slice(2) as [string, 'fetch' | 'http']
if (variant !== 'off') {
  startTracing({
    serviceName: 'bench',
    exporter: 'none',
    handleSignals: false,
    outbound: variant === 'traced' ? true : false,
  })
}
const server = http.createServer((_req, res) => res.end('ok'))
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`
const agent = new http.Agent({ keepAlive: true })
const get = (): Promise<void> =>
  new Promise((resolve, reject) =>
    http
      .get(url, { agent }, (res) => {
        res.resume()
        res.on('end', resolve)
      })
      .on('error', reject),
  )
const once =
  kind === 'fetch'
    ? async () => {
        await (await fetch(url)).text()
      }
    : get
const tracer = trace.getTracer('b')
const run = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) {
    // inside a parent span, as calls made while serving a request are
    await tracer.startActiveSpan('parent', async (span) => {
      await once()
      span.end()
    })
  }
}
await run(500)
const n = 3000
const cpu0 = process.cpuUsage()
const t0 = performance.now()
await run(n)
const cpu = process.cpuUsage(cpu0)
const wall = performance.now() - t0
console.log(
  JSON.stringify({ variant, kind, cpuUs: (cpu.user + cpu.system) / n, wallUs: (wall * 1000) / n }),
)
server.close()
agent.destroy()
process.exit(0)
