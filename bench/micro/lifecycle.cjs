'use strict'
// In-process micro-benchmark of core's request lifecycle, no sockets: `start()` and the
// response's `finish` on real IncomingMessage / ServerResponse objects, re-prototyped the way
// Express 5's `app.handle` does, for one or more builds side by side in one process.
//
//   node bench/micro/lifecycle.cjs [--rounds 9] [--iterations 20000] [--unsampled] [--plain]
//        [--options JSON] [--setup sdk|start|start-metrics] [--json] label=DIR[@JSON] ...
//
// DIR holds `core/dist/index.cjs` (e.g. `packages`, or a copy from before a change); `@JSON`
// gives that build its own lifecycle options over `--options`, so one build can be set against
// itself (`metric=packages nometric=packages@{"metrics":false}`). `--setup` says who sets up the
// SDK the process shares: the bench's hand-made one (`sdk`, the default, its MeterProvider on the
// metrics API) or the first build's startTracing(), without (`start`) or with (`start-metrics`)
// its own MeterProvider and duration sink. Prints the median CPU µs per request of each build
// (the builds alternate batch by batch within each round), and the median over the rounds of
// each build's difference from the first; `--json` prints the same as one JSON object (what
// `pnpm bench` reads).

const http = require('node:http')
const net = require('node:net')
const path = require('node:path')
const { parseArgs } = require('node:util')
const Module = require('node:module')
const { inTurns } = require('./turns.cjs')

const BENCH = path.join(__dirname, '..')
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '9' },
    iterations: { type: 'string', default: '20000' },
    unsampled: { type: 'boolean', default: false },
    plain: { type: 'boolean', default: false },
    options: { type: 'string', default: '{}' },
    setup: { type: 'string', default: 'sdk' },
    json: { type: 'boolean', default: false },
  },
})
if (!['sdk', 'start', 'start-metrics'].includes(values.setup)) {
  throw new Error(`--setup must be sdk, start or start-metrics; got ${values.setup}`)
}

/** `label=DIR[@JSON]` */
function parseBuild(arg) {
  const at = arg.indexOf('=')
  const rest = arg.slice(at + 1)
  const json = rest.indexOf('@{')
  return {
    label: arg.slice(0, at),
    dir: path.resolve(json === -1 ? rest : rest.slice(0, json)),
    options: json === -1 ? {} : JSON.parse(rest.slice(json + 1)),
  }
}
const parsed = positionals.map(parseBuild)

// what a build requires (the API) resolves as bench/ resolves it, so all builds share one SDK
const buildDirs = parsed.map((build) => build.dir + path.sep)
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
    try {
      return resolve.call(
        this,
        request,
        { id: BENCH, filename: path.join(BENCH, 'x.js'), paths },
        ...rest,
      )
    } catch {
      // what bench/ does not have (@tracehop/node's exporters) comes from the build's package
    }
  }
  return resolve.call(this, request, parent, ...rest)
}

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
const parentSpanId = '00f067aa0ba902b7'
const sdk = require('../lib/sdk.cjs')
if (values.setup === 'sdk') {
  sdk.setupTracing({ traceId, parentSpanId })
} else {
  // the first build's @tracehop/node, as a user's app would load it
  const node = path.join(parsed[0].dir, 'node', 'dist', 'index.cjs')
  const load = Module._load
  Module._load = function (request, ...rest) {
    return load.call(this, request === '@tracehop/node' ? node : request, ...rest)
  }
  try {
    sdk.startTracing({ traceId, parentSpanId }, { metrics: values.setup === 'start-metrics' })
  } finally {
    Module._load = load
  }
}

const builds = parsed.map((build) => {
  const core = require(path.join(build.dir, 'core', 'dist', 'index.cjs'))
  const options = { ...JSON.parse(values.options), ...build.options }
  return {
    label: build.label,
    lifecycle: core.createRequestLifecycle(options, '@tracehop/bench'),
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

// Requests run in batches with a turn of the event loop between them, as a server's would: the
// span processor exports (unmeasured) between batches instead of its queue overflowing. The
// builds take turns batch by batch (turns.cjs), so a slow patch of the machine falls on all of
// them alike.
const BATCH = 256

function batch(lifecycle) {
  // objects made before the clock starts: only tracehop's part is measured
  const pairs = []
  for (let i = 0; i < BATCH; i++) pairs.push(makeRequest())
  const before = process.cpuUsage()
  for (let i = 0; i < BATCH; i++) {
    const [req, res] = pairs[i]
    lifecycle.start(req, res, undefined)
    res.statusCode = 200
    res._header = 'x' // headersSent
    res.emit('finish')
  }
  const used = process.cpuUsage(before)
  return used.user + used.system
}

/** One round: CPU µs per request of each build, the builds taking turns batch by batch. */
async function round(order, iterations) {
  const batches = Math.ceil(iterations / BATCH)
  const cpu = await inTurns(order.length, batches, async (at) => {
    const used = batch(order[at].lifecycle)
    await new Promise((resolve) => globalThis.setImmediate(resolve))
    return used
  })
  return cpu.map((us) => us / (batches * BATCH))
}

async function main() {
  const iterations = Number(values.iterations)
  const results = builds.map(() => [])
  await round(builds, iterations) // warm-up
  for (let r = 0; r < Number(values.rounds); r++) {
    const perRequest = await round(builds, iterations)
    perRequest.forEach((us, i) => results[i].push(us))
  }
  const { median } = await import('../lib/report.mjs')
  const summary = builds.map((build, i) => {
    const vsFirstRounds = i === 0 ? undefined : results[i].map((x, j) => x - results[0][j])
    return {
      label: build.label,
      cpu: median(results[i]),
      vsFirst: vsFirstRounds && median(vsFirstRounds),
      rounds: results[i],
      vsFirstRounds,
    }
  })
  if (values.json) {
    console.log(
      JSON.stringify({ setup: values.setup, unsampled: values.unsampled, builds: summary }),
    )
  } else {
    for (const { label, cpu, vsFirst } of summary) {
      const versus = vsFirst === undefined ? '' : `  vs ${builds[0].label} ${vsFirst.toFixed(2)}`
      console.log(`${label.padEnd(10)} ${cpu.toFixed(2)} µs/req${versus}`)
    }
  }
  process.exit(0)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
