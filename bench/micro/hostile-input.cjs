'use strict'
// In-process micro-benchmark of what hostile input costs: `url.query` redaction of a query made
// only of `&` (16, 64 and 256 KB, through core's lifecycle `start()`), and extraction of 1,000 and
// 2,000 `uberctx-*` headers (through `createPropagator('tracecontext,baggage,jaeger')`). Each row
// prints the median wall time of one call and its growth over the row before: linear work grows
// like the input (x4 from 16 to 64 KB, x2 from 1,000 to 2,000 headers), quadratic work like its
// square (x16, x4).
//
//   node bench/micro/hostile-input.cjs [--rounds 5] [label=CORE_CJS ...]
//
// CORE_CJS is a built `@tracehop/core` (default `packages/core/dist/index.cjs`); give a copy built
// from before a change as a second `label=path` to see both side by side. A build outside the
// workspace resolves its dependencies through NODE_PATH (e.g. NODE_PATH=node_modules).

const http = require('node:http')
const net = require('node:net')
const path = require('node:path')
const { performance } = require('node:perf_hooks')
const { parseArgs } = require('node:util')

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '5' } },
})
const rounds = Number(values.rounds)

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
const parentSpanId = '00f067aa0ba902b7'
require('../lib/sdk.cjs').setupTracing({ traceId, parentSpanId })

const specs = positionals.length > 0 ? positionals : ['tracehop=packages/core/dist/index.cjs']
const builds = specs.map((spec) => {
  const at = spec.indexOf('=')
  const core = require(path.resolve(spec.slice(at + 1)))
  return {
    label: spec.slice(0, at),
    lifecycle: core.createRequestLifecycle({}, '@tracehop/bench'),
    propagator: core.createPropagator('tracecontext,baggage,jaeger'),
  }
})

const api = require('@opentelemetry/api')
const socket = new net.Socket()

function request(url) {
  const req = new http.IncomingMessage(socket)
  req.method = 'GET'
  req.url = url
  req.httpVersion = '1.1'
  req.headers = { host: '127.0.0.1:3000', traceparent: `00-${traceId}-${parentSpanId}-01` }
  return [req, new http.ServerResponse(req)]
}

/** Median ms of one `fn()` call: each round repeats it until 100 ms have passed (at least 3 times). */
function time(fn) {
  fn() // warm-up
  const perRound = []
  for (let round = 0; round < rounds; round++) {
    let calls = 0
    const start = performance.now()
    let elapsed = 0
    while (calls < 3 || elapsed < 100) {
      fn()
      calls++
      elapsed = performance.now() - start
    }
    perRound.push(elapsed / calls)
  }
  return perRound.sort((a, b) => a - b)[Math.floor(perRound.length / 2)]
}

function redaction(build, kilobytes) {
  const url = `/search?${'&'.repeat(kilobytes * 1024)}`
  return time(() => {
    const [req, res] = request(url)
    build.lifecycle.start(req, res, undefined)
    res.statusCode = 200
    res._header = 'x' // headersSent
    res.emit('finish')
  })
}

function extraction(build, count) {
  const headers = {}
  for (let i = 0; i < count; i++) headers[`uberctx-k${i}`] = 'v'
  return time(() => build.propagator.extract(api.ROOT_CONTEXT, headers, api.defaultTextMapGetter))
}

const rows = [
  ...[16, 64, 256].map((kb) => ({
    what: `url.query redaction, ${kb} KB of '&'`,
    run: (b) => redaction(b, kb),
  })),
  ...[1000, 2000].map((n) => ({
    what: `extract ${n.toLocaleString('en')} uberctx-* headers`,
    run: (b) => extraction(b, n),
  })),
]

console.log(`| row | ${builds.map((b) => `${b.label} ms | growth`).join(' | ')} |`)
console.log(`| --- | ${builds.map(() => '---: | ---:').join(' | ')} |`)
const previous = builds.map(() => undefined)
let group
for (const row of rows) {
  const kind = row.what.split(',')[0].split(' ')[0]
  if (kind !== group) previous.fill(undefined)
  group = kind
  const cells = builds.map((build, i) => {
    const ms = row.run(build)
    const growth = previous[i] === undefined ? '' : `x${(ms / previous[i]).toFixed(1)}`
    previous[i] = ms
    return `${ms < 1 ? ms.toFixed(3) : ms.toFixed(2)} | ${growth}`
  })
  console.log(`| ${row.what} | ${cells.join(' | ')} |`)
}
