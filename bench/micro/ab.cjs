'use strict'
// A/B micro-benchmark of tracehop builds, for iterating on the hot path on a noisy machine.
//
//   node bench/micro/ab.cjs [--framework express|http|fastify] [--rounds 7] [--requests 20000]
//        [--unsampled] [--layers 2] [--options JSON] [--setup sdk|start|start-metrics|start-dropped]
//        [--entry] label=DIR ...
//
// `--setup` says who sets up the SDK: `sdk` (the default) the bench's hand-made one, `start`
// @tracehop/node's startTracing() of the build (metrics off), `start-metrics` the same with its
// MeterProvider, `start-dropped` with `sampleRatio: 0` and requests that send no `traceparent`,
// so every one starts a trace the sampler drops.
//
// `--entry` (Express only) times the middleware's entry instead of the whole request: a layer
// before `traceMiddleware()` reads `process.hrtime` and the layer after it reads it again, and each
// process reports the median ns of that window over its requests (bare: the two layers alone).
// Far steadier than CPU time on a noisy host, for changes to what the middleware does on entry.
//
// Each DIR holds built packages as `DIR/{core,express,fastify}/dist` (e.g. `packages`, or a copy
// of them from before a change). Every round runs, in interleaved order, a bare server and one
// server per build, each in a fresh process that serves `--requests` keep-alive requests from an
// in-process raw-socket client over 127.0.0.1 and reports its own CPU time (server and client;
// the client's part is the same for every build). Prints the median added CPU µs per request
// against bare, and the median paired difference between the builds.

const { spawn } = require('node:child_process')
const path = require('node:path')
const { parseArgs } = require('node:util')

const BENCH = path.join(__dirname, '..')

if (process.argv[2] === '--child') {
  child(JSON.parse(process.argv[3]))
} else {
  main().catch((error) => {
    console.error(error)
    process.exit(1)
  })
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      framework: { type: 'string', default: 'express' },
      rounds: { type: 'string', default: '7' },
      requests: { type: 'string', default: '20000' },
      layers: { type: 'string', default: '2' },
      unsampled: { type: 'boolean', default: false },
      options: { type: 'string', default: '{}' },
      setup: { type: 'string', default: 'sdk' },
      entry: { type: 'boolean', default: false },
    },
  })
  if (values.entry && values.framework !== 'express') throw new Error('--entry is for Express')
  if (!['sdk', 'start', 'start-metrics', 'start-dropped'].includes(values.setup)) {
    throw new Error(
      `--setup must be sdk, start, start-metrics or start-dropped; got ${values.setup}`,
    )
  }
  const builds = positionals.map((arg) => {
    const at = arg.indexOf('=')
    return { label: arg.slice(0, at), dir: path.resolve(arg.slice(at + 1)) }
  })
  const variants = [{ label: 'bare', dir: undefined }, ...builds]
  const results = new Map(variants.map((v) => [v.label, []]))
  for (let round = 0; round < Number(values.rounds); round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse()
    for (const variant of order) {
      const us = await run({
        framework: values.framework,
        requests: Number(values.requests),
        layers: Number(values.layers),
        sampled: !values.unsampled,
        options: JSON.parse(values.options),
        setup: values.setup,
        entry: values.entry,
        dir: variant.dir,
      })
      results.get(variant.label).push(us)
    }
  }
  const { median } = await import('../lib/report.mjs')
  const unit = values.entry ? 'ns in the entry' : 'µs/req'
  const bare = results.get('bare')
  for (const v of variants) {
    const xs = results.get(v.label)
    const added =
      v.dir === undefined ? '' : `  added ${median(xs.map((x, i) => x - bare[i])).toFixed(2)}`
    console.log(
      `${v.label.padEnd(12)} ${median(xs).toFixed(2)} ${unit}${added}   [${xs.map((x) => x.toFixed(1)).join(' ')}]`,
    )
  }
  for (let i = 1; i < builds.length; i++) {
    const a = results.get(builds[0].label)
    const b = results.get(builds[i].label)
    const diff = median(b.map((x, j) => x - a[j]))
    console.log(
      `${builds[i].label} - ${builds[0].label}: ${diff.toFixed(2)} ${unit} (median paired)`,
    )
  }
}

function run(config) {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [path.join(__dirname, 'ab.cjs'), '--child', JSON.stringify(config)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, NODE_ENV: 'production' },
      },
    )
    let out = ''
    proc.stdout.on('data', (chunk) => (out += chunk))
    proc.on('error', reject)
    proc.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`child exited ${code}`))
      resolve(Number(out.trim().split('\n').pop()))
    })
  })
}

