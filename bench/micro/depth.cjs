'use strict'
// What depth costs tracehop: four servers in one process, bare and traced, each with a few
// pass-through layers (Express middleware, Fastify preHandler hooks) and with many, driven in
// turns batch by batch (turns.cjs) by one raw-socket client, so the machine's drift falls on all
// four alike.
//
//   node bench/micro/depth.cjs [--framework express|fastify] [--rounds 9] [--requests 20000]
//        [--few 2] [--many 20] [--setup sdk|start] [--json]
//
// Prints the CPU µs per request of each server (server and client; the client's part is the
// same for all four), tracehop's added cost at each depth (traced less bare, per round), and
// how that added cost changes from the few layers to the many: the median over the rounds, and
// every round's value. `--setup start` traces through startTracing() instead of the bench's
// hand-made SDK. `--json` prints the same as one JSON object (what `pnpm bench` reads).
//
// It also times the layers themselves: the first pass-through layer reads `process.hrtime` and
// the last one reads it again, so each request gives the ns from one to the other (both sit in
// every server, bare or traced). The same change from few to many layers, in that time alone:
// what depth costs in the code that runs per layer, without the rest of the request's noise.

const http = require('node:http')
const { parseArgs } = require('node:util')
const { openClient, rawRequest } = require('./client.cjs')
const { socketRounds } = require('./turns.cjs')

const { values } = parseArgs({
  options: {
    framework: { type: 'string', default: 'express' },
    rounds: { type: 'string', default: '9' },
    requests: { type: 'string', default: '20000' },
    few: { type: 'string', default: '2' },
    many: { type: 'string', default: '20' },
    setup: { type: 'string', default: 'sdk' },
    json: { type: 'boolean', default: false },
  },
})
if (!['express', 'fastify'].includes(values.framework)) {
  throw new Error(`--framework must be express or fastify; got ${values.framework}`)
}
if (!['sdk', 'start'].includes(values.setup)) {
  throw new Error(`--setup must be sdk or start; got ${values.setup}`)
}

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
const parentSpanId = '00f067aa0ba902b7'
const sdk = require('../lib/sdk.cjs')
if (values.setup === 'sdk') sdk.setupTracing({ traceId, parentSpanId })
else sdk.startTracing({ traceId, parentSpanId })

/**
 * The pass-through layers of one server, as `(step) => void` functions each calling `step()`:
 * the first and the last time the way between them into `timing.samples` (ns per request).
 */
function passThrough(layers, timing) {
  let start = 0n
  return Array.from({ length: layers }, (_, i) => {
    if (i === 0) {
      return (step) => {
        start = process.hrtime.bigint()
        step()
      }
    }
    if (i === layers - 1) {
      return (step) => {
        timing.samples.push(Number(process.hrtime.bigint() - start))
        step()
      }
    }
    return (step) => step()
  })
}

async function listen(traced, layers, timing) {
  const steps = passThrough(layers, timing)
  if (values.framework === 'express') {
    const app = require('express')()
    if (traced) app.use(require('@tracehop/express').traceMiddleware())
    for (const step of steps) app.use((req, res, next) => step(next))
    app.get('/users/:id', (req, res) => res.json({ id: req.params.id, name: 'Ada' }))
    const server = http.createServer(app)
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    return { port: server.address().port, close: () => server.close() }
  }
  const app = require('fastify')()
  if (traced) await app.register(require('@tracehop/fastify').tracingPlugin)
  for (const step of steps) app.addHook('preHandler', (req, reply, done) => step(done))
  app.get('/users/:id', (req) => ({ id: req.params.id, name: 'Ada' }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { port: app.server.address().port, close: () => app.close() }
}

async function main() {
  const few = Number(values.few)
  const many = Number(values.many)
  // the first layer and the last time the way between them
  if (!(Number.isInteger(few) && few >= 2 && Number.isInteger(many) && many > few)) {
    throw new Error(`--few must be an integer of at least 2 and --many a larger one`)
  }
  const servers = []
  for (const [label, traced, layers] of [
    [`bare, ${few} layers`, false, few],
    [`bare, ${many} layers`, false, many],
    [`tracehop, ${few} layers`, true, few],
    [`tracehop, ${many} layers`, true, many],
  ]) {
    const timing = { samples: [] }
    const server = await listen(traced, layers, timing)
    const raw = rawRequest(server.port, `00-${traceId}-${parentSpanId}-01`)
    servers.push({ label, server, timing, client: await openClient(server.port, raw) })
  }

  const { median } = await import('../lib/report.mjs')
  // each round's median way through the layers of each server, µs
  const layerRounds = []
  const rounds = await socketRounds(
    servers.map((s) => s.client),
    Number(values.requests),
    Number(values.rounds),
    (r) => {
      const medians = servers.map(({ timing }) => median(timing.samples) / 1000)
      for (const { timing } of servers) timing.samples = []
      if (r >= 0) layerRounds.push(medians)
    },
  )

  const addedFew = rounds.map((r) => r[2] - r[0])
  const addedMany = rounds.map((r) => r[3] - r[1])
  const change = rounds.map((_, r) => addedMany[r] - addedFew[r])
  const layersChange = layerRounds.map((r) => r[3] - r[1] - (r[2] - r[0]))
  if (values.json) {
    console.log(
      JSON.stringify({
        framework: values.framework,
        setup: values.setup,
        few,
        many,
        servers: servers.map(({ label }, i) => ({ label, cpu: median(rounds.map((r) => r[i])) })),
        addedFew: median(addedFew),
        addedMany: median(addedMany),
        change: median(change),
        changeRounds: change,
        layers: servers.map(({ label }, i) => ({
          label,
          us: median(layerRounds.map((r) => r[i])),
        })),
        layersChange: median(layersChange),
        layersChangeRounds: layersChange,
      }),
    )
  } else {
    servers.forEach(({ label }, i) => {
      console.log(`${label.padEnd(22)} ${median(rounds.map((r) => r[i])).toFixed(2)} µs/req`)
    })
    console.log(`tracehop adds, ${few} layers: ${median(addedFew).toFixed(2)} µs/req`)
    console.log(`tracehop adds, ${many} layers: ${median(addedMany).toFixed(2)} µs/req`)
    console.log(
      `${many} layers vs ${few}: ${median(change).toFixed(2)} µs/req (median of ${rounds.length} rounds: ${change.map((x) => x.toFixed(1)).join(' ')})`,
    )
    servers.forEach(({ label }, i) => {
      const us = median(layerRounds.map((r) => r[i]))
      console.log(`${label.padEnd(22)} ${us.toFixed(2)} µs from the first layer to the last`)
    })
    console.log(
      `in the layers alone, ${many} vs ${few}: ${median(layersChange).toFixed(2)} µs/req (median of ${layerRounds.length} rounds: ${layersChange.map((x) => x.toFixed(2)).join(' ')})`,
    )
  }
  for (const { server, client } of servers) {
    client.close()
    server.close()
  }
  process.exit(0)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
