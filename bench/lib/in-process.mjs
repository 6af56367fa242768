// The part of `pnpm bench` that the socket rows cannot resolve on a noisy machine: differences of
// about a microsecond. Each measurement runs the variants it compares in one process, taking
// turns batch by batch in a random order (micro/turns.cjs), so the machine's drift falls on all of
// them alike; each is run in more than one process, and every process must meet the target.
//
//   floor:     micro/floor.cjs on the hand-made SDK every socket row gets: tracehop's added cost
//              as a multiple of the SDK floor's, per framework
//   peer:      the same, tracehop's added cost ÷ @fastify/otel's (a note)
//   unsampled: micro/floor.cjs on startTracing(): an unsampled (`-00`) request's added cost as a
//              multiple of a sampled one's, per framework
//   depth:     micro/depth.cjs, four servers (bare and tracehop, 2 and 20 layers) on startTracing()
//   depthInFlow: the same runs, timed inside the flow from the first pass-through layer to the last
//   metrics:   micro/lifecycle.cjs, core's lifecycle with and without the duration metric, on
//              startTracing()'s own MeterProvider (the target) and on the metrics API (a note)
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** Runs one micro-benchmark script with `--json` and resolves to what it printed. */
function runScript(script, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`bench/micro/${script}`, '--json', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.stderr.on('data', (chunk) => (err += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      const line = out.trim().split('\n').at(-1)
      if (code !== 0 || line === undefined || !line.startsWith('{')) {
        reject(new Error(`${script} ${args.join(' ')} exited ${code}: ${err.trim() || out.trim()}`))
        return
      }
      resolve(JSON.parse(line))
    })
  })
}

const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`
// a difference in µs/req, or a ratio of two added costs
const MICROS = { value: (x) => `${signed(x)} µs/req`, each: (x) => x.toFixed(1), target: (t) => t }
const TIMES = {
  value: (x) => `${x.toFixed(2)}×`,
  each: (x) => x.toFixed(2),
  target: (t) => `${t}×`,
}

// Express 5 serves a few thousand requests a second in one process on Node 20: fewer per round
// keep a process within a minute
const FLOOR_REQUESTS = ['--requests', '10000']

// what each server of floor.cjs adds over bare, µs/req (kept in the --json file)
const added = (run) => ({
  context: run.contextAdds,
  floor: run.floorAdds,
  tracehop: run.oursAdds,
  unsampled: run.unsampledAdds,
  peer: run.peerAdds,
})

const floor = (framework, name, target) => ({
  group: 'floor',
  key: framework,
  log: `${name} against the SDK floor`,
  row: `${name}: tracehop's added cost ÷ the SDK floor's (hand-made SDK)`,
  text: (values) =>
    `${name}: tracehop without the metric adds ${values} what the SDK floor adds on the same SDK`,
  script: 'floor.cjs',
  args: ['--framework', framework, '--setup', 'sdk', ...FLOOR_REQUESTS],
  read: (run) => ({ value: run.ratio, perRound: run.ratioRounds, added: added(run) }),
  unit: TIMES,
  target,
})

// A note, not the peer target: that one is on tracehop's defaults, the metric included, and
// @fastify/otel records none; here neither records one. The other peers patch modules for the
// whole process, so only Fastify's can share one with tracehop. Read from the Fastify floor runs.
const fastifyPeer = {
  group: 'peer',
  key: 'fastify',
  log: 'Fastify 5 against @fastify/otel',
  row: "Fastify 5: tracehop's added cost ÷ @fastify/otel's, neither with a metric (hand-made SDK)",
  text: (values) =>
    `Fastify 5: tracehop without the metric adds ${values} what @fastify/otel adds on the same SDK`,
  script: 'floor.cjs',
  args: ['--framework', 'fastify', '--setup', 'sdk', ...FLOOR_REQUESTS],
  read: (run) => ({ value: run.peerRatio, perRound: run.peerRatioRounds, added: added(run) }),
  unit: TIMES,
  target: undefined,
}

const unsampled = (framework, name) => ({
  group: 'unsampled',
  key: framework,
  log: `${name} unsampled against sampled`,
  row: `${name}: an unsampled (-00) request's added cost ÷ a sampled one's (startTracing())`,
  text: (values) =>
    `${name}: on startTracing() an unsampled (-00) request costs tracehop ${values} a sampled one`,
  script: 'floor.cjs',
  args: ['--framework', framework, '--setup', 'start', ...FLOOR_REQUESTS],
  read: (run) => ({
    value: run.unsampledRatio,
    perRound: run.unsampledRatioRounds,
    added: added(run),
  }),
  unit: TIMES,
  target: 0.5,
})

const depth = (framework, name, layers) => ({
  group: 'depth',
  key: framework,
  log: `${name} depth`,
  row: `${name}: 20 layers less 2, tracehop's added cost`,
  text: (values) => `${name}: 20 ${layers} cost tracehop ${values} more than 2`,
  script: 'depth.cjs',
  args: ['--framework', framework, '--setup', 'start'],
  // tracehop's added cost at 20 layers less its added cost at 2
  read: (run) => ({ value: run.change, perRound: run.changeRounds }),
  unit: MICROS,
  target: 2,
})