function child({ framework, requests, layers, sampled, options, setup, entry, dir }) {
  const Module = require('node:module')
  // `@tracehop/*` from DIR; what the build itself requires (the API) as bench/ resolves it
  const resolve = Module._resolveFilename
  Module._resolveFilename = function (request, parent, ...rest) {
    if (dir !== undefined && request.startsWith('@tracehop/')) {
      return path.join(dir, request.slice('@tracehop/'.length), 'dist', 'index.cjs')
    }
    const fromBuild = dir !== undefined && parent?.filename?.startsWith(dir + path.sep)
    if (
      fromBuild &&
      !request.startsWith('.') &&
      !path.isAbsolute(request) &&
      !request.startsWith('node:')
    ) {
      // the API must be the one bench/ uses (one global registry); other dependencies
      // (fastify-plugin) come from the package's own node_modules when bench/ lacks them
      try {
        return resolve.call(
          this,
          request,
          { id: BENCH, filename: path.join(BENCH, 'x.js'), paths: Module._nodeModulePaths(BENCH) },
          ...rest,
        )
      } catch {
        const pkg = path.relative(dir, parent.filename).split(path.sep)[0]
        const home = path.join(__dirname, '..', '..', 'packages', pkg)
        return resolve.call(
          this,
          request,
          { id: home, filename: path.join(home, 'x.js'), paths: Module._nodeModulePaths(home) },
          ...rest,
        )
      }
    }
    return resolve.call(this, request, parent, ...rest)
  }
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
  const parentSpanId = '00f067aa0ba902b7'
  const sdk = require('../lib/sdk.cjs')
  const expected = { traceId, parentSpanId }
  const newTraces = setup === 'start-dropped'
  if (dir === undefined || setup === 'sdk') sdk.setupTracing(expected)
  else if (setup === 'start') sdk.startTracing(expected)
  else if (setup === 'start-metrics') sdk.startTracing(expected, { metrics: true })
  else sdk.startTracing(expected, { metrics: true, sampleRatio: 0 })
  const http = require('node:http')
  const { openClient, rawRequest } = require('./client.cjs')

  // --entry: the window from the layer before the middleware to the layer after it
  const entryTimer = {
    samples: new Float64Array(requests),
    at: -1, // not timing during the warm-up
    started: 0n,
    before(req, res, next) {
      entryTimer.started = process.hrtime.bigint()
      next()
    },
    after(req, res, next) {
      const took = process.hrtime.bigint() - entryTimer.started
      if (entryTimer.at >= 0 && entryTimer.at < requests)
        entryTimer.samples[entryTimer.at++] = Number(took)
      next()
    },
  }
  let handler
  const answer = (res) => {
    res.setHeader('content-type', 'application/json')
    res.end('{"id":"1","name":"Ada"}')
  }
  const start = async () => {
    if (framework === 'express') {
      const express = require('express')
      const app = express()
      if (entry) app.use(entryTimer.before)
      if (dir !== undefined) app.use(require('@tracehop/express').traceMiddleware(options))
      if (entry) app.use(entryTimer.after)
      for (let i = 0; i < layers; i++) app.use((req, res, next) => next())
      app.get('/users/:id', (req, res) => res.json({ id: req.params.id, name: 'Ada' }))
      handler = app
    } else if (framework === 'fastify') {
      const app = require('fastify')()
      if (dir !== undefined) await app.register(require('@tracehop/fastify').tracingPlugin, options)
      for (let i = 0; i < layers; i++) app.addHook('preHandler', (req, reply, done) => done())
      app.get('/users/:id', (req) => ({ id: req.params.id, name: 'Ada' }))
      await app.listen({ port: 0, host: '127.0.0.1' })
      return app.server
    } else {
      handler = (req, res) => answer(res)
      if (dir !== undefined) handler = require('@tracehop/core').traceHandler(handler, options)
    }
    const server = http.createServer(handler)
    await new Promise((r) => server.listen(0, '127.0.0.1', r))
    return server
  }

  start().then(async (server) => {
    const { port } = server.address()
    const flags = sampled ? '01' : '00'
    const raw = rawRequest(port, newTraces ? undefined : `00-${traceId}-${parentSpanId}-${flags}`)
    const drive = async (count) => {
      const client = await openClient(port, raw)
      await client.send(count)
      client.close()
    }
    await drive(Math.min(5000, requests / 2))
    entryTimer.at = 0
    const before = process.cpuUsage()
    await drive(requests)
    const used = process.cpuUsage(before)
    if (entry) {
      const timed = entryTimer.samples.subarray(0, entryTimer.at).sort()
      console.log(timed[timed.length >> 1].toString())
    } else {
      console.log(((used.user + used.system) / requests).toString())
    }
    server.close()
    process.exit(0)
  })
}
