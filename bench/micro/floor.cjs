'use strict'
// tracehop against the SDK floor, and unsampled requests against sampled ones, in one process:
// the bench app (apps/*.cjs, the one the socket rows serve) five times over on one SDK: bare,
// with the context floor (one `context.with`) and the SDK floor (lib/servers.cjs), with tracehop
// without the duration metric, and the same tracehop app called with an unsampled parent (`-00`);
// on Fastify's hand-made SDK also with `@fastify/otel` (the one peer that instruments a single
// app). Driven in turns batch by batch (turns.cjs) by one raw-socket client, so the machine's
// drift falls on all of them alike.
//
//   node bench/micro/floor.cjs [--framework express|fastify|http] [--rounds 9] [--requests 20000]
//        [--setup sdk|start] [--json]
//
// Prints the CPU µs per request of each server (server and client; the client's part is the
// same for all), what each adds over bare, tracehop's added cost as a multiple of the floor's,
// an unsampled request's added cost as a multiple of a sampled one's, and with the peer
// tracehop's added cost as a multiple of @fastify/otel's: the medians of the rounds' ratios, and
// every round's. `--setup sdk` (the default) is the bench's hand-made SDK, the one every socket
// row gets (tracehop cannot see its sampler, so an unsampled request still asks it); `--setup
// start` puts all of them on startTracing() instead, the floor included. `--json` prints the same
// as one JSON object (what `pnpm bench` reads).

const { parseArgs } = require('node:util')
const { openClient, rawRequest } = require('./client.cjs')
const { socketRounds } = require('./turns.cjs')

const { values } = parseArgs({
  options: {
    framework: { type: 'string', default: 'http' },
    rounds: { type: 'string', default: '9' },
    requests: { type: 'string', default: '20000' },
    setup: { type: 'string', default: 'sdk' },
    json: { type: 'boolean', default: false },
  },
})
if (!['express', 'fastify', 'http'].includes(values.framework)) {
  throw new Error(`--framework must be express, fastify or http; got ${values.framework}`)
}
if (!['sdk', 'start'].includes(values.setup)) {
  throw new Error(`--setup must be sdk or start; got ${values.setup}`)
}

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
const parentSpanId = '00f067aa0ba902b7'
const setup = require('../lib/sdk.cjs')
const sdk =
  values.setup === 'sdk'
    ? setup.setupTracing({ traceId, parentSpanId })
    : setup.startTracing({ traceId, parentSpanId })
const { createProbe } = require('../lib/common.cjs')
const { listen } = require('../lib/servers.cjs')

const SERVERS = [
  ['bare', 'none', '01'],
  ['context floor', 'floor', '01'],
  ['SDK floor', 'sdk-floor', '01'],
  ['tracehop', 'tracehop', '01'],
  ['tracehop -00', 'tracehop', '00'],
  // the one peer that can share a process (instrumentation-http and -express patch modules), on
  // the SDK the peers get in the socket rows
  ...(values.framework === 'fastify' && values.setup === 'sdk'
    ? [['@fastify/otel', 'fastify-otel-plugin', '01']]
    : []),
]

async function main() {
  const framework = values.framework
  const servers = []
  for (const [label, tracer, flags] of SERVERS) {
    // the context floor has no span: its handler has no trace to see, and nothing to export
    const traced = tracer !== 'none' && tracer !== 'floor'
    const endsSpan = traced && flags === '01'
    const probe = createProbe(traced ? sdk.api : undefined, traceId)
    const server = await listen({
      framework,
      tracer,
      layers: 2,
      api: sdk.api,
      probe,
      options: { metrics: false },
    })
    const port = server.address().port
    const raw = rawRequest(port, `00-${traceId}-${parentSpanId}-${flags}`, {
      authorization: 'Bearer bench-token',
    })
    servers.push({ label, probe, endsSpan, server, client: await openClient(port, raw) })
  }

  const rounds = await socketRounds(
    servers.map((s) => s.client),
    Number(values.requests),
    Number(values.rounds),
  )

  // The app answered, and the traced ones saw the client's trace in the handler.
  for (const { label, probe } of servers) {
    if (probe.requests === 0 || probe.contextMismatch > 0) {
      throw new Error(
        `${label}: ${probe.requests} requests reached the handler, ${probe.contextMismatch} of ${probe.contextChecked} checked did not see the client's trace`,
      )
    }
  }
  const spans = await sdk.snapshot()
  // one SERVER span per sampled traced request, none for -00
  const served = servers.reduce((n, s) => n + (s.endsSpan ? s.probe.requests : 0), 0)
  if (spans.serverMismatch > 0 || spans.serverEnded !== served) {
    throw new Error(
      `${served} traced requests ended ${spans.serverEnded} SERVER spans, ${spans.serverMismatch} not in the client's trace`,
    )
  }

  const { median } = await import('../lib/report.mjs')
  const contextAdds = rounds.map((r) => r[1] - r[0])
  const floorAdds = rounds.map((r) => r[2] - r[0])
  const oursAdds = rounds.map((r) => r[3] - r[0])
  const unsampledAdds = rounds.map((r) => r[4] - r[0])
  const ratios = rounds.map((_, r) => oursAdds[r] / floorAdds[r])
  const unsampledRatios = rounds.map((_, r) => unsampledAdds[r] / oursAdds[r])
  const peerAdds = servers.length > 5 ? rounds.map((r) => r[5] - r[0]) : undefined
  const peerRatios = peerAdds && rounds.map((_, r) => oursAdds[r] / peerAdds[r])
  const result = {
    framework,
    setup: values.setup,
    servers: servers.map(({ label }, i) => ({ label, cpu: median(rounds.map((r) => r[i])) })),
    contextAdds: median(contextAdds),
    floorAdds: median(floorAdds),
    oursAdds: median(oursAdds),
    unsampledAdds: median(unsampledAdds),
    ratio: median(ratios),
    ratioRounds: ratios,
    unsampledRatio: median(unsampledRatios),
    unsampledRatioRounds: unsampledRatios,
    peerAdds: peerAdds && median(peerAdds),
    peerRatio: peerRatios && median(peerRatios),
    peerRatioRounds: peerRatios,
  }
  if (values.json) {
    console.log(JSON.stringify(result))
  } else {
    for (const { label, cpu } of result.servers) {
      console.log(`${label.padEnd(14)} ${cpu.toFixed(2)} µs/req`)
    }
    console.log(`the context floor adds ${result.contextAdds.toFixed(2)} µs/req`)
    console.log(`the SDK floor adds ${result.floorAdds.toFixed(2)} µs/req`)
    console.log(`tracehop adds ${result.oursAdds.toFixed(2)} µs/req`)
    console.log(`tracehop adds ${result.unsampledAdds.toFixed(2)} µs/req to an unsampled request`)
    const each = (xs) => `median of ${xs.length} rounds: ${xs.map((x) => x.toFixed(2)).join(' ')}`
    console.log(`tracehop ÷ floor: ${result.ratio.toFixed(2)}× (${each(ratios)})`)
    console.log(
      `unsampled ÷ sampled: ${result.unsampledRatio.toFixed(2)}× (${each(unsampledRatios)})`,
    )
    if (peerRatios !== undefined) {
      console.log(`@fastify/otel adds ${result.peerAdds.toFixed(2)} µs/req`)
      console.log(`tracehop ÷ @fastify/otel: ${result.peerRatio.toFixed(2)} (${each(peerRatios)})`)
    }
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
