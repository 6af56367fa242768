'use strict'
// What one property access on Express's `req` and `res` costs on this Node, timed inside
// Express's own request flow: the reason tracehop keeps its per-request lookups on them few, and
// has Node reserve the trace's slot on every request before Express re-prototypes it.
// Express re-prototypes both objects for every request and adds properties to them, so each
// request's `req` and `res` have a shape of their own; on Node 20 and 22 (V8 11-12) a lookup on
// such an object misses V8's caches and takes the runtime's slow path. Node 24 does not pay it.
//
//   node bench/micro/express-access.cjs [--requests 50000]
//
// Each probe runs in a middleware of its own app, one app after the other, against the same
// raw-socket client (client.cjs): after a warm-up of as many requests, the median ns of the
// probe's one statement per request, less the median of an empty probe (the timer's own cost).

const http = require('node:http')
const { parseArgs } = require('node:util')
const { openClient, rawRequest } = require('./client.cjs')

const { values } = parseArgs({ options: { requests: { type: 'string', default: '50000' } } })
const requests = Number(values.requests)
const key = Symbol('bench.probe')
// a slot every request gets before Express sees it, as reserveRequestTraceSlots() gives the trace's
const reserved = Symbol('bench.reserved')
require('node:diagnostics_channel').subscribe('http.server.request.start', ({ request }) => {
  request[reserved] = undefined
})
const noop = () => {}

// Each probe is its own function, so each has its own inline caches.
const PROBES = [
  ['(the timer alone)', () => undefined],
  ['res.statusCode (own data property)', (req, res) => res.statusCode],
  ['res.headersSent (getter on the prototype)', (req, res) => res.headersSent],
  ['typeof res.writeHead (method on the prototype)', (req, res) => typeof res.writeHead],
  ['res instanceof ServerResponse', (req, res) => res instanceof http.ServerResponse],
  ['res.finished (own data property)', (req, res) => res.finished],
  ['res.writableFinished (getter on the prototype)', (req, res) => res.writableFinished],
  ['req.app (own data property)', (req) => req.app],
  ['req[symbol] = value (a new property)', (req) => (req[key] = 1)],
  ['req[symbol] read, then = value (new)', (req) => req[key] === undefined && (req[key] = 1)],
  ['req[reserved] read, then = value', (req) => req[reserved] === undefined && (req[reserved] = 1)],
  ['req.socket[symbol] = value', (req) => (req.socket[key] = 1)],
  ["res.on('close', listener)", (req, res) => res.on('close', noop)],
]

async function measure(probe) {
  const app = require('express')()
  const samples = new Float64Array(requests)
  let at = -requests // the first `requests` requests warm up
  app.use((req, res, next) => {
    const start = process.hrtime.bigint()
    probe(req, res)
    const took = process.hrtime.bigint() - start
    if (at >= 0 && at < requests) samples[at] = Number(took)
    at++
    next()
  })
  app.get('/users/:id', (req, res) => res.json({ id: req.params.id }))
  const server = http.createServer(app)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = server.address().port
  const client = await openClient(port, rawRequest(port))
  await client.send(2 * requests)
  client.close()
  server.close()
  samples.sort()
  return samples[requests >> 1]
}

async function main() {
  console.log(`${process.version}: ns per access in Express's request flow (median of ${requests})`)
  let timer
  for (const [label, probe] of PROBES) {
    const median = await measure(probe)
    if (timer === undefined) {
      timer = median
      console.log(`${label.padEnd(48)} ${median.toFixed(0)} ns`)
    } else {
      console.log(`${label.padEnd(48)} ${(median - timer).toFixed(0)} ns`)
    }
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
