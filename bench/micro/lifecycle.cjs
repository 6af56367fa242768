'use strict'
// In-process micro-benchmark of core's request lifecycle, no sockets: `start()` and the
// response's `finish` on real IncomingMessage / ServerResponse objects, re-prototyped the way
// Express 5's `app.handle` does, for one or more builds side by side in one process.
//
//   node bench/micro/lifecycle.cjs [--rounds 9] [--iterations 20000] [--unsampled] [--plain]
//        [--options JSON] label=DIR ...
//
// DIR holds `core/dist/index.cjs` (e.g. `packages`, or a copy from before a change). Prints the
// median CPU µs per request of each build (rounds interleaved), and each build minus the first.

const http = require('node:http')
const net = require('node:net')
const path = require('node:path')
const { parseArgs } = require('node:util')
const Module = require('node:module')

const BENCH = path.join(__dirname, '..')
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '9' },
    iterations: { type: 'string', default: '20000' },
    unsampled: { type: 'boolean', default: false },
    plain: { type: 'boolean', default: false },
    options: { type: 'string', default: '{}' },
  },
})

// what a build requires (the API) resolves as bench/ resolves it, so all builds share one SDK
const buildDirs = positionals.map((arg) => path.resolve(arg.slice(arg.indexOf('=') + 1)) + path.sep)
const resolve = Module._resolveFilename
Module._resolveFilename = function (request, parent, ...rest) {
  const fromBuild = buildDirs.some((dir) => parent?.filename?.startsWith(dir))
  if (
    fromBuild &&
    !request.startsWith('.') &&
    !path.isAbsolute(request) &&
    !request.startsWith('node:')
  ) {
    const paths = Module._nodeModulePaths(BENCH)
    return resolve.call(
      this,
      request,
      { id: BENCH, filename: path.join(BENCH, 'x.js'), paths },
      ...rest,
    )
  }
  return resolve.call(this, request, parent, ...rest)
}

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
const parentSpanId = '00f067aa0ba902b7'
require('../lib/sdk.cjs').setupTracing({ traceId, parentSpanId })

const builds = positionals.map((arg) => {
  const at = arg.indexOf('=')
  const dir = path.resolve(arg.slice(at + 1))
  const core = require(path.join(dir, 'core', 'dist', 'index.cjs'))
  return {
    label: arg.slice(0, at),
    lifecycle: core.createRequestLifecycle(JSON.parse(values.options), '@tracehop/bench'),
  }
})

// Express 5 swaps the prototypes of req and res for its own (which inherit from Node's)
const reqProto = Object.create(http.IncomingMessage.prototype)
const resProto = Object.create(http.ServerResponse.prototype)
const socket = new net.Socket()
const flags = values.unsampled ? '00' : '01'

function makeRequest() {
  const req = new http.IncomingMessage(socket)
  req.method = 'GET'
  req.url = '/users/1?x=1'
  req.httpVersion = '1.1'
  req.headers = {
    host: '127.0.0.1:3000',
    'user-agent': 'bench',
    traceparent: `00-${traceId}-${parentSpanId}-${flags}`,
  }
  const res = new http.ServerResponse(req)
  if (!values.plain) {
    Object.setPrototypeOf(req, reqProto)
    Object.setPrototypeOf(res, resProto)
  }
  return [req, res]
}

function once(lifecycle, iterations) {
  // objects made before the clock starts: only tracehop's part is measured
  const pairs = []
  for (let i = 0; i < iterations; i++) pairs.push(makeRequest())
  const before = process.cpuUsage()
  for (let i = 0; i < iterations; i++) {
    const [req, res] = pairs[i]
    lifecycle.start(req, res, undefined)
    res.statusCode = 200
    res._header = 'x' // headersSent
    res.emit('finish')
  }
  const used = process.cpuUsage(before)
  return (used.user + used.system) / iterations
}

const iterations = Number(values.iterations)
const results = builds.map(() => [])
for (const build of builds) once(build.lifecycle, iterations) // warm-up
for (let round = 0; round < Number(values.rounds); round++) {
  const order = round % 2 === 0 ? builds : [...builds].reverse()
  for (const build of order) results[builds.indexOf(build)].push(once(build.lifecycle, iterations))
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
builds.forEach((build, i) => {
  const xs = results[i]
  const vsFirst =
    i === 0
      ? ''
      : `  vs ${builds[0].label} ${median(xs.map((x, j) => x - results[0][j])).toFixed(2)}`
  console.log(`${build.label.padEnd(10)} ${median(xs).toFixed(2)} µs/req${vsFirst}`)
})