// the same runs, timed inside the flow from the first pass-through layer to the last: the way
// through the layers alone, without the rest of each request's noise
const depthInFlow = (framework, name, layers) => ({
  ...depth(framework, name, layers),
  group: 'depthInFlow',
  log: `${name} depth, in the layers`,
  row: `${name}: 20 layers less 2, tracehop's added time in the layers themselves`,
  text: (values) =>
    `${name}: 20 ${layers} cost tracehop ${values} more than 2 in the layers' own time`,
  read: (run) => ({ value: run.layersChange, perRound: run.layersChangeRounds }),
})

const metric = (setup, what, target) => ({
  group: 'metrics',
  key: setup,
  log: `duration metric on ${what}`,
  row: `the duration metric on ${what}, in core's lifecycle`,
  text: (values) => `the duration metric on ${what} costs ${values} in core's lifecycle`,
  script: 'lifecycle.cjs',
  args: ['--setup', setup, 'nometric=packages@{"metrics":false}', 'metric=packages'],
  // the build with the metric less the one without, round by round
  read: (run) => ({ value: run.builds[1].vsFirst, perRound: run.builds[1].vsFirstRounds }),
  unit: MICROS,
  target,
})

const MEASUREMENTS = [
  floor('http', 'node:http', 1.1),
  floor('fastify', 'Fastify 5', 1.1),
  floor('express', 'Express 5', 1.25),
  fastifyPeer,
  unsampled('http', 'node:http'),
  unsampled('fastify', 'Fastify 5'),
  unsampled('express', 'Express 5'),
  depth('express', 'Express 5', 'middleware layers'),
  depth('fastify', 'Fastify 5', 'preHandler hooks'),
  depthInFlow('express', 'Express 5', 'middleware layers'),
  depthInFlow('fastify', 'Fastify 5', 'preHandler hooks'),
  metric('start-metrics', "startTracing()'s own MeterProvider", 1),
  metric('sdk', "the app's own MeterProvider (metrics API)", undefined),
]

/**
 * Runs every in-process measurement `processes` times, each of `rounds` rounds; resolves to the
 * Markdown table, the targets ({ pass, note, text }, as report.mjs gives them) and the raw results.
 */
export async function measureInProcess({ processes = 2, rounds = 9, log = () => {} } = {}) {
  const rows = []
  const targets = []
  const results = { floor: {}, peer: {}, unsampled: {}, depth: {}, depthInFlow: {}, metrics: {} }

  // measurements read from the same runs of a script (the floor ratio and the Fastify peer)
  // share them: each script and set of arguments runs `processes` times at most
  const outputs = new Map()
  const outputOf = async (m, p) => {
    const key = `${m.script} ${m.args.join(' ')}`
    if (!outputs.has(key)) outputs.set(key, [])
    const seen = outputs.get(key)
    if (seen[p] === undefined) {
      seen[p] = await runScript(m.script, [...m.args, '--rounds', String(rounds)])
    }
    return seen[p]
  }

  for (const m of MEASUREMENTS) {
    const runs = []
    for (let p = 0; p < processes; p++) {
      const run = m.read(await outputOf(m, p))
      log(`in process: ${m.log}, process ${p + 1}: ${m.unit.value(run.value)}`)
      runs.push(run)
    }
    results[m.group][m.key] = runs
    const target = m.target === undefined ? '–' : `≤ ${m.unit.target(m.target)}`
    for (const [p, run] of runs.entries()) {
      const each = run.perRound.map(m.unit.each).join(' ')
      rows.push(
        `| ${m.row} (process ${p + 1}) | ${m.unit.value(run.value)} | ${each} | ${target} |`,
      )
    }
    const values = runs.map((r) => m.unit.value(r.value)).join(' and ')
    targets.push(
      m.target === undefined
        ? { note: true, text: `${m.text(values)} (in process)` }
        : {
            pass: Math.max(...runs.map((r) => r.value)) <= m.target,
            text: `${m.text(values)} (in process, ${processes} processes × ${rounds} rounds; target ≤ ${m.unit.target(m.target)} in every process)`,
          },
    )
  }

  const table = [
    '| measured in one process | median | each round | target |',
    '| --- | ---: | --- | ---: |',
    ...rows,
  ].join('\n')
  return { table, targets, results, processes, rounds }
}
